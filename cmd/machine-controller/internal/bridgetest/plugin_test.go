// Package bridgetest runs the bridge against the real TypeScript plugin (src/plugin/main.ts with
// the in-memory driver) as a go-plugin subprocess, using the project's pinned Node 24.
package bridgetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"mcm-provider-stackit/cmd/machine-controller/internal/bridge"
	"mcm-provider-stackit/cmd/machine-controller/internal/plugin"
)

// RepoRoot is the directory holding package.json, found upwards from the test's directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (package.json) not found")
		}
		dir = parent
	}
}

type env struct {
	sup    *plugin.Supervisor
	bridge *bridge.Bridge
	faults string
	state  string
}

type adapter struct{ *plugin.Supervisor }

func (a adapter) Acquire(ctx context.Context) (bridge.Conn, error) {
	i, err := a.Supervisor.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return i, nil
}

func start(t testing.TB, timeout time.Duration, extraEnv ...string) *env {
	t.Helper()
	root := RepoRoot(t)
	node := filepath.Join(root, "node_modules/.bin/node")
	if _, err := os.Stat(node); err != nil {
		t.Skipf("pinned Node 24 not installed (%s); run `npm install`", node)
	}
	dir := t.TempDir()
	e := &env{faults: filepath.Join(dir, "faults.json"), state: filepath.Join(dir, "state.json")}
	command := []string{node, filepath.Join(root, "src/plugin/main.ts")}
	// The benchmark measures the command it runs the stack with (e.g. the shipped one, on dist/).
	if c := strings.Fields(os.Getenv("BRIDGE_MEASURE_COMMAND")); len(c) > 0 {
		command = c
	}
	e.sup = plugin.NewSupervisor(plugin.Config{
		Command: command,
		Env: append([]string{
			"MC_DRIVER=inmemory",
			"MC_INMEMORY_STATE=" + e.state,
			"MC_INMEMORY_FAULTS_FILE=" + e.faults,
			"LOG_LEVEL=warn",
		}, extraEnv...),
		StartTimeout: 30 * time.Second,
		RetryBackoff: 10 * time.Millisecond,
	})
	t.Cleanup(e.sup.Close)
	e.bridge = bridge.New(adapter{e.sup}, timeout, "test")
	return e
}

func (e *env) setFaults(t testing.TB, faults map[string]any) {
	t.Helper()
	b, _ := json.Marshal(faults)
	if err := os.WriteFile(e.faults, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (e *env) pid(t testing.TB) int {
	t.Helper()
	inst, err := e.sup.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return inst.Pid()
}

func objects(name string) (*v1alpha1.Machine, *v1alpha1.MachineClass, *corev1.Secret) {
	return &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}},
		&v1alpha1.MachineClass{ObjectMeta: metav1.ObjectMeta{Name: "class-a", Namespace: "default"}},
		&corev1.Secret{Data: map[string][]byte{"userData": []byte("#cloud-config")}}
}

func codeOf(t testing.TB, err error) (codes.Code, string) {
	t.Helper()
	if err == nil {
		return codes.OK, ""
	}
	s, ok := status.FromError(err)
	if !ok {
		t.Fatalf("not a machinecodes error: %v", err)
	}
	return s.Code(), s.Message()
}

