// Package provider implements the orphan-resource tracker (helpers.ResourcesTrackerInterface) of
// Gardener MCM's integration suite for STACKIT, reading the IaaS API the way the driver does.
package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	v1alpha1 "github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
)

const (
	// The label .ci/controllers-test/machine-class-patch.json adds to both test MachineClasses'
	// providerSpec.labels; the driver copies providerSpec.labels onto every server it creates.
	integrationTestLabel      = "kubernetes.io/role/integration-test"
	integrationTestLabelValue = "1"

	// Label keys the driver sets on every server (src/machine-class/server-identity.ts).
	machineClassLabel = "kubernetes.io/machineclass"
	namespaceLabel    = "machine.sapcloud.io/namespace"
)

// The framework's two MachineClasses (testMachineClassResources in framework.go, unexported).
var testMachineClasses = []string{"test-mc-v1", "test-mc-v2"}

// ResourcesTracker finds what the suite may leave behind in the STACKIT project:
//   - servers labelled integration-test=1 (any status; a DELETING one counts until it is gone),
//   - servers ListMachines would still report for the test classes in the control namespace,
//   - volumes and NICs created after InitializeResourcesTracker that no existing server holds
//     (STACKIT gives them no labels; boot volumes and NICs made for a server go with it).
type ResourcesTracker struct {
	client    *iaasClient
	namespace string
	// Volumes and NICs that existed when the tracker was initialised (seed data, other tests).
	baselineVolumes map[string]bool
	baselineNICs    map[string]bool
}

type probe struct {
	servers  []string // labelled integration-test=1
	machines []string // what ListMachines would report for the test classes
	volumes  []string
	nics     []string
}

func (p probe) empty() bool {
	return len(p.servers) == 0 && len(p.machines) == 0 && len(p.volumes) == 0 && len(p.nics) == 0
}

func (p probe) String() string {
	return fmt.Sprintf("servers: %v\nmcm machines: %v\nvolumes: %v\nnics: %v", p.servers, p.machines, p.volumes, p.nics)
}

