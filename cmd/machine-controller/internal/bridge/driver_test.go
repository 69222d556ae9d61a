package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcstatus "google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

// fakeServer is a Go stand-in for the plugin: each test sets the answer it needs.
type fakeServer struct {
	driverv1.UnimplementedDriverServiceServer
	create  func(*driverv1.CreateMachineRequest) (*driverv1.CreateMachineResponse, error)
	init    func(*driverv1.InitializeMachineRequest) (*driverv1.InitializeMachineResponse, error)
	del     func(*driverv1.DeleteMachineRequest) (*driverv1.DeleteMachineResponse, error)
	get     func(context.Context, *driverv1.GetMachineStatusRequest) (*driverv1.GetMachineStatusResponse, error)
	list    func(*driverv1.ListMachinesRequest) (*driverv1.ListMachinesResponse, error)
	volumes func(*driverv1.GetVolumeIDsRequest) (*driverv1.GetVolumeIDsResponse, error)
}

func (f *fakeServer) CreateMachine(_ context.Context, r *driverv1.CreateMachineRequest) (*driverv1.CreateMachineResponse, error) {
	return f.create(r)
}
func (f *fakeServer) InitializeMachine(_ context.Context, r *driverv1.InitializeMachineRequest) (*driverv1.InitializeMachineResponse, error) {
	return f.init(r)
}
func (f *fakeServer) DeleteMachine(_ context.Context, r *driverv1.DeleteMachineRequest) (*driverv1.DeleteMachineResponse, error) {
	return f.del(r)
}
func (f *fakeServer) GetMachineStatus(ctx context.Context, r *driverv1.GetMachineStatusRequest) (*driverv1.GetMachineStatusResponse, error) {
	return f.get(ctx, r)
}
func (f *fakeServer) ListMachines(_ context.Context, r *driverv1.ListMachinesRequest) (*driverv1.ListMachinesResponse, error) {
	return f.list(r)
}
func (f *fakeServer) GetVolumeIDs(_ context.Context, r *driverv1.GetVolumeIDsRequest) (*driverv1.GetVolumeIDsResponse, error) {
	return f.volumes(r)
}

type fakeConn struct {
	client driverv1.DriverServiceClient
	broken *atomic.Int32
}

func (c fakeConn) Driver() driverv1.DriverServiceClient { return c.client }
func (c fakeConn) Broken(error)                         { c.broken.Add(1) }

type fakePlugins struct{ conn fakeConn }

func (p fakePlugins) Acquire(context.Context) (Conn, error) { return p.conn, nil }

type downPlugins struct{}

func (downPlugins) Acquire(context.Context) (Conn, error) {
	return nil, fmt.Errorf("exec: no such file")
}

type harness struct {
	fake   *fakeServer
	bridge *Bridge
	broken *atomic.Int32
	stop   func()
}

func newHarness(t *testing.T, timeout time.Duration) *harness {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "d.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fake := &fakeServer{}
	driverv1.RegisterDriverServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	cc, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	broken := &atomic.Int32{}
	h := &harness{
		fake:   fake,
		broken: broken,
		bridge: New(fakePlugins{fakeConn{driverv1.NewDriverServiceClient(cc), broken}}, timeout, "test"),
		stop:   srv.Stop,
	}
	t.Cleanup(func() { _ = cc.Close(); srv.Stop() })
	return h
}

func machineReq() (*v1alpha1.Machine, *v1alpha1.MachineClass, *corev1.Secret) {
	m := &v1alpha1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m-1", Namespace: "ns"}, Spec: v1alpha1.MachineSpec{ProviderID: "stackit://p/s"}}
	mc := &v1alpha1.MachineClass{ObjectMeta: metav1.ObjectMeta{Name: "class-a"}, Provider: "STACKIT"}
	s := &corev1.Secret{Data: map[string][]byte{"userData": []byte("#!/bin/sh\necho hi"), "serviceAccountKey": {0, 1, 2, 255}}}
	return m, mc, s
}

