package plugin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvCommand overrides the plugin command when --driver-plugin-command is not given.
const EnvCommand = "MC_DRIVER_PLUGIN_CMD"

// NodeFlags go before the plugin's script in the default command. V8 sizes its young generation
// for throughput (16 MiB semi-spaces) and grows the old one until it is told otherwise; the plugin's
// live heap stays in the tens of MiB even at 1000 Machines (bench/README.md), so small semi-spaces
// and a 128 MiB old-space cap keep its RSS near what it uses. Maglev and TurboFan are off: their
// compile zones, allocated on background threads, left 20-30 MiB of malloc'd memory behind, while
// a call spends its time waiting on the IaaS API, not in JavaScript (bench: same plugin CPU, lower
// bridge p99). stack/plugin-command.ts repeats them for the local stack;
// test/bridge/plugin-command.test.ts keeps the two equal.
var NodeFlags = []string{"--max-semi-space-size=1", "--max-old-space-size=128", "--no-maglev", "--no-turbofan"}

// ResolveCommand returns the plugin command line: the flag value if set, else $MC_DRIVER_PLUGIN_CMD,
// else `node NodeFlags... <root>/dist/src/plugin/main.js` for the first directory at or above the executable's
// that holds the built plugin (falling back to src/plugin/main.ts, which needs Node 24). A
// node_modules/.bin/node next to it (the pinned Node 24) is preferred over `node` from PATH.
// Command strings are split on whitespace; there is no quoting.
func ResolveCommand(flagValue string, getenv func(string) string, executable string) ([]string, error) {
	for _, v := range []string{flagValue, getenv(EnvCommand)} {
		if f := strings.Fields(v); len(f) > 0 {
			return f, nil
		}
	}
	dir, err := filepath.EvalSymlinks(executable)
	if err != nil {
		dir = executable
	}
	dir = filepath.Dir(dir)
	for range 5 {
		for _, entry := range []string{"dist/src/plugin/main.js", "src/plugin/main.ts"} {
			if isFile(filepath.Join(dir, entry)) {
				node := "node"
				if n := filepath.Join(dir, "node_modules/.bin/node"); isFile(n) {
					node = n
				}
				return append(append([]string{node}, NodeFlags...), filepath.Join(dir, entry)), nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return nil, errors.New(fmt.Sprint("no driver plugin found next to ", executable,
		" (looked for dist/src/plugin/main.js and src/plugin/main.ts up to 4 levels above it);",
		" set --driver-plugin-command or ", EnvCommand))
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
