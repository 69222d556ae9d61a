package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

type recordingFailer struct {
	machines []*v1alpha1.Machine
	ops      []v1alpha1.LastOperation
}

func (r *recordingFailer) MarkFailed(_ context.Context, m *v1alpha1.Machine, op v1alpha1.LastOperation) error {
	r.machines = append(r.machines, m)
	r.ops = append(r.ops, op)
	return nil
}

func TestRequestsCarryTheEffectiveCreationTimeout(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	h.bridge.WithCreationFlow(CreationFlow{DefaultTimeout: 20 * time.Minute})
	var got []int64
	h.fake.get = func(_ context.Context, r *driverv1.GetMachineStatusRequest) (*driverv1.GetMachineStatusResponse, error) {
		got = append(got, r.GetCreationTimeoutMs())
		return &driverv1.GetMachineStatusResponse{}, nil
	}
	m, mc, s := machineReq()
	own := m.DeepCopy()
	own.Spec.MachineConfiguration = &v1alpha1.MachineConfiguration{MachineCreationTimeout: &metav1.Duration{Duration: 7 * time.Minute}}
	for _, machine := range []*v1alpha1.Machine{m, own} {
		if _, err := h.bridge.GetMachineStatus(context.Background(), &driver.GetMachineStatusRequest{Machine: machine, MachineClass: mc, Secret: s}); err != nil {
			t.Fatal(err)
		}
	}
	want := []int64{(20 * time.Minute).Milliseconds(), (7 * time.Minute).Milliseconds()}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("creation timeouts sent = %v, want %v (the flag, then the Machine's own)", got, want)
	}
}

func TestInitializeMachineFailedForGoodMarksTheMachineFailed(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	f := &recordingFailer{}
	h.bridge.WithCreationFlow(CreationFlow{DefaultTimeout: time.Minute, Failer: f})
	answer := &driverv1.Status{Code: int32(codes.ResourceExhausted), Message: `server x ended in status ERROR: "No valid host was found"`, MachineFailed: true}
	h.fake.init = func(*driverv1.InitializeMachineRequest) (*driverv1.InitializeMachineResponse, error) {
		return &driverv1.InitializeMachineResponse{Error: answer}, nil
	}
	m, mc, s := machineReq()
	m.ResourceVersion = "42"
	_, err := h.bridge.InitializeMachine(context.Background(), &driver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if c := statusOf(t, err).Code(); c != codes.ResourceExhausted {
		t.Fatalf("MCM still gets the driver's error, code %s", c)
	}
	if len(f.ops) != 1 {
		t.Fatalf("marked %d times, want 1", len(f.ops))
	}
	op := f.ops[0]
	if op.Type != v1alpha1.MachineOperationCreate || op.State != v1alpha1.MachineStateFailed || op.ErrorCode != "ResourceExhausted" {
		t.Fatalf("lastOperation = %+v: cluster-autoscaler needs Create / Failed / ResourceExhausted", op)
	}
	if !strings.Contains(op.Description, "No valid host was found") {
		t.Fatalf("description %q lacks STACKIT's message", op.Description)
	}
	if f.machines[0].ResourceVersion != "42" {
		t.Fatal("the marking must carry the resourceVersion MCM passed (optimistic concurrency with MCM's own write)")
	}

	// Not flagged, or a Machine already being deleted: MCM's own handling only.
	answer.MachineFailed = false
	_, _ = h.bridge.InitializeMachine(context.Background(), &driver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	answer.MachineFailed = true
	gone := m.DeepCopy()
	now := metav1.Now()
	gone.DeletionTimestamp = &now
	_, _ = h.bridge.InitializeMachine(context.Background(), &driver.InitializeMachineRequest{Machine: gone, MachineClass: mc, Secret: s})
	if len(f.ops) != 1 {
		t.Fatalf("marked %d times, want still 1", len(f.ops))
	}
}