func statusOf(t *testing.T, err error) *status.Status {
	t.Helper()
	s, ok := status.FromError(err)
	if !ok {
		t.Fatalf("not a machinecodes error: %v", err)
	}
	return s
}

func TestRequestsCarryKubernetesJSON(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	var got *driverv1.CreateMachineRequest
	h.fake.create = func(r *driverv1.CreateMachineRequest) (*driverv1.CreateMachineResponse, error) {
		got = r
		return &driverv1.CreateMachineResponse{ProviderId: "stackit://p/s", NodeName: "n"}, nil
	}
	m, mc, s := machineReq()
	if _, err := h.bridge.CreateMachine(context.Background(), &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s}); err != nil {
		t.Fatal(err)
	}
	var gm v1alpha1.Machine
	var gmc v1alpha1.MachineClass
	var raw struct {
		Data map[string]string `json:"data"`
	}
	for _, u := range []struct {
		b []byte
		v any
	}{{got.Machine, &gm}, {got.MachineClass, &gmc}, {got.Secret, &raw}} {
		if err := json.Unmarshal(u.b, u.v); err != nil {
			t.Fatal(err)
		}
	}
	if gm.Name != "m-1" || gm.Spec.ProviderID != "stackit://p/s" || gmc.Name != "class-a" || gmc.Provider != "STACKIT" {
		t.Fatalf("objects: %+v %+v", gm, gmc)
	}
	// Secret data is base64, as in the Kubernetes API.
	if raw.Data["userData"] != "IyEvYmluL3NoCmVjaG8gaGk=" || raw.Data["serviceAccountKey"] != "AAEC/w==" {
		t.Fatalf("secret data: %v", raw.Data)
	}
}

func TestNilObjectsTravelAsEmptyBytes(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	var got *driverv1.DeleteMachineRequest
	h.fake.del = func(r *driverv1.DeleteMachineRequest) (*driverv1.DeleteMachineResponse, error) {
		got = r
		return &driverv1.DeleteMachineResponse{}, nil
	}
	m, _, _ := machineReq()
	if _, err := h.bridge.DeleteMachine(context.Background(), &driver.DeleteMachineRequest{Machine: m}); err != nil {
		t.Fatal(err)
	}
	if len(got.MachineClass) != 0 || len(got.Secret) != 0 || len(got.Machine) == 0 {
		t.Fatalf("request: class %q secret %q", got.MachineClass, got.Secret)
	}
}

