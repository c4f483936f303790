package net

import (
	"testing"

	"github.com/hostagent/hostagent/hostnet"
)

// restorePlan takes the kernel from the running configuration to the safe one; a running network
// whose devices are gone counts as absent.
func TestRestorePlan(t *testing.T) {
	mgmt := hostnet.Network{Name: "ovirtmgmt", NIC: "eth0", Bridged: true, MTU: 1500, BootProto: "none",
		IPAddr: "10.9.0.2", Netmask: "255.255.255.0", Switch: "legacy"}
	with := func(n ...hostnet.Network) hostnet.Config {
		c := emptyConfig()
		for _, x := range n {
			c.Networks[x.Name] = x
		}
		return c
	}
	installed := hostnet.Current{Links: []hostnet.Link{
		{Name: "eth0", Kind: hostnet.KindNIC, MTU: 1500, Up: true, Master: "ovirtmgmt"},
		{Name: "ovirtmgmt", Kind: hostnet.KindBridge, MTU: 1500, Up: true, Addrs: []string{"10.9.0.2/24"}},
	}}
	bare := hostnet.Current{Links: []hostnet.Link{
		{Name: "eth0", Kind: hostnet.KindNIC, MTU: 1500, Up: true, Addrs: []string{"10.9.0.2/24"}},
	}}
	ops := func(p hostnet.Plan) map[hostnet.Op]int {
		m := map[hostnet.Op]int{}
		for _, c := range p.Changes {
			m[c.Do.Op]++
		}
		return m
	}
	for _, tc := range []struct {
		name          string
		kernel        hostnet.Current
		running, safe hostnet.Config
		want          map[hostnet.Op]int
	}{
		{"unsaved network removed", installed, with(mgmt), with(), map[hostnet.Op]int{
			hostnet.OpDelAddr: 1, hostnet.OpSetNoMaster: 1, hostnet.OpDeleteLink: 1}},
		{"vanished network recreated", bare, with(mgmt), with(mgmt), map[hostnet.Op]int{
			hostnet.OpDelAddr: 1, hostnet.OpCreateBridge: 1, hostnet.OpSetMaster: 1, hostnet.OpLinkUp: 1, hostnet.OpAddAddr: 1}},
		{"saved and present: nothing to do", installed, with(mgmt), with(mgmt), map[hostnet.Op]int{}},
		{"nothing configured", bare, with(), with(), map[hostnet.Op]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := restorePlan(tc.kernel, tc.running, tc.safe)
			if err != nil {
				t.Fatal(err)
			}
			got := ops(p)
			if len(got) != len(tc.want) {
				t.Fatalf("steps %v, want %v", got, tc.want)
			}
			for op, n := range tc.want {
				if got[op] != n {
					t.Fatalf("steps %v, want %v", got, tc.want)
				}
			}
		})
	}
}
