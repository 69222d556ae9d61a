package bridgetest

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
)

// TestMeasureLatency measures the bridge's per-call latency (Go -> gRPC over the Unix socket ->
// TypeScript plugin -> in-memory driver -> back) and the plugin's RSS. It only reports numbers
// (docs/bridge.md); it asserts nothing about them. Run with:
//
//	BRIDGE_MEASURE=1 go test -run TestMeasureLatency -v ./internal/bridgetest/
func TestMeasureLatency(t *testing.T) {
	if os.Getenv("BRIDGE_MEASURE") == "" {
		t.Skip("set BRIDGE_MEASURE=1 to measure")
	}
	// The bridge, not the in-memory driver's test hooks: no fault file read on every call.
	extra := []string{"MC_INMEMORY_FAULTS_FILE="}
	if lvl := os.Getenv("BRIDGE_MEASURE_LOG_LEVEL"); lvl != "" {
		extra = append(extra, "LOG_LEVEL="+lvl) // info, as in production: failed calls only
	}
	e := start(t, 20*time.Second, extra...)
	ctx := context.Background()
	m, mc, s := objects("bench-worker")
	cr, err := e.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil {
		t.Fatal(err)
	}
	m.Spec.ProviderID = cr.ProviderID
	req := &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s}
	pid := e.pid(t)
	time.Sleep(2 * time.Second)
	idle := rss(t, pid)

	for range 200 { // warm-up: JIT, connection
		if _, err := e.bridge.GetMachineStatus(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	const n = 2000
	d := make([]time.Duration, n)
	for i := range n {
		begin := time.Now()
		if _, err := e.bridge.GetMachineStatus(ctx, req); err != nil {
			t.Fatal(err)
		}
		d[i] = time.Since(begin)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	p := func(q float64) time.Duration { return d[int(q*float64(n-1))] }
	t.Logf("GetMachineStatus via bridge, %d sequential calls: p50=%v p90=%v p99=%v max=%v", n, p(0.5), p(0.9), p(0.99), d[n-1])
	t.Logf("plugin RSS: idle after start %s, after the calls %s", idle, rss(t, pid))
}

func rss(t *testing.T, pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.Join(strings.Fields(l)[1:], " ")
		}
	}
	return "?"
}