func TestSuccessResponsesConvert(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	addrs := []*driverv1.NodeAddress{{Type: "InternalIP", Address: "10.0.0.1"}, {Type: "Hostname", Address: "m-1"}}
	h.fake.create = func(*driverv1.CreateMachineRequest) (*driverv1.CreateMachineResponse, error) {
		return &driverv1.CreateMachineResponse{ProviderId: "stackit://p/s", NodeName: "m-1", LastKnownState: "st", Addresses: addrs}, nil
	}
	h.fake.init = func(*driverv1.InitializeMachineRequest) (*driverv1.InitializeMachineResponse, error) {
		return &driverv1.InitializeMachineResponse{ProviderId: "stackit://p/s", NodeName: "m-1"}, nil
	}
	h.fake.del = func(*driverv1.DeleteMachineRequest) (*driverv1.DeleteMachineResponse, error) {
		return &driverv1.DeleteMachineResponse{LastKnownState: "gone"}, nil
	}
	h.fake.get = func(context.Context, *driverv1.GetMachineStatusRequest) (*driverv1.GetMachineStatusResponse, error) {
		return &driverv1.GetMachineStatusResponse{ProviderId: "stackit://p/s", NodeName: "m-1", Addresses: addrs}, nil
	}
	ctx := context.Background()
	m, mc, s := machineReq()

	cr, err := h.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil || cr.ProviderID != "stackit://p/s" || cr.NodeName != "m-1" || cr.LastKnownState != "st" ||
		len(cr.Addresses) != 2 || cr.Addresses[0] != (corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "10.0.0.1"}) {
		t.Fatalf("create: %+v %v", cr, err)
	}
	ir, err := h.bridge.InitializeMachine(ctx, &driver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil || ir.ProviderID != "stackit://p/s" || ir.Addresses != nil {
		t.Fatalf("init: %+v %v (no addresses must stay nil)", ir, err)
	}
	dr, err := h.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil || dr.LastKnownState != "gone" {
		t.Fatalf("delete: %+v %v", dr, err)
	}
	gr, err := h.bridge.GetMachineStatus(ctx, &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
	if err != nil || gr.NodeName != "m-1" || len(gr.Addresses) != 2 {
		t.Fatalf("status: %+v %v", gr, err)
	}
}

func TestListMachinesLargeAndEmpty(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	want := map[string]string{}
	for i := range 5000 {
		want[fmt.Sprintf("stackit://project-0000/server-%08d-aaaa-bbbb-cccc-dddddddddddd", i)] = fmt.Sprintf("shoot--proj--worker-z1-5d8f7-%05d", i)
	}
	var answer map[string]string
	h.fake.list = func(*driverv1.ListMachinesRequest) (*driverv1.ListMachinesResponse, error) {
		return &driverv1.ListMachinesResponse{MachineList: answer}, nil
	}
	_, mc, s := machineReq()
	answer = want
	r, err := h.bridge.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if err != nil || len(r.MachineList) != 5000 {
		t.Fatalf("list: %d %v", len(r.MachineList), err)
	}
	for k, v := range want {
		if r.MachineList[k] != v {
			t.Fatalf("entry %s = %q, want %q", k, r.MachineList[k], v)
		}
	}
	answer = nil
	r, err = h.bridge.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if err != nil || r.MachineList == nil || len(r.MachineList) != 0 {
		t.Fatalf("empty list must be a non-nil empty map: %#v %v", r, err)
	}
}

func TestGetVolumeIDs(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	var got [][]byte
	var answer []string
	h.fake.volumes = func(r *driverv1.GetVolumeIDsRequest) (*driverv1.GetVolumeIDsResponse, error) {
		got = r.PvSpecs
		return &driverv1.GetVolumeIDsResponse{VolumeIds: answer}, nil
	}
	specs := []*corev1.PersistentVolumeSpec{
		{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "block-storage.csi.stackit.cloud", VolumeHandle: "vol-1"}}},
		nil,
	}
	answer = []string{"vol-1"}
	r, err := h.bridge.GetVolumeIDs(context.Background(), &driver.GetVolumeIDsRequest{PVSpecs: specs})
	if err != nil || len(r.VolumeIDs) != 1 || r.VolumeIDs[0] != "vol-1" {
		t.Fatalf("volumes: %+v %v", r, err)
	}
	if len(got) != 2 || len(got[1]) != 0 {
		t.Fatalf("pv specs on the wire: %q", got)
	}
	var spec corev1.PersistentVolumeSpec
	if err := json.Unmarshal(got[0], &spec); err != nil || spec.CSI.VolumeHandle != "vol-1" {
		t.Fatalf("spec json %s: %v", got[0], err)
	}
	answer = nil
	r, err = h.bridge.GetVolumeIDs(context.Background(), &driver.GetVolumeIDsRequest{})
	if err != nil || r.VolumeIDs == nil || len(r.VolumeIDs) != 0 {
		t.Fatalf("no volumes must be a non-nil empty slice: %#v %v", r, err)
	}
}

