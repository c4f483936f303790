package main

// TestNetnsLaneIPv6 is TestNetnsLane's install flow for a dual-stack host reached over IPv6, run
// by the same lane (.ci/netns-lane.sh) in namespaces of the same names, made again for it:
//
//	<prefix>-agent   veth_0 also holds fd00:77::2/64, with an IPv6 default route via fd00:77::1
//	<prefix>-engine  eng0 also holds fd00:77::1/64; the client dials [fd00:77::2]
//
// ovirtmgmt takes both addresses and both default routes from the NIC; an unconfirmed change that
// moves both default routes to another network is rolled back, and an unsaved one is undone by a
// restart, each time back to the same links, addresses and routes of both families.

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hostagent/hostagent/client"
)

const (
	laneAgentAddr6  = "fd00:77::2"
	laneEngineAddr6 = "fd00:77::1"
)

func TestNetnsLaneIPv6(t *testing.T) {
	l := newNetLane(t)
	// Made without duplicate address detection: the namespaces are new, nobody else can hold the
	// addresses, and the client can dial at once.
	l.ip("-n", l.agentNS, "addr", "add", laneAgentAddr6+"/64", "dev", "veth_0", "nodad")
	l.ip("-n", l.agentNS, "-6", "route", "add", "default", "via", laneEngineAddr6, "dev", "veth_0")
	l.ip("-n", l.engineNS, "addr", "add", laneEngineAddr6+"/64", "dev", "eng0", "nodad")
	l.start()

	c := l.dialTo(laneAgentAddr6)
	caps := laneCapsAs[laneCaps6](l, c)
	if nic := caps.NICs["veth_0"]; caps.LastClientIface != "veth_0" || !slices.Contains(nic.IPv6Addrs, laneAgentAddr6+"/64") ||
		nic.IPv6Gateway != laneEngineAddr6 {
		t.Fatalf("caps before install: %+v", caps)
	}

	// Dynamic addresses are refused, with VDSM's code for bad parameters, and change nothing.
	before := l.kernel()
	for _, dyn := range []map[string]any{{"bootproto": "dhcp"}, {"dhcpv6": "true"}, {"ipv6autoconf": "true"}} {
		attrs := map[string]any{"nic": "veth_0", "bridged": "true"}
		for k, v := range dyn {
			attrs[k] = v
		}
		_, err := c.Call("Host.setupNetworks", map[string]any{"networks": map[string]any{"ovirtmgmt": attrs},
			"bondings": map[string]any{}, "options": map[string]any{"connectivityCheck": "false"}})
		if err == nil || !strings.Contains(err.Error(), "code 21:") || !strings.Contains(err.Error(), "is not supported by this host") {
			t.Fatalf("setupNetworks with %v: %v", dyn, err)
		}
	}
	if got := l.kernel(); got != before {
		t.Fatalf("a refused request changed the kernel:\n%s\nbefore:\n%s", got, before)
	}

	onBridge := l.watchAddr("ovirtmgmt", laneAgentAddr6)
	pending := l.send(c, "Host.setupNetworks", map[string]any{
		"networks": map[string]any{"ovirtmgmt": map[string]any{"nic": "veth_0", "bridged": "true", "STP": "no",
			"ipaddr": laneAgentAddr, "netmask": "255.255.255.0", "gateway": "10.77.0.1",
			"ipv6addr": laneAgentAddr6 + "/64", "ipv6gateway": laneEngineAddr6, "defaultRoute": true}},
		"bondings": map[string]any{},
		"options":  map[string]any{"connectivityCheck": "true", "connectivityTimeout": 120},
	})
	l.wait(onBridge, laneAgentAddr6+" usable on ovirtmgmt")
	confirm := l.dialTo(laneAgentAddr6)
	if res, err := confirm.Call("Host.confirmConnectivity", nil); err != nil || string(res) != "true" {
		t.Fatalf("confirmConnectivity: %s %v", res, err)
	}
	if res, err := c.Wait(pending); err != nil || !strings.Contains(string(res), `"code":0`) {
		t.Fatalf("setupNetworks over the connection that sent it: %s %v", res, err)
	}
	caps = laneCapsAs[laneCaps6](l, confirm)
	mgmt, nic := caps.Networks["ovirtmgmt"], caps.NICs["veth_0"]
	if caps.LastClientIface != "ovirtmgmt" || !slices.Contains(mgmt.IPv6Addrs, laneAgentAddr6+"/64") ||
		mgmt.IPv6Gateway != laneEngineAddr6 || !slices.Contains(mgmt.IPv4Addrs, laneAgentAddr+"/24") ||
		mgmt.Gateway != "10.77.0.1" || !mgmt.IPv4DefaultRoute || mgmt.DHCPv6 || mgmt.IPv6Autoconf {
		t.Fatalf("caps after install: %+v", caps)
	}
	if len(nic.IPv6Addrs) != 0 || nic.IPv6Gateway != "::" {
		t.Fatalf("veth_0 after install: %+v", nic)
	}
	l.ipv6Off("veth_0")
	l.netStats(confirm, "True")
	l.call(confirm, "Host.setSafeNetworkConfig", nil)
	l.netStats(confirm, "False")
	safe := l.kernel()
	if !strings.Contains(safe, "default via "+laneEngineAddr6+" dev ovirtmgmt") {
		t.Fatalf("no IPv6 default route through ovirtmgmt:\n%s", safe)
	}

	// vmnet takes both default routes; nobody confirms, and both come back to ovirtmgmt.
	vmnet := map[string]any{"networks": map[string]any{"vmnet": map[string]any{"nic": "veth_1", "bridged": "true",
		"ipaddr": "10.78.0.2", "netmask": "255.255.255.0", "gateway": "10.78.0.1",
		"ipv6addr": "fd00:78::2/64", "ipv6gateway": "fd00:78::1", "defaultRoute": true}}, "bondings": map[string]any{}}
	vmnet["options"] = map[string]any{"connectivityCheck": "true", "connectivityTimeout": 1}
	if _, err := confirm.Call("Host.setupNetworks", vmnet); err == nil || !strings.Contains(err.Error(), "code 10:") {
		t.Fatalf("unconfirmed setupNetworks: %v; the agent's log:\n%s", err, l.log())
	}
	// In sorted lines: veth_1's IPv6, off while it was vmnet's port and on again, lists its
	// link-local route after the other links', which is no difference in the state.
	if got := l.kernelLines(); got != sortLines(safe) {
		t.Fatalf("after the rollback:\n%s\nbefore the change:\n%s", got, safe)
	}

	// Applied without a check and never saved: a restart undoes it.
	vmnet["options"] = map[string]any{"connectivityCheck": "false"}
	l.call(confirm, "Host.setupNetworks", vmnet)
	if got := l.kernel(); !strings.Contains(got, "default via fd00:78::1 dev vmnet") {
		t.Fatalf("vmnet does not carry the IPv6 default route:\n%s", got)
	}
	l.ipv6Off("veth_1")
	c.Close()
	confirm.Close()
	l.stop(syscall.SIGKILL)
	l.start()
	c = l.dialTo(laneAgentAddr6)
	laneCapsAs[laneCaps6](l, c) // answered once the network actor's restore is done
	if got := l.kernelLines(); got != sortLines(safe) {
		t.Fatalf("after the restart:\n%s\nthe safe configuration:\n%s", got, safe)
	}
	c.Close()
	l.stop(syscall.SIGTERM)
}

