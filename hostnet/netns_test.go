package hostnet

// These tests change real links, only inside a network namespace each test creates for itself
// (hostagent-test-<pid>-<n>) and removes by name when it ends, failed or not. The machine's own
// namespace is only used to run `ip netns add/del`.

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/hostnet/nstest"
	"github.com/vishvananda/netlink"
)

// testNamespace creates a namespace with lo up and two fake NICs, veth_nic0 (10.9.0.2/24,
// default route via 10.9.0.1) and veth_nic1, each the end of a veth pair whose other end
// (peer0, peer1) stays in the namespace.
func testNamespace(t *testing.T) *Handle {
	t.Helper()
	name := nstest.New(t, "hostnet")
	h, err := OpenNamespace(name, DefaultFakeNICs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	lo, err := h.nl.LinkByName("lo")
	must(err)
	must(h.nl.LinkSetUp(lo))
	for i := range 2 {
		nic, peer := fmt.Sprintf("veth_nic%d", i), fmt.Sprintf("peer%d", i)
		must(h.nl.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: nic}, PeerName: peer}))
		for _, n := range []string{nic, peer} {
			l, err := h.nl.LinkByName(n)
			must(err)
			must(h.nl.LinkSetUp(l))
		}
	}
	must(h.Apply(Step{Op: OpAddAddr, Link: "veth_nic0", Addr: "10.9.0.2/24"}))
	must(h.Apply(Step{Op: OpAddRoute, Link: "veth_nic0", Gateway: "10.9.0.1"}))
	return h
}

func read(t *testing.T, h *Handle) Current {
	t.Helper()
	cur, err := h.Read()
	if err != nil {
		t.Fatal(err)
	}
	return cur
}

// kernelState renders what the kernel has, for comparing before and after.
func kernelState(c Current) string {
	b, _ := json.MarshalIndent(struct {
		Links         []Link
		Route, Route6 *Route
	}{c.Links, c.DefaultRoute, c.DefaultRoute6}, "", " ")
	return string(b)
}