// Every method, every code: the driver's error comes back as exactly that machinecodes error.
func TestEveryCodeFromEveryMethod(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	var st *driverv1.Status
	h.fake.create = func(*driverv1.CreateMachineRequest) (*driverv1.CreateMachineResponse, error) {
		return &driverv1.CreateMachineResponse{Error: st, LastKnownState: "partial-state"}, nil
	}
	h.fake.init = func(*driverv1.InitializeMachineRequest) (*driverv1.InitializeMachineResponse, error) {
		return &driverv1.InitializeMachineResponse{Error: st}, nil
	}
	h.fake.del = func(*driverv1.DeleteMachineRequest) (*driverv1.DeleteMachineResponse, error) {
		return &driverv1.DeleteMachineResponse{Error: st}, nil
	}
	h.fake.get = func(context.Context, *driverv1.GetMachineStatusRequest) (*driverv1.GetMachineStatusResponse, error) {
		return &driverv1.GetMachineStatusResponse{Error: st, ProviderId: "stackit://p/s", NodeName: "m-1"}, nil
	}
	h.fake.list = func(*driverv1.ListMachinesRequest) (*driverv1.ListMachinesResponse, error) {
		return &driverv1.ListMachinesResponse{Error: st}, nil
	}
	h.fake.volumes = func(*driverv1.GetVolumeIDsRequest) (*driverv1.GetVolumeIDsResponse, error) {
		return &driverv1.GetVolumeIDsResponse{Error: st}, nil
	}
	ctx := context.Background()
	m, mc, s := machineReq()
	for c := int32(1); c <= 17; c++ {
		msg := fmt.Sprintf("failure %d [detail [x]]", c)
		st = &driverv1.Status{Code: c, Message: msg}
		cr, cerr := h.bridge.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
		ir, ierr := h.bridge.InitializeMachine(ctx, &driver.InitializeMachineRequest{Machine: m, MachineClass: mc, Secret: s})
		dr, derr := h.bridge.DeleteMachine(ctx, &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s})
		gr, gerr := h.bridge.GetMachineStatus(ctx, &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s})
		lr, lerr := h.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
		vr, verr := h.bridge.GetVolumeIDs(ctx, &driver.GetVolumeIDsRequest{})
		for name, err := range map[string]error{"create": cerr, "init": ierr, "delete": derr, "status": gerr, "list": lerr, "volumes": verr} {
			s := statusOf(t, err)
			if int32(s.Code()) != c || s.Message() != msg {
				t.Fatalf("%s code %d: got %v %q", name, c, s.Code(), s.Message())
			}
		}
		// Machine responses are never nil (MCM reads them on errors); list/volume responses are.
		if cr == nil || cr.LastKnownState != "partial-state" || ir == nil || dr == nil || gr == nil || lr != nil || vr != nil {
			t.Fatalf("code %d: responses %v %v %v %v %v %v", c, cr, ir, dr, gr, lr, vr)
		}
		// The partial GetMachineStatus response MCM reads with Uninitialized.
		if gr.ProviderID != "stackit://p/s" || gr.NodeName != "m-1" {
			t.Fatalf("code %d: partial status response %+v", c, gr)
		}
	}
}

