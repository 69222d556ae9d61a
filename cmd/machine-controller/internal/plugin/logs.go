package plugin

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"

	"github.com/hashicorp/go-hclog"
	"k8s.io/klog/v2"
)

// stderrLines forwards the plugin's stderr to klog, one klog entry per line. The plugin logs pino
// JSON lines; their numeric level picks the klog severity. Anything else (a Node.js crash trace,
// say) is logged as a warning. The plugin never logs secrets, and this code never adds any.
type stderrLines struct {
	mu  sync.Mutex
	buf []byte
}

func (w *stderrLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		logPluginLine(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	// A runaway line without newline must not grow without bound.
	if len(w.buf) > 1<<20 {
		logPluginLine(w.buf)
		w.buf = nil
	}
	return len(p), nil
}

func logPluginLine(line []byte) {
	line = bytes.TrimRight(line, "\r")
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	var entry struct {
		Level *int `json:"level"`
	}
	if json.Unmarshal(line, &entry) != nil || entry.Level == nil {
		klog.WarningDepth(1, "driver-plugin: ", string(line))
		return
	}
	switch lvl := *entry.Level; {
	case lvl >= 50:
		klog.ErrorDepth(1, "driver-plugin: ", string(line))
	case lvl >= 40:
		klog.WarningDepth(1, "driver-plugin: ", string(line))
	case lvl >= 30:
		klog.InfoDepth(1, "driver-plugin: ", string(line))
	default:
		if klog.V(4).Enabled() {
			klog.InfoDepth(1, "driver-plugin: ", string(line))
		}
	}
}

// klogWarnings is the sink of go-plugin's own logger: it only emits warnings and errors.
type klogWarnings struct{}

func (klogWarnings) Write(p []byte) (int, error) {
	for _, l := range bytes.Split(bytes.TrimRight(p, "\n"), []byte{'\n'}) {
		klog.Warning(string(l))
	}
	return len(p), nil
}

// goPluginLogger keeps go-plugin's own messages at warning level and above: at lower levels it
// would also echo every plugin stderr line, which stderrLines already forwards.
func goPluginLogger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:        "go-plugin",
		Level:       hclog.Warn,
		Output:      io.Writer(klogWarnings{}),
		DisableTime: true,
	})
}
