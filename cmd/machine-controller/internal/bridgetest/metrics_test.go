package bridgetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"mcm-provider-stackit/cmd/machine-controller/internal/plugin"
)

// The Metrics RPC of the real plugin: before any plugin runs a scrape gets ErrNotRunning and does
// not start one; once running, the plugin answers Prometheus text with its own process metrics
// (the in-memory driver has none of its own).
func TestPluginMetricsRPC(t *testing.T) {
	e := start(t, 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := e.sup.Metrics(ctx); !errors.Is(err, plugin.ErrNotRunning) {
		t.Fatalf("metrics without a plugin: %v, want ErrNotRunning", err)
	}
	if e.sup.Current() != nil {
		t.Fatal("a metrics scrape started the plugin")
	}
	e.pid(t)
	text, err := e.sup.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE stackit_driver_plugin_process_resident_memory_bytes gauge\n",
		"# TYPE stackit_driver_plugin_nodejs_eventloop_lag_seconds gauge\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in plugin metrics:\n%s", want, text)
		}
	}
}