func TestTransportFailures(t *testing.T) {
	ctx := context.Background()
	m, mc, s := machineReq()
	req := &driver.GetMachineStatusRequest{Machine: m, MachineClass: mc, Secret: s}

	t.Run("hung call hits the deadline", func(t *testing.T) {
		h := newHarness(t, 300*time.Millisecond)
		h.fake.get = func(ctx context.Context, _ *driverv1.GetMachineStatusRequest) (*driverv1.GetMachineStatusResponse, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		resp, err := h.bridge.GetMachineStatus(ctx, req)
		if st := statusOf(t, err); st.Code() != codes.DeadlineExceeded {
			t.Fatalf("got %v: %s", st.Code(), st.Message())
		}
		if resp == nil {
			t.Fatal("GetMachineStatus response must not be nil")
		}
		if h.broken.Load() != 0 {
			t.Fatal("a deadline must not retire the plugin")
		}
	})

	t.Run("server gone is Unavailable and reported", func(t *testing.T) {
		h := newHarness(t, 2*time.Second)
		h.stop()
		_, err := h.bridge.GetMachineStatus(ctx, req)
		if st := statusOf(t, err); st.Code() != codes.Unavailable {
			t.Fatalf("got %v: %s", st.Code(), st.Message())
		}
		if h.broken.Load() != 1 {
			t.Fatalf("Broken called %d times", h.broken.Load())
		}
	})

	t.Run("plugin cannot start is Unavailable", func(t *testing.T) {
		b := New(downPlugins{}, time.Second, "test")
		_, err := b.CreateMachine(ctx, &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s})
		if st := statusOf(t, err); st.Code() != codes.Unavailable {
			t.Fatalf("got %v: %s", st.Code(), st.Message())
		}
	})

	t.Run("other gRPC errors keep their code", func(t *testing.T) {
		h := newHarness(t, time.Second)
		for _, c := range []grpccodes.Code{grpccodes.Unimplemented, grpccodes.Internal, grpccodes.ResourceExhausted} {
			h.fake.list = func(*driverv1.ListMachinesRequest) (*driverv1.ListMachinesResponse, error) {
				return nil, grpcstatus.Error(c, "protocol [mismatch")
			}
			_, err := h.bridge.ListMachines(ctx, &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
			st := statusOf(t, err)
			if uint32(st.Code()) != uint32(c) || !strings.Contains(st.Message(), "protocol (mismatch") {
				t.Fatalf("%v: got %v %q", c, st.Code(), st.Message())
			}
		}
		if h.broken.Load() != 0 {
			t.Fatal("only Unavailable retires the plugin")
		}
	})
}

func TestDriverMetrics(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	var st *driverv1.Status
	h.fake.list = func(*driverv1.ListMachinesRequest) (*driverv1.ListMachinesResponse, error) {
		return &driverv1.ListMachinesResponse{Error: st}, nil
	}
	_, mc, s := machineReq()
	failed := func() float64 {
		return testutil.ToFloat64(metrics.DriverFailedAPIRequests.WithLabelValues("test", "ListMachines", "8"))
	}
	before, okBefore := failed(), testutil.CollectAndCount(metrics.DriverAPIRequestDuration)
	st = &driverv1.Status{Code: int32(codes.ResourceExhausted), Message: "quota"}
	_, _ = h.bridge.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: mc, Secret: s})
	if failed() != before+1 {
		t.Fatalf("failed counter %v -> %v", before, failed())
	}
	st = nil
	if _, err := h.bridge.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: mc, Secret: s}); err != nil {
		t.Fatal(err)
	}
	if testutil.CollectAndCount(metrics.DriverAPIRequestDuration) < max(okBefore, 1) {
		t.Fatal("no duration recorded for a successful call")
	}
}

