package bridge

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

// eventsHarness is a bridge posting into a FakeRecorder, with a clock the test moves.
type eventsHarness struct {
	*harness
	recorder *record.FakeRecorder
	events   *Events
	clock    time.Time
}

func newEventsHarness(t *testing.T, capacity int) *eventsHarness {
	t.Helper()
	h := &eventsHarness{harness: newHarness(t, 5*time.Second), recorder: record.NewFakeRecorder(100), clock: time.Unix(1_700_000_000, 0)}
	h.events = NewEvents(h.recorder, 10*time.Minute, capacity)
	h.events.now = func() time.Time { return h.clock }
	h.bridge.WithEvents(h.events)
	return h
}

// posted drains the recorder: "Type Reason Message" per Event.
func (h *eventsHarness) posted() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func eventObjects() (*v1alpha1.Machine, *v1alpha1.MachineClass, *corev1.Secret) {
	m, mc, s := machineReq()
	m.UID = types.UID("machine-uid-1")
	mc.UID = types.UID("class-uid-1")
	mc.Namespace = "ns"
	mc.Generation = 1
	return m, mc, s
}

func TestClassWarningsArePostedOncePerClassGeneration(t *testing.T) {
	h := newEventsHarness(t, 100)
	warnings := []string{"providerSpec.securityGroup: unknown field, ignored; did you mean securityGroups?", "providerSpec.foo: unknown field, ignored"}
	h.fake.get = func(context.Context, *driverv1.GetMachineStatusRequest) (*driverv1.GetMachineStatusResponse, error) {
		return &driverv1.GetMachineStatusResponse{Warnings: warnings, Error: &driverv1.Status{Code: int32(codes.Uninitialized), Message: "booting"}}, nil
	}
	m, mc, s := eventObjects()
	for range 5 {
		_, _ = h.bridge.GetMachineStatus(context.Background(), &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
	}
	got := h.posted()
	want := []string{"Warning ProviderSpecWarning " + warnings[0], "Warning ProviderSpecWarning " + warnings[1]}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("5 calls posted %q, want each warning once: %q", got, want)
	}

	// A changed class (new generation) is told again; so is another class with the same warnings.
	mc.Generation = 2
	other := mc.DeepCopy()
	other.UID, other.Name = "class-uid-2", "class-b"
	for _, c := range []*v1alpha1.MachineClass{mc, other, mc, other} {
		_, _ = h.bridge.GetMachineStatus(context.Background(), &driver.GetMachineStatusRequest{Machine: m, MachineClass: c, Secret: s})
	}
	if got := h.posted(); len(got) != 4 {
		t.Fatalf("generation 2 and another class posted %d Events, want 4: %q", len(got), got)
	}
}