func plan(t *testing.T, cur Current, networks string) Plan {
	t.Helper()
	req, err := DecodeRequest(json.RawMessage(networks), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanSetup(cur, req)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// v6addrs is every IPv6 address of a link, link-local ones too, which Read leaves out.
func v6addrs(t *testing.T, h *Handle, name string) []netlink.Addr {
	t.Helper()
	l, err := h.nl.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := h.nl.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func linkOf(t *testing.T, c Current, name string) Link {
	t.Helper()
	l, ok := c.link(name)
	if !ok {
		t.Fatalf("no link %s in %s", name, kernelState(c))
	}
	return l
}

// TestApplyAndRollBackInNamespace applies what the engine's host install asks for (the
// management bridge on the NIC that holds the host's address and default route, with an MTU and
// STP), checks every part of it through netlink, rolls it back and requires the namespace's
// links, addresses and default route to be exactly as before.
func TestApplyAndRollBackInNamespace(t *testing.T) {
	h := testNamespace(t)
	before := read(t, h)
	if nic := linkOf(t, before, "veth_nic0"); nic.Kind != KindNIC {
		t.Fatalf("veth_nic0 is %q, want a fake NIC", nic.Kind)
	}
	p := plan(t, before, `{"ovirtmgmt": {"nic": "veth_nic0", "mtu": 1400, "bridged": "true", "STP": "yes",
		"ipaddr": "10.9.0.2", "netmask": "255.255.255.0", "gateway": "10.9.0.1", "defaultRoute": true}}`)
	if err := h.Execute(p); err != nil {
		t.Fatal(err)
	}

	after := read(t, h)
	br := linkOf(t, after, "ovirtmgmt")
	if br.Kind != KindBridge || !br.Up || !br.STP || br.MTU != 1400 {
		t.Errorf("bridge = %+v, want an up bridge with STP and MTU 1400", br)
	}
	if strings.Join(br.Addrs, ",") != "10.9.0.2/24" {
		t.Errorf("bridge addresses = %v, want the host's address", br.Addrs)
	}
	// No ipv6addr: IPv6 off on the bridge, as VDSM has it.
	if br.IPv6Conf["disable_ipv6"] != "1" {
		t.Errorf("bridge IPv6 settings = %v, want IPv6 disabled", br.IPv6Conf)
	}
	nic := linkOf(t, after, "veth_nic0")
	if nic.Master != "ovirtmgmt" || nic.MTU != 1400 || len(nic.Addrs) != 0 {
		t.Errorf("nic = %+v, want a port of ovirtmgmt with MTU 1400 and no address", nic)
	}
	// A bridge port's IP stacks are off (VDSM's _add_ip): not even a link-local address.
	if nic.IPv6Conf["disable_ipv6"] != "1" || nic.IPv6Conf["accept_ra"] != "0" || nic.IPv6Conf["autoconf"] != "0" {
		t.Errorf("nic IPv6 settings = %v, want IPv6 disabled", nic.IPv6Conf)
	}
	if a := v6addrs(t, h, "veth_nic0"); len(a) != 0 {
		t.Errorf("nic IPv6 addresses on a bridge port: %v", a)
	}
	if r := after.DefaultRoute; r == nil || *r != (Route{Gateway: "10.9.0.1", Dev: "ovirtmgmt"}) {
		t.Errorf("default route = %+v, want via 10.9.0.1 on ovirtmgmt", r)
	}

	if err := h.Rollback(p); err != nil {
		t.Fatal(err)
	}
	if got, want := kernelState(read(t, h)), kernelState(before); got != want {
		t.Errorf("after rollback:\n%s\nbefore:\n%s", got, want)
	}
	// IPv6 on again, the kernel made the up NIC its link-local address again.
	if a := v6addrs(t, h, "veth_nic0"); len(a) != 1 || !a[0].IP.IsLinkLocalUnicast() {
		t.Errorf("nic IPv6 addresses after rollback: %v, want its link-local one", a)
	}
}

// TestIPv6MovesToBridgeInNamespace: a NIC with an IPv4 and an IPv6 address and a default route
// of each family gives all four to the management bridge, and the rollback gives them back.
func TestIPv6MovesToBridgeInNamespace(t *testing.T) {
	h := testNamespace(t)
	if err := h.Apply(Step{Op: OpAddAddr, Link: "veth_nic0", Addr: "fd00:9::2/64"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Apply(Step{Op: OpAddRoute, Link: "veth_nic0", Gateway: "fd00:9::1"}); err != nil {
		t.Fatal(err)
	}
	before := read(t, h)
	if r := before.DefaultRoute6; r == nil || *r != (Route{Gateway: "fd00:9::1", Dev: "veth_nic0"}) {
		t.Fatalf("IPv6 default route read as %+v", r)
	}
	p := plan(t, before, `{"ovirtmgmt": {"nic": "veth_nic0", "bridged": "true", "ipaddr": "10.9.0.2",
		"netmask": "255.255.255.0", "gateway": "10.9.0.1", "ipv6addr": "fd00:9::2/64", "ipv6gateway": "fd00:9::1",
		"defaultRoute": true}}`)
	if err := h.Execute(p); err != nil {
		t.Fatal(err)
	}
	after := read(t, h)
	if !after.IPv6 {
		t.Fatal("the namespace reads as having no IPv6")
	}
	br := linkOf(t, after, "ovirtmgmt")
	if strings.Join(br.Addrs, ",") != "10.9.0.2/24,fd00:9::2/64" {
		t.Errorf("bridge addresses = %v, want both of the host's", br.Addrs)
	}
	if br.IPv6Conf["autoconf"] != "0" || br.IPv6Conf["accept_ra"] != "0" || br.IPv6Conf["disable_ipv6"] != "0" {
		t.Errorf("bridge IPv6 settings = %v, want IPv6 on without autoconfiguration", br.IPv6Conf)
	}
	if nic := linkOf(t, after, "veth_nic0"); len(nic.Addrs) != 0 || nic.IPv6Conf["disable_ipv6"] != "1" {
		t.Errorf("nic = %+v, want no address and IPv6 disabled", nic)
	}
	if r := after.DefaultRoute6; r == nil || *r != (Route{Gateway: "fd00:9::1", Dev: "ovirtmgmt"}) {
		t.Errorf("IPv6 default route = %+v, want via fd00:9::1 on ovirtmgmt", r)
	}
	if r := after.DefaultRoute; r == nil || *r != (Route{Gateway: "10.9.0.1", Dev: "ovirtmgmt"}) {
		t.Errorf("IPv4 default route = %+v, want via 10.9.0.1 on ovirtmgmt", r)
	}

	// Removing the network and rolling that back makes the bridge again, settings and all.
	cur := after
	cur.Networks = map[string]Network{"ovirtmgmt": p.Config.Networks["ovirtmgmt"]}
	rm := plan(t, cur, `{"ovirtmgmt": {"remove": "true"}}`)
	if err := h.Execute(rm); err != nil {
		t.Fatal(err)
	}
	removed := read(t, h)
	if removed.DefaultRoute6 != nil || removed.DefaultRoute != nil {
		t.Errorf("default routes left after the removal: %+v %+v", removed.DefaultRoute, removed.DefaultRoute6)
	}
	// The NIC stays as the network left it, IP off (VDSM's _init_base_iface), not open to
	// router advertisements.
	if nic := linkOf(t, removed, "veth_nic0"); nic.Master != "" || nic.IPv6Conf["disable_ipv6"] != "1" || len(v6addrs(t, h, "veth_nic0")) != 0 {
		t.Errorf("nic after the removal = %+v, want IPv6 disabled", nic)
	}
	if err := h.Rollback(rm); err != nil {
		t.Fatal(err)
	}
	if got, want := kernelState(read(t, h)), kernelState(after); got != want {
		t.Errorf("after the removal's rollback:\n%s\nbefore the removal:\n%s", got, want)
	}

	if err := h.Rollback(p); err != nil {
		t.Fatal(err)
	}
	if got, want := kernelState(read(t, h)), kernelState(before); got != want {
		t.Errorf("after rollback:\n%s\nbefore:\n%s", got, want)
	}
}

// TestNoIPv6InNamespace: a bridgeless network without an IPv6 address turns IPv6 off on its
// NIC, which had an IPv6 address: the kernel then has no IPv6 address there, not even a
// link-local one. Adding an ipv6addr turns it back on, and the rollbacks restore each state.
func TestNoIPv6InNamespace(t *testing.T) {
	h := testNamespace(t)
	if err := h.Apply(Step{Op: OpAddAddr, Link: "veth_nic0", Addr: "fd00:9::2/64"}); err != nil {
		t.Fatal(err)
	}
	before := read(t, h)
	if c := linkOf(t, before, "veth_nic0").IPv6Conf; c["disable_ipv6"] != "0" {
		t.Fatalf("veth_nic0 IPv6 settings before = %v", c)
	}
	p := plan(t, before, `{"ovirtmgmt": {"nic": "veth_nic0", "bridged": "false", "ipaddr": "10.9.0.2",
		"netmask": "255.255.255.0", "gateway": "10.9.0.1", "defaultRoute": true}}`)
	if err := h.Execute(p); err != nil {
		t.Fatal(err)
	}
	off := read(t, h)
	nic := linkOf(t, off, "veth_nic0")
	if nic.IPv6Conf["disable_ipv6"] != "1" || strings.Join(nic.Addrs, ",") != "10.9.0.2/24" {
		t.Errorf("veth_nic0 = %+v, want IPv6 disabled and the IPv4 address alone", nic)
	}
	if a := v6addrs(t, h, "veth_nic0"); len(a) != 0 {
		t.Errorf("veth_nic0 IPv6 addresses with IPv6 disabled: %v", a)
	}

	cur := off
	cur.Networks = p.Config.Networks
	on := plan(t, cur, `{"ovirtmgmt": {"nic": "veth_nic0", "bridged": "false", "ipaddr": "10.9.0.2",
		"netmask": "255.255.255.0", "gateway": "10.9.0.1", "ipv6addr": "fd00:9::2/64", "defaultRoute": true}}`)
	if err := h.Execute(on); err != nil {
		t.Fatal(err)
	}
	nic = linkOf(t, read(t, h), "veth_nic0")
	if nic.IPv6Conf["disable_ipv6"] != "0" || strings.Join(nic.Addrs, ",") != "10.9.0.2/24,fd00:9::2/64" {
		t.Errorf("veth_nic0 = %+v, want IPv6 on with both addresses", nic)
	}
	if err := h.Rollback(on); err != nil {
		t.Fatal(err)
	}
	if got, want := kernelState(read(t, h)), kernelState(off); got != want {
		t.Errorf("after the second rollback:\n%s\nbefore:\n%s", got, want)
	}
	if err := h.Rollback(p); err != nil {
		t.Fatal(err)
	}
	if got, want := kernelState(read(t, h)), kernelState(before); got != want {
		t.Errorf("after rollback:\n%s\nbefore:\n%s", got, want)
	}
}

// TestFailedStepRollsBack makes the last step of a real plan fail in the kernel: every step
// before it must be undone.
func TestFailedStepRollsBack(t *testing.T) {
	h := testNamespace(t)
	before := read(t, h)
	p := plan(t, before, `{"net1": {"nic": "veth_nic1", "bridged": "true", "ipaddr": "10.8.0.2", "netmask": "255.255.255.0"}}`)
	// The failing step comes after the port's IPv6 was disabled, which the rollback turns on again.
	if !slices.ContainsFunc(p.Changes, func(c Change) bool { return c.Do.Op == OpSetIPv6Conf && c.Do.Link == "veth_nic1" }) {
		t.Fatalf("the plan does not disable the port's IPv6: %+v", p.Changes)
	}
	bad := Step{Op: OpSetMaster, Link: "veth_nic1", Master: "no-such-bridge"}
	p.Changes = append(p.Changes, Change{Do: bad})
	err := h.Execute(p)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Step != bad || ae.RollbackErr != nil {
		t.Fatalf("Execute = %v, want the bad step to fail and a complete rollback", err)
	}
	if got, want := kernelState(read(t, h)), kernelState(before); got != want {
		t.Errorf("after a failed plan:\n%s\nbefore:\n%s", got, want)
	}
}

// TestVLANNeedsDriver: a kernel without 8021q (this machine's) must fail the VLAN step with an
// error naming the driver and leave nothing behind; a kernel with it must carry the VLAN.
func TestVLANNeedsDriver(t *testing.T) {
	h := testNamespace(t)
	before := read(t, h)
	p := plan(t, before, `{"vlan10": {"nic": "veth_nic1", "vlan": "10", "bridged": "false"}}`)
	err := h.Execute(p)
	if err != nil {
		if !strings.Contains(err.Error(), "no 8021q driver") {
			t.Fatalf("Execute = %v, want an error naming the missing 8021q driver", err)
		}
		t.Logf("kernel without 8021q: %v", err)
		if got, want := kernelState(read(t, h)), kernelState(before); got != want {
			t.Errorf("after the failed VLAN:\n%s\nbefore:\n%s", got, want)
		}
		return
	}
	if v := linkOf(t, read(t, h), "veth_nic1.10"); v.Kind != KindVLAN || v.VLANID != 10 || v.Parent != "veth_nic1" {
		t.Errorf("vlan = %+v", v)
	}
}

// TestDefaultRouteHandOverInNamespace: a new network given the default route takes both
// families' routes from the running management network, which keeps its bridge and addresses;
// the rollback gives the routes back.
func TestDefaultRouteHandOverInNamespace(t *testing.T) {
	h := testNamespace(t)
	if err := h.Apply(Step{Op: OpAddAddr, Link: "veth_nic0", Addr: "fd00:9::2/64"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Apply(Step{Op: OpAddRoute, Link: "veth_nic0", Gateway: "fd00:9::1"}); err != nil {
		t.Fatal(err)
	}
	install := plan(t, read(t, h), `{"ovirtmgmt": {"nic": "veth_nic0", "ipaddr": "10.9.0.2", "netmask": "255.255.255.0",
		"gateway": "10.9.0.1", "ipv6addr": "fd00:9::2/64", "ipv6gateway": "fd00:9::1", "defaultRoute": true}}`)
	if err := h.Execute(install); err != nil {
		t.Fatal(err)
	}
	before := read(t, h)
	cur := before
	cur.Networks = install.Config.Networks
	p := plan(t, cur, `{"vmnet": {"nic": "veth_nic1", "ipaddr": "10.8.0.2", "netmask": "255.255.255.0",
		"gateway": "10.8.0.1", "ipv6addr": "fd00:8::2/64", "ipv6gateway": "fd00:8::1", "defaultRoute": true}}`)
	if p.Config.Networks["ovirtmgmt"].DefaultRoute || !p.Config.Networks["vmnet"].DefaultRoute {
		t.Errorf("running configuration after the hand-over: %+v", p.Config.Networks)
	}
	if err := h.Execute(p); err != nil {
		t.Fatal(err)
	}
	after := read(t, h)
	if r := after.DefaultRoute; r == nil || *r != (Route{Gateway: "10.8.0.1", Dev: "vmnet"}) {
		t.Errorf("IPv4 default route = %+v, want via 10.8.0.1 on vmnet", r)
	}
	if r := after.DefaultRoute6; r == nil || *r != (Route{Gateway: "fd00:8::1", Dev: "vmnet"}) {
		t.Errorf("IPv6 default route = %+v, want via fd00:8::1 on vmnet", r)
	}
	if got, want := linkOf(t, after, "ovirtmgmt"), linkOf(t, before, "ovirtmgmt"); !reflect.DeepEqual(got, want) {
		t.Errorf("ovirtmgmt changed: %+v, was %+v", got, want)
	}
	if err := h.Rollback(p); err != nil {
		t.Fatal(err)
	}
	if got, want := kernelState(read(t, h)), kernelState(before); got != want {
		t.Errorf("after rollback:\n%s\nbefore:\n%s", got, want)
	}
}