// The cloud API requests the plugin reports for a call land in MCM's own metrics, as a Go provider
// records them: successful ones in requests_total and the duration histogram, failed ones in
// requests_failed_total. A failed driver call made API requests too: they count as well.
func TestAPICallsRecordedInMCMMetrics(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	calls := []*driverv1.ApiCall{
		{Service: "ListServers", DurationSeconds: 0.2},
		{Service: "CreateServer", DurationSeconds: 0.5},
		{Service: "CreateServer", DurationSeconds: 0.1, Failed: true},
	}
	h.fake.create = func(*driverv1.CreateMachineRequest) (*driverv1.CreateMachineResponse, error) {
		return &driverv1.CreateMachineResponse{ProviderId: "stackit://p/s", NodeName: "n", ApiCalls: calls}, nil
	}
	h.fake.del = func(*driverv1.DeleteMachineRequest) (*driverv1.DeleteMachineResponse, error) {
		return &driverv1.DeleteMachineResponse{
			ApiCalls: []*driverv1.ApiCall{{Service: "DeleteServer", DurationSeconds: 0.3, Failed: true}},
			Error:    &driverv1.Status{Code: int32(codes.Unavailable), Message: "HTTP 503"},
		}, nil
	}
	ok := func(svc string) float64 {
		return testutil.ToFloat64(metrics.APIRequestCount.WithLabelValues("test", svc))
	}
	failed := func(svc string) float64 {
		return testutil.ToFloat64(metrics.APIFailedRequestCount.WithLabelValues("test", svc))
	}
	histCount := func(svc string) uint64 {
		var m dto.Metric
		if err := metrics.APIRequestDuration.WithLabelValues("test", svc).(prometheus.Metric).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetHistogram().GetSampleCount()
	}
	okList, okCreate, failedCreate, failedDelete := ok("ListServers"), ok("CreateServer"), failed("CreateServer"), failed("DeleteServer")
	histCreate, histDelete := histCount("CreateServer"), histCount("DeleteServer")

	m, mc, s := machineReq()
	if _, err := h.bridge.CreateMachine(context.Background(), &driver.CreateMachineRequest{Machine: m, MachineClass: mc, Secret: s}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.bridge.DeleteMachine(context.Background(), &driver.DeleteMachineRequest{Machine: m, MachineClass: mc, Secret: s}); statusOf(t, err).Code() != codes.Unavailable {
		t.Fatalf("delete: %v", err)
	}
	if got := ok("ListServers") - okList; got != 1 {
		t.Errorf("requests_total{ListServers} +%v, want +1", got)
	}
	if got := ok("CreateServer") - okCreate; got != 1 {
		t.Errorf("requests_total{CreateServer} +%v, want +1 (the successful one)", got)
	}
	if got := failed("CreateServer") - failedCreate; got != 1 {
		t.Errorf("requests_failed_total{CreateServer} +%v, want +1", got)
	}
	if got := failed("DeleteServer") - failedDelete; got != 1 {
		t.Errorf("requests_failed_total{DeleteServer} +%v, want +1 (reported by a failed driver call)", got)
	}
	if got := histCount("CreateServer") - histCreate; got != 1 {
		t.Errorf("api_request_duration_seconds{CreateServer} +%d observations, want +1 (successful requests only)", got)
	}
	if got := histCount("DeleteServer") - histDelete; got != 0 {
		t.Errorf("api_request_duration_seconds{DeleteServer} +%d observations, want 0 (failed requests only)", got)
	}
}

// A nil request from MCM is InvalidArgument, counted as a failed call, and still gets the
// response MCM reads on errors (never nil for the per-Machine methods).
func TestNilRequests(t *testing.T) {
	b := New(downPlugins{}, time.Second, "test")
	calls := map[string]func() (bool, error){
		"CreateMachine":     callNil(b.CreateMachine),
		"InitializeMachine": callNil(b.InitializeMachine),
		"DeleteMachine":     callNil(b.DeleteMachine),
		"GetMachineStatus":  callNil(b.GetMachineStatus),
		"ListMachines":      callNil(b.ListMachines),
		"GetVolumeIDs":      callNil(b.GetVolumeIDs),
	}
	for op, call := range calls {
		failed := func() float64 {
			return testutil.ToFloat64(metrics.DriverFailedAPIRequests.WithLabelValues("test", op, "3"))
		}
		before := failed()
		nilResp, err := call()
		st := statusOf(t, err)
		if st.Code() != codes.InvalidArgument || st.Message() != "nil "+op+" request" {
			t.Fatalf("%s: got %v %q", op, st.Code(), st.Message())
		}
		if wantNil := op == "ListMachines" || op == "GetVolumeIDs"; nilResp != wantNil {
			t.Fatalf("%s: nil response %v", op, nilResp)
		}
		if failed() != before+1 {
			t.Fatalf("%s: failed counter %v -> %v", op, before, failed())
		}
	}
}

// callNil calls a driver method with a nil request and reports whether the response was nil.
func callNil[Req, Resp any](method func(context.Context, *Req) (*Resp, error)) func() (bool, error) {
	return func() (bool, error) {
		resp, err := method(context.Background(), nil)
		return resp == nil, err
	}
}