func TestRoundTripEveryRPC(t *testing.T) {
	e := start(t, 20*time.Second)
	ctx := context.Background()
	m, mc, s := objects("worker-a")

	cr, err := e.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil {
		t.Fatal(err)
	}
	if len(cr.ProviderID) < len("inmemory://x") || cr.ProviderID[:11] != "inmemory://" || cr.NodeName != "worker-a" || len(cr.Addresses) != 2 || cr.LastKnownState == "" {
		t.Fatalf("create: %+v", cr)
	}
	again, err := e.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil || again.ProviderID != cr.ProviderID {
		t.Fatalf("create is not idempotent: %+v %v", again, err)
	}
	m.Spec.ProviderID = cr.ProviderID
	ir, err := e.bridge.InitializeMachine(ctx, &driver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil || ir.ProviderID != cr.ProviderID || ir.NodeName != "worker-a" {
		t.Fatalf("init: %+v %v", ir, err)
	}
	gr, err := e.bridge.GetMachineStatus(ctx, &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil || gr.ProviderID != cr.ProviderID || gr.Addresses[0].Type != corev1.NodeInternalIP {
		t.Fatalf("status: %+v %v", gr, err)
	}
	lr, err := e.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if err != nil || len(lr.MachineList) != 1 || lr.MachineList[cr.ProviderID] != "worker-a" {
		t.Fatalf("list: %+v %v", lr, err)
	}
	other := mc.DeepCopy()
	other.Name = "class-b"
	lr, err = e.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: other, Secret: s})
	if err != nil || lr.MachineList == nil || len(lr.MachineList) != 0 {
		t.Fatalf("list of another class: %+v %v", lr, err)
	}
	vr, err := e.bridge.GetVolumeIDs(ctx, &driver.GetVolumeIDsRequest{PVSpecs: []*corev1.PersistentVolumeSpec{
		{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "inmemory.csi.local", VolumeHandle: "vol-1"}}},
		{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "other.csi", VolumeHandle: "vol-2"}}},
	}})
	if err != nil || len(vr.VolumeIDs) != 1 || vr.VolumeIDs[0] != "vol-1" {
		t.Fatalf("volumes: %+v %v", vr, err)
	}
	if _, err := e.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s}); err != nil {
		t.Fatal(err)
	}
	_, err = e.bridge.GetMachineStatus(ctx, &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
	if c, _ := codeOf(t, err); c != codes.NotFound {
		t.Fatalf("status after delete: %v", err)
	}
	if _, err := e.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s}); err != nil {
		t.Fatalf("deleting an absent VM must be OK: %v", err)
	}
}

func TestEveryCodeFromThePlugin(t *testing.T) {
	e := start(t, 20*time.Second)
	ctx := context.Background()
	m, mc, s := objects("worker-codes")
	for c := 1; c <= 17; c++ {
		msg := fmt.Sprintf("injected %d (detail)", c)
		e.setFaults(t, map[string]any{"*": map[string]any{"code": c, "message": msg}})
		_, cerr := e.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
		_, ierr := e.bridge.InitializeMachine(ctx, &driver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: s})
		_, derr := e.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s})
		_, gerr := e.bridge.GetMachineStatus(ctx, &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
		_, lerr := e.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
		_, verr := e.bridge.GetVolumeIDs(ctx, &driver.GetVolumeIDsRequest{})
		for name, err := range map[string]error{"create": cerr, "init": ierr, "delete": derr, "status": gerr, "list": lerr, "volumes": verr} {
			got, gotMsg := codeOf(t, err)
			if int(got) != c || gotMsg != msg {
				t.Fatalf("%s: want code %d %q, got %v %q", name, c, msg, got, gotMsg)
			}
		}
	}
}

