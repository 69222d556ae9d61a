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

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/metrics"
	grpccodes "google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"

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
func (b *Bridge) CreateMachine(ctx context.Context, req *driver.CreateMachineRequest) (*driver.CreateMachineResponse, error) {
	const op = "CreateMachine"
	resp := &driver.CreateMachineResponse{}
	if req == nil {
		return resp, b.nilRequest(op)
	}
	return resp, machineCall(ctx, b, op, req.Machine, req.MachineClass, req.Secret,
		func(ctx context.Context, c driverv1.DriverServiceClient, in machineInput) (*driverv1.CreateMachineResponse, error) {
			return c.CreateMachine(ctx, &driverv1.CreateMachineRequest{Machine: in.machine, MachineClass: in.machineClass, Secret: in.secret, CreationTimeoutMs: in.timeoutMs})
		},
		func(out *driverv1.CreateMachineResponse) error {
			resp.ProviderID = out.GetProviderId()
			resp.NodeName = out.GetNodeName()
			resp.LastKnownState = out.GetLastKnownState()
			resp.Addresses = decodeAddresses(out.GetAddresses())
			if err := StatusError(out.GetError()); err != nil {
				return err
			}
			b.events.ServerCreated(req.Machine, resp.ProviderID, resp.NodeName)
			return nil
		})
}

// InitializeMachine forwards driver.InitializeMachine.
func (b *Bridge) InitializeMachine(ctx context.Context, req *driver.InitializeMachineRequest) (*driver.InitializeMachineResponse, error) {
	const op = "InitializeMachine"
	resp := &driver.InitializeMachineResponse{}
	if req == nil {
		return resp, b.nilRequest(op)
	}
	return resp, machineCall(ctx, b, op, req.Machine, req.MachineClass, req.Secret,
		func(ctx context.Context, c driverv1.DriverServiceClient, in machineInput) (*driverv1.InitializeMachineResponse, error) {
			return c.InitializeMachine(ctx, &driverv1.InitializeMachineRequest{Machine: in.machine, MachineClass: in.machineClass, Secret: in.secret, CreationTimeoutMs: in.timeoutMs})
		},
		func(out *driverv1.InitializeMachineResponse) error {
			resp.ProviderID = out.GetProviderId()
			resp.NodeName = out.GetNodeName()
			resp.Addresses = decodeAddresses(out.GetAddresses())
			err := StatusError(out.GetError())
			if err != nil && out.GetError().GetMachineFailed() {
				markCtx, cancel := context.WithTimeout(ctx, b.timeout)
				defer cancel()
				b.creation.markFailed(markCtx, req.Machine, err)
			}
			return err
		})
}

// DeleteMachine forwards driver.DeleteMachine.
func (b *Bridge) DeleteMachine(ctx context.Context, req *driver.DeleteMachineRequest) (*driver.DeleteMachineResponse, error) {
	const op = "DeleteMachine"
	resp := &driver.DeleteMachineResponse{}
	if req == nil {
		return resp, b.nilRequest(op)
	}
	return resp, machineCall(ctx, b, op, req.Machine, req.MachineClass, req.Secret,
		func(ctx context.Context, c driverv1.DriverServiceClient, in machineInput) (*driverv1.DeleteMachineResponse, error) {
			return c.DeleteMachine(ctx, &driverv1.DeleteMachineRequest{Machine: in.machine, MachineClass: in.machineClass, Secret: in.secret, CreationTimeoutMs: in.timeoutMs})
		},
		func(out *driverv1.DeleteMachineResponse) error {
			resp.LastKnownState = out.GetLastKnownState()
			return StatusError(out.GetError())
		})
}

// GetMachineStatus forwards driver.GetMachineStatus. The response is never nil: with
// Uninitialized MCM reads NodeName and ProviderID from it.
func (b *Bridge) GetMachineStatus(ctx context.Context, req *driver.GetMachineStatusRequest) (*driver.GetMachineStatusResponse, error) {
	const op = "GetMachineStatus"
	resp := &driver.GetMachineStatusResponse{}
	if req == nil {
		return resp, b.nilRequest(op)
	}
	return resp, machineCall(ctx, b, op, req.Machine, req.MachineClass, req.Secret,
		func(ctx context.Context, c driverv1.DriverServiceClient, in machineInput) (*driverv1.GetMachineStatusResponse, error) {
			return c.GetMachineStatus(ctx, &driverv1.GetMachineStatusRequest{Machine: in.machine, MachineClass: in.machineClass, Secret: in.secret, CreationTimeoutMs: in.timeoutMs})
		},
		func(out *driverv1.GetMachineStatusResponse) error {
			resp.ProviderID = out.GetProviderId()
			resp.NodeName = out.GetNodeName()
			resp.Addresses = decodeAddresses(out.GetAddresses())
			return StatusError(out.GetError())
		})
}

// ListMachines forwards driver.ListMachines. On success MachineList is never nil.
func (b *Bridge) ListMachines(ctx context.Context, req *driver.ListMachinesRequest) (_ *driver.ListMachinesResponse, err error) {
	const op = "ListMachines"
	if req == nil {
		return nil, b.nilRequest(op)
	}
	defer b.observe(op, time.Now(), &err)
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
	if req == nil {
		return nil, b.nilRequest(op)
	}
	defer b.observe(op, time.Now(), &err)
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

// nilRequest is the error for a nil request from MCM, counted as a failed call.
func (b *Bridge) nilRequest(op string) error {
	err := status.Error(codes.InvalidArgument, "nil "+op+" request")
	b.observe(op, time.Now(), &err)
	return err
}

// machineInput is what the plugin gets for one Machine: the objects' JSON and the Machine's
// creation timeout.
type machineInput struct {
	machineObjects
	timeoutMs int64
}

// machineResponse is what every per-Machine driver response has besides its own fields.
type machineResponse interface {
	response
	GetWarnings() []string
}

// machineCall is what CreateMachine, InitializeMachine, DeleteMachine and GetMachineStatus share:
// encode the objects, call rpc through call, post the class's warnings, let decode fill MCM's
// response and return the call's error, post that error on the Machine and record the driver
// metrics. The request types differ only in name, so rpc builds its own.
func machineCall[Out machineResponse](ctx context.Context, b *Bridge, op string, m *v1alpha1.Machine, mc *v1alpha1.MachineClass, s *corev1.Secret,
	rpc func(context.Context, driverv1.DriverServiceClient, machineInput) (Out, error), decode func(Out) error,
) (err error) {
	defer b.observe(op, time.Now(), &err)
	defer func() { b.events.MachineResult(op, m, err) }()
	o, err := encodeObjects(m, mc, s)
	if err != nil {
		return status.Error(codes.Internal, SafeMessage(err.Error()))
	}
	in := machineInput{machineObjects: o, timeoutMs: b.creation.timeoutMs(m)}
	out, err := call(ctx, b, op, func(ctx context.Context, c driverv1.DriverServiceClient) (Out, error) {
		return rpc(ctx, c, in)
	})
	if err != nil {
		return err
	}
	b.events.ClassWarnings(mc, out.GetWarnings())
	return decode(out)
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
