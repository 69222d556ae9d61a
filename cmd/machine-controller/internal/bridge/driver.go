// Package bridge implements MCM's driver.Driver by forwarding every call to the driver plugin over
// gRPC and turning the answers back into exactly what MCM expects: its response structs and
// machinecodes/status errors.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/metrics"
	grpccodes "google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

// Plugins hands out connections to a running driver plugin.
type Plugins interface {
	// Acquire returns a connection to a running plugin, starting one if none runs. Concurrent
	// callers share one start.
	Acquire(ctx context.Context) (Conn, error)
}

// Conn is one connection to one plugin process.
type Conn interface {
	Driver() driverv1.DriverServiceClient
	// Broken reports that a call failed at the transport level (the process may be gone).
	Broken(err error)
}

// Bridge is the driver.Driver MCM's machine controller runs with.
type Bridge struct {
	plugins Plugins
	// timeout bounds every call: MCM passes context.Background().
	timeout time.Duration
	// provider labels MCM's driver metrics.
	provider string
	creation CreationFlow
	// events posts class warnings and driver errors as Events (events.go); nil posts none.
	events *Events
	// machines lists the namespace's Machines for ListMachines (machines.go); nil: unknown.
	machines MachineLister
}

var _ driver.Driver = (*Bridge)(nil)

// New returns a Bridge calling plugins with the given per-call timeout.
func New(plugins Plugins, timeout time.Duration, provider string) *Bridge {
	return &Bridge{plugins: plugins, timeout: timeout, provider: provider}
}

// WithCreationFlow sets what the bridge adds to MCM's creation flow (see creation.go).
func (b *Bridge) WithCreationFlow(cf CreationFlow) *Bridge {
	b.creation = cf
	return b
}

// CreateMachine forwards driver.CreateMachine. The response is never nil: MCM reads
// LastKnownState from it on errors.
func (b *Bridge) CreateMachine(ctx context.Context, req *driver.CreateMachineRequest) (_ *driver.CreateMachineResponse, err error) {
	const op = "CreateMachine"
	defer b.observe(op, time.Now(), &err)
	resp := &driver.CreateMachineResponse{}
	if req == nil {
		return resp, status.Error(codes.InvalidArgument, "nil CreateMachine request")
	}
	defer func() { b.events.MachineResult(op, req.Machine, err) }()
	o, err := encodeObjects(req.Machine, req.MachineClass, req.Secret)
	if err != nil {
		return resp, status.Error(codes.Internal, SafeMessage(err.Error()))
	}
	out, err := call(ctx, b, op, func(ctx context.Context, c driverv1.DriverServiceClient) (*driverv1.CreateMachineResponse, error) {
		return c.CreateMachine(ctx, &driverv1.CreateMachineRequest{Machine: o.machine, MachineClass: o.machineClass, Secret: o.secret, CreationTimeoutMs: b.creation.timeoutMs(req.Machine)})
	})
	if err != nil {
		return resp, err
	}
	b.events.ClassWarnings(req.MachineClass, out.GetWarnings())
	resp.ProviderID = out.GetProviderId()
	resp.NodeName = out.GetNodeName()
	resp.LastKnownState = out.GetLastKnownState()
	resp.Addresses = decodeAddresses(out.GetAddresses())
	if err := StatusError(out.GetError()); err != nil {
		return resp, err
	}
	b.events.ServerCreated(req.Machine, resp.ProviderID, resp.NodeName)
	return resp, nil
}

// InitializeMachine forwards driver.InitializeMachine.
func (b *Bridge) InitializeMachine(ctx context.Context, req *driver.InitializeMachineRequest) (_ *driver.InitializeMachineResponse, err error) {
	const op = "InitializeMachine"
	defer b.observe(op, time.Now(), &err)
	resp := &driver.InitializeMachineResponse{}
	if req == nil {
		return resp, status.Error(codes.InvalidArgument, "nil InitializeMachine request")
	}
	defer func() { b.events.MachineResult(op, req.Machine, err) }()
	o, err := encodeObjects(req.Machine, req.MachineClass, req.Secret)
	if err != nil {
		return resp, status.Error(codes.Internal, SafeMessage(err.Error()))
	}
	out, err := call(ctx, b, op, func(ctx context.Context, c driverv1.DriverServiceClient) (*driverv1.InitializeMachineResponse, error) {
		return c.InitializeMachine(ctx, &driverv1.InitializeMachineRequest{Machine: o.machine, MachineClass: o.machineClass, Secret: o.secret, CreationTimeoutMs: b.creation.timeoutMs(req.Machine)})
	})
	if err != nil {
		return resp, err
	}
	b.events.ClassWarnings(req.MachineClass, out.GetWarnings())
	resp.ProviderID = out.GetProviderId()
	resp.NodeName = out.GetNodeName()
	resp.Addresses = decodeAddresses(out.GetAddresses())
	err = StatusError(out.GetError())
	if err != nil && out.GetError().GetMachineFailed() {
		markCtx, cancel := context.WithTimeout(ctx, b.timeout)
		defer cancel()
		b.creation.markFailed(markCtx, req.Machine, err)
	}
	return resp, err
}