// InitializeResourcesTracker builds the IaaS client from the MachineClass and its Secret, deletes
// leftover labelled servers (as the AWS tracker terminates leftover instances) and records the
// volumes and NICs present now. Machines still listed for the test classes are an error.
func (r *ResourcesTracker) InitializeResourcesTracker(machineClass *v1alpha1.MachineClass, secretData map[string][]byte, clusterName string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var spec struct {
		Region string            `json:"region"`
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(machineClass.ProviderSpec.Raw, &spec); err != nil {
		return fmt.Errorf("providerSpec of MachineClass %s: %w", machineClass.Name, err)
	}
	if spec.Labels[integrationTestLabel] != integrationTestLabelValue {
		return fmt.Errorf("MachineClass %s lacks providerSpec.labels[%q]=%q (machine-class-patch.json adds it); orphans could not be found",
			machineClass.Name, integrationTestLabel, integrationTestLabelValue)
	}
	region := firstOf(spec.Region, string(secretData["region"]))
	projectID := firstOf(string(secretData["project-id"]), string(secretData["projectId"]))
	keyJSON := secretData["serviceaccount.json"]
	if len(keyJSON) == 0 {
		keyJSON = secretData["serviceAccountKey"]
	}
	if region == "" || projectID == "" || len(keyJSON) == 0 {
		return errors.New("the MachineClass's Secrets lack projectId, serviceAccountKey or region")
	}
	endpoint := firstOf(os.Getenv("STACKIT_IAAS_ENDPOINT"), os.Getenv("STACKIT_API_ENDPOINT"), "https://iaas.api.stackit.cloud")
	client, err := newIaasClient(endpoint, projectID, region, keyJSON, secretData["privateKey"], os.Getenv("STACKIT_TOKEN_BASEURL"))
	if err != nil {
		return err
	}
	r.client = client
	r.namespace = machineClass.Namespace
	if r.namespace == "" {
		r.namespace = os.Getenv("CONTROL_CLUSTER_NAMESPACE")
	}
	fmt.Printf("orphan tracker: project %s, region %s, endpoint %s, namespace %s, cluster %q\n",
		projectID, region, endpoint, r.namespace, clusterName)

	leftovers, err := client.listServers(ctx, integrationTestLabel+"="+integrationTestLabelValue)
	if err != nil {
		return err
	}
	var undeletable []string
	for _, s := range leftovers {
		if err := client.deleteServer(ctx, s.ID); err != nil {
			undeletable = append(undeletable, describeServer(s)+": "+err.Error())
		} else {
			fmt.Printf("orphan tracker: deleted leftover server %s\n", describeServer(s))
		}
	}
	machines, err := r.listMachines(ctx)
	if err != nil {
		return err
	}
	if len(undeletable) > 0 || len(machines) > 0 {
		return fmt.Errorf("clean these up before running the suite:\nservers that could not be deleted: %v\nmcm machines: %v", undeletable, machines)
	}

	r.baselineVolumes = map[string]bool{}
	r.baselineNICs = map[string]bool{}
	vols, err := client.listVolumes(ctx)
	if err != nil {
		return err
	}
	for _, v := range vols {
		r.baselineVolumes[v.ID] = true
	}
	nics, err := client.listNICs(ctx)
	if err != nil {
		return err
	}
	for _, n := range nics {
		r.baselineNICs[n.ID] = true
	}
	fmt.Printf("orphan tracker: baseline of %d volumes and %d NICs\n", len(vols), len(nics))
	return nil
}

// IsOrphanedResourcesAvailable reports (and prints) whatever the suite left behind.
func (r *ResourcesTracker) IsOrphanedResourcesAvailable() bool {
	if r.client == nil {
		fmt.Println("orphan tracker: not initialised")
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := r.probe(ctx)
	if err != nil {
		fmt.Printf("orphan tracker: probing failed: %s\n", err)
		return true
	}
	if !p.empty() {
		fmt.Printf("orphan tracker: the following resources are orphans:\n%s\n", p)
		return true
	}
	return false
}

func (r *ResourcesTracker) probe(ctx context.Context) (probe, error) {
	var p probe
	labelled, err := r.client.listServers(ctx, integrationTestLabel+"="+integrationTestLabelValue)
	if err != nil {
		return p, err
	}
	for _, s := range labelled {
		p.servers = append(p.servers, describeServer(s))
	}
	if p.machines, err = r.listMachines(ctx); err != nil {
		return p, err
	}

	all, err := r.client.listServers(ctx, "")
	if err != nil {
		return p, err
	}
	live := map[string]bool{}
	for _, s := range all {
		live[s.ID] = true
	}
	vols, err := r.client.listVolumes(ctx)
	if err != nil {
		return p, err
	}
	for _, v := range vols {
		if !r.baselineVolumes[v.ID] && !live[v.ServerID] {
			p.volumes = append(p.volumes, fmt.Sprintf("%s (%s, server %q)", v.ID, v.Status, v.ServerID))
		}
	}
	nics, err := r.client.listNICs(ctx)
	if err != nil {
		return p, err
	}
	for _, n := range nics {
		if !r.baselineNICs[n.ID] && !live[n.Device] {
			p.nics = append(p.nics, fmt.Sprintf("%s (%s, device %q)", n.ID, n.Status, n.Device))
		}
	}
	return p, nil
}

// listMachines mirrors the driver's ListMachines for the two test classes: servers carrying the
// class label and this namespace's label, as "provider ID -> server name" strings.
func (r *ResourcesTracker) listMachines(ctx context.Context) ([]string, error) {
	var out []string
	for _, class := range testMachineClasses {
		servers, err := r.client.listServers(ctx, machineClassLabel+"="+class+","+namespaceLabel+"="+r.namespace)
		if err != nil {
			return nil, err
		}
		for _, s := range servers {
			out = append(out, fmt.Sprintf("stackit://%s/%s (%s, class %s)", r.client.projectID, s.ID, s.Name, class))
		}
	}
	sort.Strings(out)
	return out, nil
}

func describeServer(s server) string {
	return fmt.Sprintf("%s (%s, %s)", s.Name, s.ID, s.Status)
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
