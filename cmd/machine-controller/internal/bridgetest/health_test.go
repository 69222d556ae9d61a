package bridgetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
)

// A plugin whose event loop is blocked answers nothing, not even health checks: the watcher
// reports it unhealthy, replaces it after 3 failed probes, and reports healthy again.
func TestWatchReplacesAWedgedPlugin(t *testing.T) {
	e := start(t, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var reports []bool
	go e.sup.Watch(ctx, 200*time.Millisecond, 200*time.Millisecond, 3, func(h bool) {
		mu.Lock()
		reports = append(reports, h)
		mu.Unlock()
	})
	first := e.pid(t)
	_, mc, s := objects("x")

	e.setFaults(t, map[string]any{"listMachines": map[string]any{"blockMs": 30000}})
	_, err := e.bridge.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if c, _ := codeOf(t, err); c != codes.DeadlineExceeded {
		t.Fatalf("call into a wedged plugin: %v", err)
	}
	e.setFaults(t, map[string]any{})

	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		recovered := len(reports) >= 2 && !reports[0] && reports[len(reports)-1]
		mu.Unlock()
		if recovered {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("health reports %v: want false..., then true", reports)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if e.pid(t) == first {
		t.Fatal("the wedged plugin was not replaced")
	}
	if _, err := e.bridge.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: mc, Secret: s}); err != nil {
		t.Fatalf("after replacement: %v", err)
	}
}
