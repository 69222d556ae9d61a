package bridge

import (
	"encoding/json"
	"fmt"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

// machineObjects is the JSON of one request's Kubernetes objects; nil objects stay empty bytes.
type machineObjects struct {
	machine, machineClass, secret []byte
}

func encodeObjects(m *v1alpha1.Machine, mc *v1alpha1.MachineClass, s *corev1.Secret) (machineObjects, error) {
	var o machineObjects
	var err error
	if o.machine, err = marshalOrEmpty(m); err != nil {
		return o, fmt.Errorf("encode Machine: %w", err)
	}
	if o.machineClass, err = marshalOrEmpty(mc); err != nil {
		return o, fmt.Errorf("encode MachineClass: %w", err)
	}
	// corev1.Secret marshals data values as base64, as the Kubernetes API does. The error text of
	// json.Marshal never contains values, so it is safe to return.
	if o.secret, err = marshalOrEmpty(s); err != nil {
		return o, fmt.Errorf("encode Secret: %w", err)
	}
	return o, nil
}

func marshalOrEmpty[T any](v *T) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

func encodePVSpecs(specs []*corev1.PersistentVolumeSpec) ([][]byte, error) {
	out := make([][]byte, len(specs))
	for i, s := range specs {
		b, err := marshalOrEmpty(s)
		if err != nil {
			return nil, fmt.Errorf("encode PersistentVolumeSpec %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}

// decodeAddresses returns nil for none, like a driver that does not report addresses.
func decodeAddresses(in []*driverv1.NodeAddress) []corev1.NodeAddress {
	if len(in) == 0 {
		return nil
	}
	out := make([]corev1.NodeAddress, 0, len(in))
	for _, a := range in {
		out = append(out, corev1.NodeAddress{Type: corev1.NodeAddressType(a.GetType()), Address: a.GetAddress()})
	}
	return out
}