func TestUninitializedCarriesPartialResponse(t *testing.T) {
	e := start(t, 20*time.Second)
	ctx := context.Background()
	m, mc, s := objects("worker-uninit")
	cr, err := e.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil {
		t.Fatal(err)
	}
	e.setFaults(t, map[string]any{"getMachineStatus": map[string]any{"code": 17, "message": "not initialized", "partial": true}})
	gr, err := e.bridge.GetMachineStatus(ctx, &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
	if c, _ := codeOf(t, err); c != codes.Uninitialized {
		t.Fatalf("got %v", err)
	}
	if gr == nil || gr.ProviderID != cr.ProviderID || gr.NodeName != "worker-uninit" {
		t.Fatalf("partial response: %+v", gr)
	}
}

func TestPluginCrashThenRestartOnNextCall(t *testing.T) {
	e := start(t, 20*time.Second)
	ctx := context.Background()
	m, mc, s := objects("worker-crash")
	cr, err := e.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil {
		t.Fatal(err)
	}
	m.Spec.ProviderID = cr.ProviderID
	req := &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s}

	// Kill the node process while a call is in flight.
	e.setFaults(t, map[string]any{"getMachineStatus": map[string]any{"hang": true}})
	first := e.pid(t)
	errc := make(chan error, 1)
	go func() {
		_, err := e.bridge.GetMachineStatus(ctx, req)
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if c, msg := codeOf(t, err); c != codes.Unavailable {
			t.Fatalf("in-flight call after crash: %v %s", c, msg)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("in-flight call did not return after the plugin died")
	}

	// The next call starts a new process, which still knows the VM (state file).
	e.setFaults(t, map[string]any{})
	gr, err := e.bridge.GetMachineStatus(ctx, req)
	if err != nil || gr.ProviderID != cr.ProviderID {
		t.Fatalf("after restart: %+v %v", gr, err)
	}
	if second := e.pid(t); second == first {
		t.Fatal("plugin was not restarted")
	}

	// A crash inside a call (the driver dies on its first ListMachines) is Unavailable too.
	e.setFaults(t, map[string]any{"listMachines": map[string]any{"crashOnCall": 1}})
	_, err = e.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if c, _ := codeOf(t, err); c != codes.Unavailable {
		t.Fatalf("crash during call: %v", err)
	}
	e.setFaults(t, map[string]any{})
	lr, err := e.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if err != nil || lr.MachineList[cr.ProviderID] != "worker-crash" {
		t.Fatalf("list after second restart: %+v %v", lr, err)
	}
}

func TestConcurrentCallsShareOneRestart(t *testing.T) {
	e := start(t, 20*time.Second)
	ctx := context.Background()
	first := e.pid(t)
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Wait until the supervisor has seen the exit, so every call below goes through a start.
	time.Sleep(500 * time.Millisecond)
	_, mc, s := objects("x")
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := e.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("call after crash: %v", err)
		}
	}
	pids := map[int]bool{}
	for range 3 {
		pids[e.pid(t)] = true
	}
	if len(pids) != 1 || pids[first] {
		t.Fatalf("expected exactly one new plugin process, got %v (first %d)", pids, first)
	}
}

func TestHungCallHitsDeadline(t *testing.T) {
	e := start(t, time.Second)
	ctx := context.Background()
	m, mc, s := objects("worker-hang")
	e.setFaults(t, map[string]any{"getMachineStatus": map[string]any{"hang": true}})
	begin := time.Now()
	_, err := e.bridge.GetMachineStatus(ctx, &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
	if c, msg := codeOf(t, err); c != codes.DeadlineExceeded {
		t.Fatalf("hung call: %v %s", c, msg)
	}
	if time.Since(begin) > 10*time.Second {
		t.Fatal("the deadline did not bound the call")
	}
	// The plugin survives a hung call.
	e.setFaults(t, map[string]any{})
	if _, err := e.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s}); err != nil {
		t.Fatalf("after deadline: %v", err)
	}
}

func TestPluginThatCannotStartIsUnavailable(t *testing.T) {
	sup := plugin.NewSupervisor(plugin.Config{Command: []string{filepath.Join(t.TempDir(), "no-such-plugin")}})
	defer sup.Close()
	b := bridge.New(adapter{sup}, 5*time.Second, "test")
	_, mc, s := objects("x")
	_, err := b.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if c, _ := codeOf(t, err); c != codes.Unavailable {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownDriverFailsAtStart(t *testing.T) {
	e := start(t, 5*time.Second, "MC_DRIVER=nope")
	_, mc, s := objects("x")
	_, err := e.bridge.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if c, _ := codeOf(t, err); c != codes.Unavailable {
		t.Fatalf("got %v", err)
	}
}