// DeleteMachine forwards driver.DeleteMachine.
func (b *Bridge) DeleteMachine(ctx context.Context, req *driver.DeleteMachineRequest) (_ *driver.DeleteMachineResponse, err error) {
	const op = "DeleteMachine"
	defer b.observe(op, time.Now(), &err)
	resp := &driver.DeleteMachineResponse{}
	if req == nil {
		return resp, status.Error(codes.InvalidArgument, "nil DeleteMachine request")
	}
	defer func() { b.events.MachineResult(op, req.Machine, err) }()
	o, err := encodeObjects(req.Machine, req.MachineClass, req.Secret)
	if err != nil {
		return resp, status.Error(codes.Internal, SafeMessage(err.Error()))
	}
	out, err := call(ctx, b, op, func(ctx context.Context, c driverv1.DriverServiceClient) (*driverv1.DeleteMachineResponse, error) {
		return c.DeleteMachine(ctx, &driverv1.DeleteMachineRequest{Machine: o.machine, MachineClass: o.machineClass, Secret: o.secret, CreationTimeoutMs: b.creation.timeoutMs(req.Machine)})
	})
	if err != nil {
		return resp, err
	}
	b.events.ClassWarnings(req.MachineClass, out.GetWarnings())
	resp.LastKnownState = out.GetLastKnownState()
	return resp, StatusError(out.GetError())
}

// GetMachineStatus forwards driver.GetMachineStatus. The response is never nil: with
// Uninitialized MCM reads NodeName and ProviderID from it.
func (b *Bridge) GetMachineStatus(ctx context.Context, req *driver.GetMachineStatusRequest) (_ *driver.GetMachineStatusResponse, err error) {
	const op = "GetMachineStatus"
	defer b.observe(op, time.Now(), &err)
	resp := &driver.GetMachineStatusResponse{}
	if req == nil {
		return resp, status.Error(codes.InvalidArgument, "nil GetMachineStatus request")
	}
	defer func() { b.events.MachineResult(op, req.Machine, err) }()
	o, err := encodeObjects(req.Machine, req.MachineClass, req.Secret)
	if err != nil {
		return resp, status.Error(codes.Internal, SafeMessage(err.Error()))
	}
	out, err := call(ctx, b, op, func(ctx context.Context, c driverv1.DriverServiceClient) (*driverv1.GetMachineStatusResponse, error) {
		return c.GetMachineStatus(ctx, &driverv1.GetMachineStatusRequest{Machine: o.machine, MachineClass: o.machineClass, Secret: o.secret, CreationTimeoutMs: b.creation.timeoutMs(req.Machine)})
	})
	if err != nil {
		return resp, err
	}
	b.events.ClassWarnings(req.MachineClass, out.GetWarnings())
	resp.ProviderID = out.GetProviderId()
	resp.NodeName = out.GetNodeName()
	resp.Addresses = decodeAddresses(out.GetAddresses())
	return resp, StatusError(out.GetError())
}

// ListMachines forwards driver.ListMachines. On success MachineList is never nil.
func (b *Bridge) ListMachines(ctx context.Context, req *driver.ListMachinesRequest) (_ *driver.ListMachinesResponse, err error) {
	const op = "ListMachines"
	defer b.observe(op, time.Now(), &err)
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "nil ListMachines request")
	}
	o, err := encodeObjects(nil, req.MachineClass, req.Secret)
	if err != nil {
		return nil, status.Error(codes.Internal, SafeMessage(err.Error()))
	}
	listReq := &driverv1.ListMachinesRequest{MachineClass: o.machineClass, Secret: o.secret}
	b.addMachines(ctx, req.MachineClass, listReq)
	out, err := call(ctx, b, op, func(ctx context.Context, c driverv1.DriverServiceClient) (*driverv1.ListMachinesResponse, error) {
		return c.ListMachines(ctx, listReq)
	})
	if err != nil {
		return nil, err
	}
	b.events.ClassWarnings(req.MachineClass, out.GetWarnings())
	if err := StatusError(out.GetError()); err != nil {
		return nil, err
	}
	list := out.GetMachineList()
	if list == nil {
		list = map[string]string{}
	}
	return &driver.ListMachinesResponse{MachineList: list}, nil
}

