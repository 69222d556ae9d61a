package plugin

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestResolveCommand(t *testing.T) {
	root := t.TempDir()
	exe := filepath.Join(root, "cmd/machine-controller/bin/machine-controller")
	touch := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	touch(exe)
	noEnv := func(string) string { return "" }
	env := func(k string) string {
		if k == EnvCommand {
			return "node  /x/main.js --driver=inmemory"
		}
		return ""
	}

	if got, _ := ResolveCommand("node /flag.js", env, exe); !reflect.DeepEqual(got, []string{"node", "/flag.js"}) {
		t.Fatalf("flag must win: %v", got)
	}
	if got, _ := ResolveCommand("", env, exe); !reflect.DeepEqual(got, []string{"node", "/x/main.js", "--driver=inmemory"}) {
		t.Fatalf("env: %v", got)
	}
	if _, err := ResolveCommand("", noEnv, exe); err == nil {
		t.Fatal("nothing to run must be an error")
	}

	touch(filepath.Join(root, "src/plugin/main.ts"))
	if got, _ := ResolveCommand("", noEnv, exe); !reflect.DeepEqual(got, append(append([]string{"node"}, NodeFlags...), filepath.Join(root, "src/plugin/main.ts"))) {
		t.Fatalf("source fallback: %v", got)
	}
	touch(filepath.Join(root, "dist/src/plugin/main.js"))
	touch(filepath.Join(root, "node_modules/.bin/node"))
	want := append(append([]string{filepath.Join(root, "node_modules/.bin/node")}, NodeFlags...), filepath.Join(root, "dist/src/plugin/main.js"))
	if got, _ := ResolveCommand("", noEnv, exe); !reflect.DeepEqual(got, want) {
		t.Fatalf("built plugin with pinned node: %v", got)
	}
}
