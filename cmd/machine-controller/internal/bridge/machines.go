package bridge

import (
	"context"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	machineclient "github.com/gardener/machine-controller-manager/pkg/client/clientset/versioned/typed/machine/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

// MachineLister lists the Machines of one namespace of the control cluster.
//
// ListMachines sends them to the driver so that it can adopt the servers the existing Go provider
// created for them: such a server has no namespace label, and only a Machine whose spec.providerID
// names it proves that it belongs to this namespace (another cluster's servers in the same project
// carry the same labels). Without adoption, MCM's orphan collection never sees those servers.
type MachineLister interface {
	Machines(ctx context.Context, namespace string) ([]v1alpha1.Machine, error)
}

// ClientMachineLister lists Machines through the machine.sapcloud.io API.
type ClientMachineLister struct {
	Client machineclient.MachineV1alpha1Interface
}

// Machines lists the namespace's Machines, paged so that a large namespace is not one huge answer.
func (l ClientMachineLister) Machines(ctx context.Context, namespace string) ([]v1alpha1.Machine, error) {
	var out []v1alpha1.Machine
	opts := metav1.ListOptions{Limit: 500}
	for {
		page, err := l.Client.Machines(namespace).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.Continue == "" {
			return out, nil
		}
		opts.Continue = page.Continue
	}
}

// WithMachineLister sets where ListMachines gets the namespace's Machines from; without one the
// driver is told they are unknown and adopts nothing.
func (b *Bridge) WithMachineLister(l MachineLister) *Bridge {
	b.machines = l
	return b
}

// providerIDsOf maps Machine name -> spec.providerID for the Machines that have one.
func providerIDsOf(machines []v1alpha1.Machine) map[string]string {
	out := make(map[string]string, len(machines))
	for i := range machines {
		if id := machines[i].Spec.ProviderID; id != "" {
			out[machines[i].Name] = id
		}
	}
	return out
}

// addMachines puts the Machines of the class's namespace into a ListMachines request. Failing to
// list them does not fail the listing: the driver then lists its own servers as before and leaves
// the Go provider's alone until the next pass.
func (b *Bridge) addMachines(ctx context.Context, class *v1alpha1.MachineClass, req *driverv1.ListMachinesRequest) {
	if b.machines == nil || class == nil {
		return
	}
	if class.Namespace == "" {
		// Never all namespaces: another namespace's Machines would "prove" another cluster's servers ours.
		klog.Warningf("ListMachines: machine class %q has no namespace; servers of the Go provider are not adopted", class.Name)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	machines, err := b.machines.Machines(ctx, class.Namespace)
	if err != nil {
		klog.Warningf("ListMachines for machine class %q: could not list the Machines of namespace %q, so servers of the Go provider are not adopted in this pass: %v", class.Name, class.Namespace, err)
		return
	}
	req.MachineProviderIds = providerIDsOf(machines)
	req.MachinesListed = true
}
