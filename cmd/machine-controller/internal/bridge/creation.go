package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	machineclient "github.com/gardener/machine-controller-manager/pkg/client/clientset/versioned/typed/machine/v1alpha1"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// CreationFlow is what the bridge adds to MCM's creation flow: the Machine's effective creation
// timeout for the driver, and the Failed marking of a Machine the driver says can never run.
type CreationFlow struct {
	// DefaultTimeout is --machine-creation-timeout (MCM's safetyOptions.MachineCreationTimeout).
	DefaultTimeout time.Duration
	// Failer writes the Failed marking; nil leaves every failure to MCM's own handling.
	Failer Failer
}

// Failer marks a Machine phase Failed.
type Failer interface {
	MarkFailed(ctx context.Context, m *v1alpha1.Machine, op v1alpha1.LastOperation) error
}

// EffectiveCreationTimeout is MCM's getEffectiveCreationTimeout (machine_util.go): the Machine's
// own creationTimeout when set, else the flag.
func EffectiveCreationTimeout(m *v1alpha1.Machine, def time.Duration) time.Duration {
	if m != nil && m.Spec.MachineConfiguration != nil && m.Spec.MachineCreationTimeout != nil {
		return m.Spec.MachineCreationTimeout.Duration
	}
	return def
}

func (f CreationFlow) timeoutMs(m *v1alpha1.Machine) int64 {
	return EffectiveCreationTimeout(m, f.DefaultTimeout).Milliseconds()
}

// markFailed turns an InitializeMachine failure the driver flagged as final into phase Failed,
// with lastOperation Type Create, State Failed and the driver's code, as MCM's stale-node path in
// triggerCreationFlow does (machine.go). Without it MCM would show CrashLoopBackOff and retry the
// dead server every 5 s until the creation timeout (20 min by default).
//
// Races: the update carries the resourceVersion MCM passed in. MCM writes its own status for the
// same error right after this call returns, with that same resourceVersion, so exactly one of the
// two writes wins: ours (MCM's then gets a conflict and requeues; the Machine is Failed and its
// MachineSet replaces it) or, when anything changed the Machine first, MCM's (CrashLoopBackOff for
// now; the next pass asks the driver again and this is tried again).
func (f CreationFlow) markFailed(ctx context.Context, m *v1alpha1.Machine, driverErr error) {
	if f.Failer == nil || m == nil || driverErr == nil || m.DeletionTimestamp != nil {
		return
	}
	s, _ := status.FromError(driverErr)
	now := metav1.Now()
	op := v1alpha1.LastOperation{
		Description:    fmt.Sprintf("Cloud provider message - %s. Machine marked Failed so that it is replaced", driverErr.Error()),
		ErrorCode:      s.Code().String(),
		State:          v1alpha1.MachineStateFailed,
		Type:           v1alpha1.MachineOperationCreate,
		LastUpdateTime: now,
	}
	if err := f.Failer.MarkFailed(ctx, m, op); err != nil {
		klog.Warningf("could not mark machine %q Failed (the next creation pass tries again): %v", m.Name, err)
		return
	}
	klog.Infof("machine %q marked Failed: its creation cannot succeed (%s)", m.Name, s.Code().String())
}

// StatusFailer writes the marking through the machine.sapcloud.io status subresource.
type StatusFailer struct {
	Client machineclient.MachineV1alpha1Interface
}

// MarkFailed updates the Machine's status to phase Failed with op as lastOperation. It never
// retries a conflict: a conflict means MCM or a user changed the Machine since the driver looked.
func (s StatusFailer) MarkFailed(ctx context.Context, m *v1alpha1.Machine, op v1alpha1.LastOperation) error {
	clone := m.DeepCopy()
	clone.Status.LastOperation = op
	clone.Status.CurrentStatus = v1alpha1.CurrentStatus{
		Phase:              v1alpha1.MachineFailed,
		LastUpdateTime:     op.LastUpdateTime,
		PreserveExpiryTime: m.Status.CurrentStatus.PreserveExpiryTime,
	}
	_, err := s.Client.Machines(m.Namespace).UpdateStatus(ctx, clone, metav1.UpdateOptions{})
	return err
}
