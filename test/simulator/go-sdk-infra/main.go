// A manual check, not part of the test suite (the Go module proxy does not serve services/iaas):
// Gardener's STACKIT infrastructure reconcile calls (gardener-extension-provider-stackit
// pkg/stackit/client/iaas.go, infraflow/reconcile.go), made with the official SDK against the
// simulator, then a server using the created resources, then the deletion flow. See
// docs/simulator.md, "Checked against the official Go SDK", for how to build and run it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/stackitcloud/stackit-sdk-go/core/config"
	"github.com/stackitcloud/stackit-sdk-go/core/oapierror"
	iaas "github.com/stackitcloud/stackit-sdk-go/services/iaas/v2api"
	"github.com/stackitcloud/stackit-sdk-go/services/iaas/v2api/wait"
)

func must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		var oe *oapierror.GenericOpenAPIError
		if errors.As(err, &oe) {
			fmt.Fprintf(os.Stderr, "  status %d body %s\n", oe.StatusCode, string(oe.Body))
		}
		os.Exit(1)
	}
	return v
}

func status(err error) int {
	var oe *oapierror.GenericOpenAPIError
	if errors.As(err, &oe) {
		return oe.StatusCode
	}
	return 0
}

func main() {
	endpoint, project, region, image := os.Args[1], os.Args[2], "eu01", os.Args[3]
	ctx := context.Background()
	c := must(iaas.NewAPIClient(config.WithEndpoint(endpoint), config.WithoutAuthentication()))
	api := c.DefaultAPI
	shoot := "shoot--sdk--infra"
	pub := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIDsPd27M449akqCtdFg2+AmRVJz6eWio0oMP9dVg7Xe gardener"

	_, err := api.GetKeyPair(ctx, shoot+"-ssh-publickey").Execute()
	fmt.Println("1 GetKeyPair (absent):", status(err))
	name := shoot + "-ssh-publickey"
	kp := must(api.CreateKeyPair(ctx).CreateKeyPairPayload(iaas.CreateKeyPairPayload{Name: &name, PublicKey: pub}).Execute())
	fmt.Println("2 CreateKeyPair:", kp.GetName(), kp.GetFingerprint(), "publicKey equal:", kp.PublicKey == pub)

	nets := must(api.ListNetworks(ctx, project, region).Execute())
	fmt.Println("3 ListNetworks:", len(nets.GetItems()))
	ipv4 := iaas.CreateNetworkIPv4{CreateNetworkIPv4WithPrefix: &iaas.CreateNetworkIPv4WithPrefix{Nameservers: []string{"9.9.9.9"}, Prefix: "10.250.0.0/16"}}
	dhcp := true
	nw := must(api.CreateIsolatedNetwork(ctx, project, region).CreateIsolatedNetworkPayload(iaas.CreateIsolatedNetworkPayload{Dhcp: &dhcp, Ipv4: &ipv4, Name: shoot}).Execute())
	fmt.Println("4 CreateIsolatedNetwork:", nw.GetId(), nw.Status, nw.Ipv4.GetPrefixes(), nw.Ipv4.GetNameservers())
	must(wait.CreateNetworkWaitHandler(ctx, api, project, region, nw.GetId()).WaitWithContext(ctx))
	upd := iaas.PartialUpdateNetworkPayload{Dhcp: &dhcp, Name: &shoot, Ipv4: &iaas.UpdateNetworkIPv4Body{Nameservers: []string{"9.9.9.9", "1.1.1.1"}}}
	must(0, api.PartialUpdateNetwork(ctx, project, region, nw.GetId()).PartialUpdateNetworkPayload(upd).Execute())
	got := must(api.GetNetwork(ctx, project, region, nw.GetId()).Execute())
	fmt.Println("5 PartialUpdateNetwork + GetNetwork: nameservers", got.Ipv4.GetNameservers(), "publicIp", got.Ipv4.GetPublicIp())

	desc := "Cluster Nodes"
	sg := must(api.CreateSecurityGroup(ctx, project, region).CreateSecurityGroupPayload(iaas.CreateSecurityGroupPayload{Name: shoot, Description: &desc}).Execute())
	fmt.Println("6 CreateSecurityGroup:", sg.GetId(), "default rules", len(sg.GetRules()))
	for _, r := range sg.GetRules() {
		must(0, api.DeleteSecurityGroupRule(ctx, project, region, sg.GetId(), r.GetId()).Execute())
	}
	v4, tcp, udp := "IPv4", "tcp", "udp"
	any4 := "0.0.0.0/0"
	pods := "100.64.0.0/12"
	gid := sg.GetId()
	wanted := []iaas.CreateSecurityGroupRulePayload{
		{Direction: "ingress", Ethertype: &v4, RemoteSecurityGroupId: &gid},
		{Direction: "egress", Ethertype: &v4},
		{Direction: "ingress", Ethertype: &v4, Protocol: new(iaas.StringAsCreateProtocol(&tcp)), PortRange: iaas.NewPortRange(32767, 30000), IpRange: &any4},
		{Direction: "ingress", Ethertype: &v4, Protocol: new(iaas.StringAsCreateProtocol(&udp)), PortRange: iaas.NewPortRange(32767, 30000), IpRange: &any4},
		{Direction: "ingress", Ethertype: &v4, IpRange: &pods},
	}
	for _, w := range wanted {
		must(api.CreateSecurityGroupRule(ctx, project, region, sg.GetId()).CreateSecurityGroupRulePayload(w).Execute())
	}
	sg2 := must(api.GetSecurityGroup(ctx, project, region, sg.GetId()).Execute())
	fmt.Println("7 rules after reconcile:", len(sg2.GetRules()), "tcp rule protocol:", sg2.GetRules()[2].Protocol.GetName(), sg2.GetRules()[2].Protocol.GetNumber())
	rules := must(api.ListSecurityGroupRules(ctx, project, region, sg.GetId()).Execute())
	fmt.Println("8 ListSecurityGroupRules:", len(rules.GetItems()))

	ag := must(api.CreateAffinityGroup(ctx, project, region).CreateAffinityGroupPayload(iaas.CreateAffinityGroupPayload{Name: "workers", Policy: "soft-anti-affinity"}).Execute())
	size := int64(20)
	vol := must(api.CreateVolume(ctx, project, region).CreateVolumePayload(iaas.CreateVolumePayload{AvailabilityZone: "eu01-1", Size: &size, Source: &iaas.VolumeSource{Type: "image", Id: image}}).Execute())
	vol = must(wait.CreateVolumeWaitHandler(ctx, api, project, region, vol.GetId()).WaitWithContext(ctx))
	fmt.Println("9 CreateAffinityGroup + CreateVolume:", ag.GetPolicy(), vol.GetStatus(), vol.GetBootable())

	agid := ag.GetId()
	nwid := nw.GetId()
	srv := must(api.CreateServer(ctx, project, region).CreateServerPayload(iaas.CreateServerPayload{
		Name: shoot + "-worker-z1", MachineType: "c2i.2", KeypairName: kp.Name, AffinityGroup: &agid,
		SecurityGroups: []string{sg.GetId()},
		BootVolume:     &iaas.BootVolume{Source: &iaas.BootVolumeSource{Type: "volume", Id: vol.GetId()}},
		Networking:     iaas.CreateServerPayloadAllOfNetworking{CreateServerNetworking: &iaas.CreateServerNetworking{NetworkId: &nwid}},
	}).Execute())
	srv = must(wait.CreateServerWaitHandler(ctx, api, project, region, srv.GetId()).WaitWithContext(ctx))
	fmt.Println("10 CreateServer + waiter:", srv.GetStatus(), srv.GetKeypairName(), srv.GetAvailabilityZone())

	err = api.DeleteNetwork(ctx, project, region, nw.GetId()).Execute()
	var oe *oapierror.GenericOpenAPIError
	errors.As(err, &oe)
	fmt.Printf("11 DeleteNetwork while in use: %d model %T %v\n", status(err), oe.Model, oe.Model)
	err = api.DeleteVolume(ctx, project, region, vol.GetId()).Execute()
	fmt.Println("12 DeleteVolume while attached:", status(err))

	must(0, api.DeleteServer(ctx, project, region, srv.GetId()).Execute())
	must(wait.DeleteServerWaitHandler(ctx, api, project, region, srv.GetId()).WaitWithContext(ctx))
	must(0, api.DeleteNetwork(ctx, project, region, nw.GetId()).Execute())
	must(wait.DeleteNetworkWaitHandler(ctx, api, project, region, nw.GetId()).WaitWithContext(ctx))
	must(0, api.DeleteSecurityGroup(ctx, project, region, sg.GetId()).Execute())
	must(0, api.DeleteKeyPair(ctx, name).Execute())
	must(0, api.DeleteVolume(ctx, project, region, vol.GetId()).Execute())
	must(wait.DeleteVolumeWaitHandler(ctx, api, project, region, vol.GetId()).WaitWithContext(ctx))
	must(0, api.DeleteAffinityGroup(ctx, project, region, ag.GetId()).Execute())
	_, err = api.GetKeyPair(ctx, name).Execute()
	fmt.Println("13 delete flow done; GetKeyPair:", status(err))
}