type laneIPConfig struct {
	IPv4Addrs        []string `json:"ipv4addrs"`
	IPv6Addrs        []string `json:"ipv6addrs"`
	Gateway          string   `json:"gateway"`
	IPv6Gateway      string   `json:"ipv6gateway"`
	IPv4DefaultRoute bool     `json:"ipv4defaultroute"`
	IPv6Autoconf     bool     `json:"ipv6autoconf"`
	DHCPv6           bool     `json:"dhcpv6"`
}

type laneCaps6 struct {
	Networks        map[string]laneIPConfig `json:"networks"`
	NICs            map[string]laneIPConfig `json:"nics"`
	LastClientIface string                  `json:"lastClientIface"`
}

// netStats checks Host.getStats' netConfigDirty and, in VDSM's shape (numbers as decimal strings,
// sampleTime a number), the entries of the bridge and its port, which carried this test's traffic.
func (l *netLane) netStats(c *client.Client, dirty string) {
	l.t.Helper()
	var st struct {
		NetConfigDirty string `json:"netConfigDirty"`
		Network        map[string]struct {
			Name, State, Speed, Rx, Tx, RxErrors, TxErrors, RxDropped, TxDropped string
			SampleTime                                                           float64
		} `json:"network"`
	}
	if err := json.Unmarshal(l.call(c, "Host.getStats", nil), &st); err != nil {
		l.t.Fatal(err)
	}
	if st.NetConfigDirty != dirty {
		l.t.Fatalf("getStats netConfigDirty %q, want %q", st.NetConfigDirty, dirty)
	}
	for _, dev := range []string{"ovirtmgmt", "veth_0"} {
		s, ok := st.Network[dev]
		if !ok || s.Name != dev || s.State != "up" || s.SampleTime <= 0 {
			l.t.Fatalf("getStats network %s: %+v", dev, st.Network)
		}
		for _, n := range []string{s.Speed, s.Rx, s.Tx, s.RxErrors, s.TxErrors, s.RxDropped, s.TxDropped} {
			if _, err := strconv.ParseUint(n, 10, 64); err != nil {
				l.t.Fatalf("getStats network %s: %+v: %v", dev, s, err)
			}
		}
		if s.Rx == "0" || s.Tx == "0" {
			l.t.Fatalf("getStats network %s counted no traffic: %+v", dev, s)
		}
		// VDSM reports the kernel's speed for NICs, bonds and VLANs only: a bridge and a veth
		// (whose kernel figure is 10000) are 1000.
		if s.Speed != "1000" {
			l.t.Fatalf("getStats network %s speed %s, want VDSM's 1000", dev, s.Speed)
		}
	}
}
