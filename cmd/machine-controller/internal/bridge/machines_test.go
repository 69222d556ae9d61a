package bridge

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	machinefake "github.com/gardener/machine-controller-manager/pkg/client/clientset/versioned/fake"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/driver"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

func machine(ns, name, providerID string) *v1alpha1.Machine {
	return &v1alpha1.Machine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       v1alpha1.MachineSpec{ProviderID: providerID, Class: v1alpha1.ClassSpec{Kind: "MachineClass", Name: "class-b"}},
	}
}

type failingLister struct{}

func (failingLister) Machines(context.Context, string) ([]v1alpha1.Machine, error) {
	return nil, errors.New("the server is currently unable to handle the request")
}

// listedWith runs one ListMachines through the bridge and returns what the driver was sent.
func listedWith(t *testing.T, h *harness, class *v1alpha1.MachineClass) *driverv1.ListMachinesRequest {
	t.Helper()
	var got *driverv1.ListMachinesRequest
	h.fake.list = func(r *driverv1.ListMachinesRequest) (*driverv1.ListMachinesResponse, error) {
		got = r
		return &driverv1.ListMachinesResponse{MachineList: map[string]string{"stackit://p/s1": "m-1"}}, nil
	}
	_, _, s := machineReq()
	r, err := h.bridge.ListMachines(context.Background(), &driver.ListMachinesRequest{MachineClass: class, Secret: s})
	if err != nil {
		t.Fatalf("ListMachines: %v (failing to list Machines must never fail the listing)", err)
	}
	if r.MachineList["stackit://p/s1"] != "m-1" {
		t.Fatalf("the driver's answer reaches MCM unchanged, got %v", r.MachineList)
	}
	return got
}

func TestListMachinesSendsTheNamespacesMachinesByProviderID(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	client := machinefake.NewSimpleClientset(
		machine("ns", "m-1", "stackit://p/s1"),
		// Another class: sent too, the ProviderID alone proves which server a Machine owns.
		machine("ns", "m-2", "stackit://p/s2"),
		// Not created yet: nothing to prove.
		machine("ns", "m-3", ""),
		// Another namespace (another cluster on the same seed): never sent.
		machine("other", "m-9", "stackit://p/s9"),
	)
	h.bridge.WithMachineLister(ClientMachineLister{Client: client.MachineV1alpha1()})
	_, mc, _ := machineReq()
	mc.Namespace = "ns"

	got := listedWith(t, h, mc)
	want := map[string]string{"m-1": "stackit://p/s1", "m-2": "stackit://p/s2"}
	if !got.GetMachinesListed() || !maps.Equal(got.GetMachineProviderIds(), want) {
		t.Fatalf("sent listed=%v %v, want listed=true %v", got.GetMachinesListed(), got.GetMachineProviderIds(), want)
	}
	if len(got.GetMachineClass()) == 0 || len(got.GetSecret()) == 0 {
		t.Fatal("the class and Secret still travel")
	}
}

func TestListMachinesWithoutTheMachinesSaysSo(t *testing.T) {
	_, mc, _ := machineReq()
	mc.Namespace = "ns"
	for name, setup := range map[string]func(*Bridge){
		"no lister":            func(*Bridge) {},
		"the API server fails": func(b *Bridge) { b.WithMachineLister(failingLister{}) },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, 5*time.Second)
			setup(h.bridge)
			got := listedWith(t, h, mc)
			if got.GetMachinesListed() || len(got.GetMachineProviderIds()) != 0 {
				t.Fatalf("sent listed=%v %v: an unknown set of Machines must not look like an empty one", got.GetMachinesListed(), got.GetMachineProviderIds())
			}
		})
	}

	t.Run("a class without namespace never lists all namespaces", func(t *testing.T) {
		h := newHarness(t, 5*time.Second)
		client := machinefake.NewSimpleClientset(machine("other", "m-9", "stackit://p/s9"))
		h.bridge.WithMachineLister(ClientMachineLister{Client: client.MachineV1alpha1()})
		_, bare, _ := machineReq()
		got := listedWith(t, h, bare)
		if got.GetMachinesListed() || len(got.GetMachineProviderIds()) != 0 {
			t.Fatalf("sent listed=%v %v", got.GetMachinesListed(), got.GetMachineProviderIds())
		}
	})
}

func TestClientMachineListerReadsEveryPage(t *testing.T) {
	client := machinefake.NewSimpleClientset()
	var continues []string
	client.PrependReactor("list", "machines", func(a k8stesting.Action) (bool, runtime.Object, error) {
		opts := a.(k8stesting.ListActionImpl).ListOptions
		continues = append(continues, opts.Continue)
		if opts.Limit != 500 {
			t.Errorf("page size %d, want 500", opts.Limit)
		}
		page := &v1alpha1.MachineList{}
		switch opts.Continue {
		case "":
			page.Items = []v1alpha1.Machine{*machine("ns", "m-1", "stackit://p/s1")}
			page.Continue = "page-2"
		case "page-2":
			page.Items = []v1alpha1.Machine{*machine("ns", "m-2", "stackit://p/s2")}
		}
		return true, page, nil
	})
	got, err := ClientMachineLister{Client: client.MachineV1alpha1()}.Machines(context.Background(), "ns")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"m-1": "stackit://p/s1", "m-2": "stackit://p/s2"}; !maps.Equal(providerIDsOf(got), want) {
		t.Fatalf("listed %v, want %v (every page)", providerIDsOf(got), want)
	}
	if len(continues) != 2 || continues[1] != "page-2" {
		t.Fatalf("continue tokens sent %q", continues)
	}
}