// GetVolumeIDs forwards driver.GetVolumeIDs. On success VolumeIDs is never nil.
func (b *Bridge) GetVolumeIDs(ctx context.Context, req *driver.GetVolumeIDsRequest) (_ *driver.GetVolumeIDsResponse, err error) {
	const op = "GetVolumeIDs"
	defer b.observe(op, time.Now(), &err)
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "nil GetVolumeIDs request")
	}
	specs, err := encodePVSpecs(req.PVSpecs)
	if err != nil {
		return nil, status.Error(codes.Internal, SafeMessage(err.Error()))
	}
	out, err := call(ctx, b, op, func(ctx context.Context, c driverv1.DriverServiceClient) (*driverv1.GetVolumeIDsResponse, error) {
		return c.GetVolumeIDs(ctx, &driverv1.GetVolumeIDsRequest{PvSpecs: specs})
	})
	if err != nil {
		return nil, err
	}
	if err := StatusError(out.GetError()); err != nil {
		return nil, err
	}
	ids := out.GetVolumeIds()
	if ids == nil {
		ids = []string{}
	}
	return &driver.GetVolumeIDsResponse{VolumeIDs: ids}, nil
}

// response is what every driver response has: the cloud API requests made for the call.
type response interface {
	GetApiCalls() []*driverv1.ApiCall
}

// call runs fn against a running plugin under the bridge's deadline and converts bridge-level
// failures (no plugin, transport, deadline) into machinecodes errors. The cloud API requests the
// plugin reports are recorded in MCM's metrics, also when the driver call failed.
func call[R response](ctx context.Context, b *Bridge, op string, fn func(context.Context, driverv1.DriverServiceClient) (R, error)) (R, error) {
	var zero R
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	conn, err := b.plugins.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return zero, status.Error(codes.DeadlineExceeded, fmt.Sprintf("driver plugin did not start within the %s call timeout of %s", op, b.timeout))
		}
		return zero, status.Error(codes.Unavailable, SafeMessage(fmt.Sprintf("driver plugin is not running: %v", err)))
	}
	out, err := fn(ctx, conn.Driver())
	if err != nil {
		st := grpcstatus.Convert(err)
		if st.Code() == grpccodes.Unavailable {
			conn.Broken(err)
		}
		return zero, b.transportError(ctx, op, st)
	}
	RecordAPICalls(b.provider, out.GetApiCalls())
	return out, nil
}

// transportError maps a gRPC-level failure of the bridge itself. Unavailable and DeadlineExceeded
// make MCM retry after 5 s.
func (b *Bridge) transportError(ctx context.Context, op string, st *grpcstatus.Status) error {
	switch {
	case st.Code() == grpccodes.DeadlineExceeded || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, fmt.Sprintf("driver plugin did not complete %s within %s", op, b.timeout))
	case st.Code() == grpccodes.Unavailable:
		return status.Error(codes.Unavailable, SafeMessage(fmt.Sprintf("driver plugin unavailable during %s (it is restarted on the next call): %s", op, st.Message())))
	default:
		// gRPC and MCM share codes 0-16; anything else here is a protocol problem between the two sides.
		return status.Error(codes.Code(st.Code()), SafeMessage(fmt.Sprintf("driver plugin call %s failed: %s", op, st.Message()))) // #nosec G115 -- gRPC codes are 0..16
	}
}

// observe records MCM's driver metrics as the Gardener providers do (aws and azure
// pkg/instrument.RecordDriverAPIMetric): the duration of successful calls; failed calls counted with
// the MCM code as its number (e.g. "14" for Unavailable).
func (b *Bridge) observe(op string, start time.Time, err *error) {
	if *err == nil {
		metrics.DriverAPIRequestDuration.WithLabelValues(b.provider, op).Observe(time.Since(start).Seconds())
		return
	}
	s, _ := status.FromError(*err)
	metrics.DriverFailedAPIRequests.WithLabelValues(b.provider, op, strconv.Itoa(int(s.Code()))).Inc()
}

// RecordAPICalls records the cloud API requests of one driver call in MCM's metrics, as the
// Gardener providers record theirs (aws and azure pkg/instrument.RecordAPIMetric): a successful
// request increments mcm_cloud_api_requests_total and observes its duration in
// mcm_cloud_api_api_request_duration_seconds; a failed one increments
// mcm_cloud_api_requests_failed_total only. All requests = requests_total + requests_failed_total.
func RecordAPICalls(provider string, calls []*driverv1.ApiCall) {
	for _, c := range calls {
		service := c.GetService()
		if service == "" {
			service = "unknown"
		}
		if c.GetFailed() {
			metrics.APIFailedRequestCount.WithLabelValues(provider, service).Inc()
			continue
		}
		metrics.APIRequestCount.WithLabelValues(provider, service).Inc()
		d := c.GetDurationSeconds()
		if d < 0 || math.IsNaN(d) || math.IsInf(d, 0) {
			d = 0
		}
		metrics.APIRequestDuration.WithLabelValues(provider, service).Observe(d)
	}
}