func TestClassWarningsTravelOnEveryMethodAlsoWhenTheCallFails(t *testing.T) {
	h := newEventsHarness(t, 100)
	invalid := &driverv1.Status{Code: int32(codes.InvalidArgument), Message: "machine class class-a is invalid"}
	h.fake.create = func(*driverv1.CreateMachineRequest) (*driverv1.CreateMachineResponse, error) {
		return &driverv1.CreateMachineResponse{Warnings: []string{"w-create"}, Error: invalid}, nil
	}
	h.fake.init = func(*driverv1.InitializeMachineRequest) (*driverv1.InitializeMachineResponse, error) {
		return &driverv1.InitializeMachineResponse{Warnings: []string{"w-init"}}, nil
	}
	h.fake.del = func(*driverv1.DeleteMachineRequest) (*driverv1.DeleteMachineResponse, error) {
		return &driverv1.DeleteMachineResponse{Warnings: []string{"w-delete"}}, nil
	}
	h.fake.list = func(*driverv1.ListMachinesRequest) (*driverv1.ListMachinesResponse, error) {
		return &driverv1.ListMachinesResponse{Warnings: []string{"w-list"}}, nil
	}
	m, mc, s := eventObjects()
	ctx := context.Background()
	_, _ = h.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	_, _ = h.bridge.InitializeMachine(ctx, &driver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	_, _ = h.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	_, _ = h.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	got := strings.Join(h.posted(), "\n")
	for _, w := range []string{"w-create", "w-init", "w-delete", "w-list"} {
		if !strings.Contains(got, "Warning ProviderSpecWarning "+w) {
			t.Errorf("no ProviderSpecWarning Event for %q in %q", w, got)
		}
	}
	if !strings.Contains(got, "Warning InvalidArgument CreateMachine: machine class class-a is invalid") {
		t.Errorf("the failed CreateMachine posted no Event on the Machine: %q", got)
	}
}

func TestDriverErrorsArePostedOnTheMachineOncePerDistinctError(t *testing.T) {
	h := newEventsHarness(t, 100)
	answer := &driverv1.Status{Code: int32(codes.ResourceExhausted), Message: "quota exceeded for vCPU"}
	calls := 0
	h.fake.create = func(*driverv1.CreateMachineRequest) (*driverv1.CreateMachineResponse, error) {
		if answer == nil {
			return &driverv1.CreateMachineResponse{ProviderId: "stackit://p/s", NodeName: "m-1"}, nil
		}
		calls++
		// STACKIT puts a fresh request id into every answer: still the same error.
		return &driverv1.CreateMachineResponse{Error: &driverv1.Status{Code: answer.Code, Message: fmt.Sprintf("%s, request id 7ea38c21-c1b5-4f34-8cdf-7c456c9b79f%d, %d attempts", answer.Message, calls%10, calls)}}, nil
	}
	m, mc, s := eventObjects()
	create := func() {
		_, _ = h.bridge.CreateMachine(context.Background(), &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	}

	for range 3 { // MCM's retries
		create()
		h.clock = h.clock.Add(5 * time.Second)
	}
	if got := h.posted(); len(got) != 1 || got[0] != "Warning ResourceExhausted CreateMachine: quota exceeded for vCPU, request id 7ea38c21-c1b5-4f34-8cdf-7c456c9b79f1, 1 attempts" {
		t.Fatalf("3 failing retries posted %q, want one Event with the code as reason", got)
	}

	answer = &driverv1.Status{Code: int32(codes.InvalidArgument), Message: "machine class class-a is invalid"}
	create()
	create()
	if got := h.posted(); len(got) != 1 || !strings.HasPrefix(got[0], "Warning InvalidArgument ") {
		t.Fatalf("a different error posted %q, want one new Event", got)
	}

	h.clock = h.clock.Add(11 * time.Minute)
	create()
	if got := h.posted(); len(got) != 1 {
		t.Fatalf("the same error after 11 min posted %q, want it again (Events expire)", got)
	}

	answer = nil
	create()
	if got := h.posted(); len(got) != 1 || got[0] != "Normal ServerCreated CreateMachine: server stackit://p/s (node name m-1) belongs to this Machine; it boots now" {
		t.Fatalf("a successful create posted %q, want one Normal ServerCreated", got)
	}
	answer = &driverv1.Status{Code: int32(codes.InvalidArgument), Message: "machine class class-a is invalid"}
	create()
	if got := h.posted(); len(got) != 1 {
		t.Fatalf("the error after a success posted %q, want it again", got)
	}
}

func TestOnlyErrorsMCMTreatsAsFailuresArePosted(t *testing.T) {
	h := newEventsHarness(t, 100)
	var answer *driverv1.Status
	h.fake.get = func(context.Context, *driverv1.GetMachineStatusRequest) (*driverv1.GetMachineStatusResponse, error) {
		return &driverv1.GetMachineStatusResponse{Error: answer}, nil
	}
	h.fake.del = func(*driverv1.DeleteMachineRequest) (*driverv1.DeleteMachineResponse, error) {
		return &driverv1.DeleteMachineResponse{Error: answer}, nil
	}
	m, mc, s := eventObjects()
	ctx := context.Background()
	for _, c := range []codes.Code{codes.NotFound, codes.Uninitialized} {
		answer = &driverv1.Status{Code: int32(c), Message: "step"}
		_, _ = h.bridge.GetMachineStatus(ctx, &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
	}
	answer = &driverv1.Status{Code: int32(codes.NotFound), Message: "gone"}
	_, _ = h.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if got := h.posted(); len(got) != 0 {
		t.Fatalf("steps of MCM's flows posted %q, want nothing", got)
	}

	// The orphan collector's stand-in has no UID: a Machine of that name would be another object.
	standIn := &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m-1", Namespace: "ns"}, Spec: v1alpha1.MachineSpec{ProviderID: "stackit://p/s"}}
	answer = &driverv1.Status{Code: int32(codes.Unavailable), Message: "server still DELETING"}
	_, _ = h.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: standIn, MachineClass: mc, Secret: s})
	if got := h.posted(); len(got) != 0 {
		t.Fatalf("the stand-in Machine got %q, want nothing", got)
	}
	_, _ = h.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if got := h.posted(); len(got) != 1 || got[0] != "Warning Unavailable DeleteMachine: server still DELETING" {
		t.Fatalf("a failed delete posted %q", got)
	}
}

func TestBridgeFailuresArePostedToo(t *testing.T) {
	recorder := record.NewFakeRecorder(10)
	b := New(downPlugins{}, time.Second, "test").WithEvents(NewEvents(recorder, time.Minute, 10))
	m, mc, s := eventObjects()
	_, _ = b.InitializeMachine(context.Background(), &driver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	select {
	case e := <-recorder.Events:
		if !strings.HasPrefix(e, "Warning Unavailable InitializeMachine: driver plugin is not running") {
			t.Fatalf("Event %q", e)
		}
	default:
		t.Fatal("a dead plugin posted no Event on the Machine")
	}
}

func TestEventMemoryIsBounded(t *testing.T) {
	h := newEventsHarness(t, 3)
	for i := range 50 {
		mc := &v1alpha1.MachineClass{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", UID: types.UID(fmt.Sprint("class-", i))}}
		h.events.ClassWarnings(mc, []string{"w"})
		m := &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "ns", UID: types.UID(fmt.Sprint("m-", i))}}
		h.events.MachineResult("CreateMachine", m, StatusError(&driverv1.Status{Code: int32(codes.Internal), Message: "x"}))
		h.posted()
	}
	if n, f := h.events.warned.len(), h.events.failures.len(); n != 3 || f != 3 {
		t.Fatalf("remembered %d class warnings and %d Machine errors, want at most 3 each", n, f)
	}
	long := strings.Repeat("é", 1000)
	if got := truncate(long); len(got) > maxEventMessage || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") {
		t.Fatalf("truncate gave %d bytes", len(got))
	}
}

func TestEventRecorderWritesToTheObjectsNamespaceWithMCMKinds(t *testing.T) {
	client := fake.NewSimpleClientset()
	recorder, shutdown, err := NewEventRecorder(client)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()
	_, mc, _ := eventObjects()
	NewEvents(recorder, time.Minute, 10).ClassWarnings(mc, []string{"providerSpec.securityGroup: unknown field, ignored"})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		list, err := client.CoreV1().Events("ns").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) > 0 {
			e := list.Items[0]
			if e.InvolvedObject.Kind != "MachineClass" || e.InvolvedObject.APIVersion != "machine.sapcloud.io/v1alpha1" ||
				e.InvolvedObject.Name != "class-a" || e.InvolvedObject.UID != mc.UID || e.Reason != ReasonProviderSpecWarning ||
				e.Type != corev1.EventTypeWarning || e.Source.Component != EventComponent {
				t.Fatalf("Event %+v", e)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no Event written in ns")
}
