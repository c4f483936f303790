package main

// TestNetnsLaneBonds is the install flow's "VLAN network on a bond of two dummy NICs", against a
// real agent process in namespaces of its own as TestNetnsLane sets them up (netns_test.go). It
// needs the bonding, 8021q and dummy drivers, which the machines the lanes run on lack, so
// .ci/netkernel-lane.sh (go tool task test:netkernel) runs it in a QEMU guest booted on a kernel
// that has them, with HOSTAGENT_NETKERNEL_LANE=1; `go test ./...` skips it. In the agent's
// namespace, beside TestNetnsLane's veths, are dummy_1 and dummy_2, NICs by the default fake_nics.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/hostnet"
)

const bondOpts = "mode=1 miimon=100"

func TestNetnsLaneBonds(t *testing.T) {
	if os.Getenv("HOSTAGENT_NETKERNEL_LANE") != "1" {
		t.Skip("run by .ci/netkernel-lane.sh (go tool task test:netkernel) in a QEMU guest whose kernel has the bonding, 8021q and dummy drivers")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the netkernel lane needs root")
	}
	prefix := fmt.Sprintf("hab%d", os.Getpid())
	l := &netLane{t: t, bin: os.Getenv("HOSTAGENT_AGENT_BIN"), agentNS: prefix + "-agent", engineNS: prefix + "-engine",
		stateDir: t.TempDir(), pidDir: t.TempDir()}
	if l.bin == "" {
		l.bin = filepath.Join(t.TempDir(), "agent")
		if out, err := exec.Command("go", "build", "-o", l.bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
	}
	l.namespaces()
	for _, nic := range []string{"dummy_1", "dummy_2"} {
		l.ip("-n", l.agentNS, "link", "add", nic, "type", "dummy") // "Unknown device type": no dummy driver
		l.ip("-n", l.agentNS, "link", "set", nic, "up")
	}
	l.start()
	c := l.dial()
	caps := laneCapsAs[bondLaneCaps](l, c)
	if caps.NICs["dummy_1"] == nil || caps.NICs["dummy_2"] == nil || len(caps.Bondings) != 0 || len(caps.VLANs) != 0 || len(caps.Networks) != 0 {
		t.Fatalf("caps before the bond: %+v", caps)
	}
	start := l.kernelLines()
	startLinks := l.links()

	// Refused before anything is changed, with VDSM's codes: a slave that is no NIC here, and
	// options the bonding driver cannot parse.
	for _, bad := range []struct {
		bond map[string]any
		code int
		text string
	}{
		{map[string]any{"nics": []string{"dummy_1", "dummy_9"}, "options": bondOpts}, 23, "Nic dummy_9 does not exist"},
		{map[string]any{"nics": []string{"dummy_1", "dummy_2"}, "options": "mode=9 miimon=100"}, 25, "Error parsing bonding options: 'mode=9 miimon=100'"},
	} {
		_, err := c.Call("Host.setupNetworks", map[string]any{"networks": map[string]any{},
			"bondings": map[string]any{"bond0": bad.bond}, "options": map[string]any{"connectivityCheck": "false"}})
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != bad.code || ce.Message != bad.text {
			t.Fatalf("setupNetworks with bond %v: %v, want code %d %q", bad.bond, err, bad.code, bad.text)
		}
		if got := l.kernelLines(); got != start {
			t.Fatalf("a refused request changed the kernel:\n%s\nbefore:\n%s", got, start)
		}
	}

	// The engine's request: bond0 of both NICs, and vlan100 bridged on its VLAN 100 with an
	// address, under a connectivity check confirmed once the address is up (as in TestNetnsLane:
	// the network actor takes one message at a time, so the confirmation cannot overtake it).
	onBridge := l.watchAddr("vlan100", "10.79.0.2")
	pending := l.send(c, "Host.setupNetworks", map[string]any{
		"networks": map[string]any{"vlan100": map[string]any{"bonding": "bond0", "vlan": "100", "bridged": "true", "STP": "no",
			"mtu": 1500, "ipaddr": "10.79.0.2", "netmask": "255.255.255.0"}},
		"bondings": map[string]any{"bond0": map[string]any{"nics": []string{"dummy_1", "dummy_2"}, "options": bondOpts}},
		"options":  map[string]any{"connectivityCheck": "true", "connectivityTimeout": 120},
	})
	l.wait(onBridge, "10.79.0.2 on vlan100")
	confirm := l.dial()
	if res, err := confirm.Call("Host.confirmConnectivity", nil); err != nil || string(res) != "true" {
		t.Fatalf("confirmConnectivity: %s %v", res, err)
	}
	if res, err := c.Wait(pending); err != nil || !strings.Contains(string(res), `"code":0`) {
		t.Fatalf("setupNetworks: %s %v; the agent's log:\n%s", res, err, l.log())
	}
	caps = laneCapsAs[bondLaneCaps](l, c)
	bond, vlan, net, br := caps.Bondings["bond0"], caps.VLANs["bond0.100"], caps.Networks["vlan100"], caps.Bridges["vlan100"]
	if strings.Join(bond.Slaves, ",") != "dummy_1,dummy_2" || bond.Opts["mode"] != "1" || bond.Opts["miimon"] != "100" ||
		vlan.Iface != "bond0" || vlan.VLANID != 100 ||
		!net.Bridged || net.Iface != "vlan100" || strings.Join(net.Ports, ",") != "bond0.100" || net.Addr != "10.79.0.2" ||
		net.Southbound != "bond0.100" || net.VLANID != 100 || br == nil || caps.NICs["dummy_1"] == nil || caps.NICs["dummy_2"] == nil {
		t.Fatalf("caps with the bond: %+v", caps)
	}
	links := l.links()
	if links["bond0"].Kind != hostnet.KindBond || links["dummy_1"].Master != "bond0" || links["dummy_2"].Master != "bond0" ||
		links["bond0.100"].Parent != "bond0" || links["bond0.100"].VLANID != 100 || links["bond0.100"].Master != "vlan100" ||
		!slices.Contains(links["vlan100"].Addrs, "10.79.0.2/24") {
		t.Fatalf("the kernel with the bond: %+v", links)
	}
	// IP stacks off, as VDSM has them: on the new bond (which is also the VLAN's base, down
	// before) and on the bridge's port; the slaves' IPv6 settings are the kernel's as before.
	l.ipv6Off("bond0")
	l.ipv6Off("bond0.100")
	for _, nic := range []string{"dummy_1", "dummy_2"} {
		if got, want := fmt.Sprint(links[nic].IPv6Conf), fmt.Sprint(startLinks[nic].IPv6Conf); got != want {
			t.Fatalf("%s's IPv6 settings as a slave: %s, before: %s", nic, got, want)
		}
	}
	confirm.Close()

	// The engine's 802.3ad bond instead of active-backup, with both slaves and the network on
	// it: the kernel changes a mode only on a bond that is down with no slaves, so the agent
	// releases them, sets the options and enslaves them again, as VDSM does.
	lacp := "mode=802.3ad miimon=200 xmit_hash_policy=layer2+3"
	l.call(c, "Host.setupNetworks", map[string]any{"networks": map[string]any{},
		"bondings": map[string]any{"bond0": map[string]any{"nics": []string{"dummy_1", "dummy_2"}, "options": lacp}},
		"options":  map[string]any{"connectivityCheck": "false"}})
	caps = laneCapsAs[bondLaneCaps](l, c)
	// VDSM reports the mode and what differs from the mode's defaults, enums by number.
	if opts := fmt.Sprint(caps.Bondings["bond0"].Opts); opts != "map[miimon:200 mode:4 xmit_hash_policy:2]" ||
		strings.Join(caps.Bondings["bond0"].Slaves, ",") != "dummy_1,dummy_2" || caps.Networks["vlan100"].Addr != "10.79.0.2" {
		t.Fatalf("caps with the bond in 802.3ad: %+v", caps)
	}
	links = l.links()
	if links["bond0"].BondOptions != "mode=4 miimon=200 xmit_hash_policy=2" || !links["bond0"].Up ||
		links["dummy_1"].Master != "bond0" || links["dummy_2"].Master != "bond0" || links["bond0.100"].Master != "vlan100" {
		t.Fatalf("the kernel with the bond in 802.3ad: %+v", links)
	}
	if got := l.bondDetails(); got["mode"] != "802.3ad" || got["miimon"] != float64(200) || got["xmit_hash_policy"] != "layer2+3" {
		t.Fatalf("ip -d link show bond0: %v", got)
	}

	// An options change nobody confirms, a mode change again: undone to the exact options,
	// slaves, addresses and link states, and answered with VDSM's connectivity error. (Carrier
	// and the link-local addresses that follow it come back when the bond's 802.3ad state
	// machine gets there: they are compared through what the agent reads, which leaves them out.)
	before, beforeOpts := fmt.Sprint(l.links()), l.bondDetails()
	_, err := c.Call("Host.setupNetworks", map[string]any{"networks": map[string]any{},
		"bondings": map[string]any{"bond0": map[string]any{"nics": []string{"dummy_1", "dummy_2"}, "options": "mode=1 miimon=150 updelay=300"}},
		"options":  map[string]any{"connectivityCheck": "true", "connectivityTimeout": 1}})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != 10 {
		t.Fatalf("unconfirmed bond options change: %v; the agent's log:\n%s", err, l.log())
	}
	if got := fmt.Sprint(l.links()); got != before {
		t.Fatalf("after the rollback:\n%s\nbefore the change:\n%s", got, before)
	}
	if got := l.bondDetails(); fmt.Sprint(got) != fmt.Sprint(beforeOpts) {
		t.Fatalf("bond0's options after the rollback: %v\nbefore the change: %v", got, beforeOpts)
	}
	if caps = laneCapsAs[bondLaneCaps](l, c); fmt.Sprint(caps.Bondings["bond0"].Opts) != "map[miimon:200 mode:4 xmit_hash_policy:2]" {
		t.Fatalf("caps after the rollback: %+v", caps)
	}

	// A live change: miimon only, the bond stays up with its slaves.
	lacp = "mode=4 miimon=300 xmit_hash_policy=2"
	l.call(c, "Host.setupNetworks", map[string]any{"networks": map[string]any{},
		"bondings": map[string]any{"bond0": map[string]any{"nics": []string{"dummy_1", "dummy_2"}, "options": lacp}},
		"options":  map[string]any{"connectivityCheck": "false"}})
	if got := l.bondDetails(); got["mode"] != "802.3ad" || got["miimon"] != float64(300) || got["xmit_hash_policy"] != "layer2+3" {
		t.Fatalf("ip -d link show bond0 after a live change: %v", got)
	}
	if caps = laneCapsAs[bondLaneCaps](l, c); fmt.Sprint(caps.Bondings["bond0"].Opts) != "map[miimon:300 mode:4 xmit_hash_policy:2]" {
		t.Fatalf("caps after a live change: %+v", caps)
	}

	// A changed bond: dummy_2 leaves it, the network on it stays.
	l.call(c, "Host.setupNetworks", map[string]any{"networks": map[string]any{},
		"bondings": map[string]any{"bond0": map[string]any{"nics": []string{"dummy_1"}, "options": lacp}},
		"options":  map[string]any{"connectivityCheck": "false"}})
	caps = laneCapsAs[bondLaneCaps](l, c)
	if strings.Join(caps.Bondings["bond0"].Slaves, ",") != "dummy_1" || caps.Networks["vlan100"].Addr != "10.79.0.2" {
		t.Fatalf("caps with dummy_2 out of the bond: %+v", caps)
	}
	if links := l.links(); links["dummy_2"].Master != "" || links["dummy_1"].Master != "bond0" || links["bond0.100"].Master != "vlan100" {
		t.Fatalf("the kernel with dummy_2 out of the bond: %+v", links)
	}

	// The network and the bond removed: the kernel is as the test made it.
	l.call(c, "Host.setupNetworks", map[string]any{"networks": map[string]any{"vlan100": map[string]any{"remove": "true"}},
		"bondings": map[string]any{"bond0": map[string]any{"remove": "true"}},
		"options":  map[string]any{"connectivityCheck": "false"}})
	caps = laneCapsAs[bondLaneCaps](l, c)
	if len(caps.Bondings) != 0 || len(caps.VLANs) != 0 || len(caps.Networks) != 0 || caps.Bridges["vlan100"] != nil {
		t.Fatalf("caps after the removal: %+v", caps)
	}
	if got := l.kernelLines(); got != start {
		t.Fatalf("the kernel after the removal:\n%s\nat the start:\n%s", got, start)
	}
	c.Close()
	l.stop(syscall.SIGTERM)
}

type bondLaneCaps struct {
	Bondings map[string]struct {
		Slaves []string          `json:"slaves"`
		Opts   map[string]string `json:"opts"`
	} `json:"bondings"`
	VLANs map[string]struct {
		Iface  string `json:"iface"`
		VLANID int    `json:"vlanid"`
	} `json:"vlans"`
	Networks map[string]struct {
		Bridged bool     `json:"bridged"`
		Iface   string   `json:"iface"`
		Ports   []string `json:"ports"`
		Addr    string   `json:"addr"`
		// VDSM's netinfo reports where the network leaves the host, and the VLAN id when that is
		// a VLAN.
		Southbound string `json:"southbound"`
		VLANID     int    `json:"vlanid"`
	} `json:"networks"`
	Bridges map[string]any `json:"bridges"`
	NICs    map[string]any `json:"nics"`
}

// links is the agent namespace's links as the agent's own netlink adapter reads them.
func (l *netLane) links() map[string]hostnet.Link {
	l.t.Helper()
	h, err := hostnet.OpenNamespace(l.agentNS, hostnet.DefaultFakeNICs)
	if err != nil {
		l.t.Fatal(err)
	}
	defer h.Close()
	cur, err := h.Read()
	if err != nil {
		l.t.Fatal(err)
	}
	out := map[string]hostnet.Link{}
	for _, link := range cur.Links {
		out[link.Name] = link
	}
	return out
}

// bondDetails is bond0's options as iproute2 reads them from the kernel (ip -d -j link), but
// the 802.3ad aggregator's state, which is no option.
func (l *netLane) bondDetails() map[string]any {
	l.t.Helper()
	out, err := exec.Command("ip", "-n", l.agentNS, "-d", "-j", "link", "show", "dev", "bond0").Output()
	if err != nil {
		l.t.Fatalf("ip -d link show bond0: %v", err)
	}
	var links []struct {
		LinkInfo struct {
			InfoData map[string]any `json:"info_data"`
		} `json:"linkinfo"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		l.t.Fatalf("ip -d -j link show bond0: %v: %s", err, out)
	}
	d := links[0].LinkInfo.InfoData
	delete(d, "ad_info")
	return d
}

// kernelLines is kernel() in sorted lines: a link that went down and up again lists its IPv6
// route after the others', which is no difference in the state.
func (l *netLane) kernelLines() string {
	l.t.Helper()
	return sortLines(l.kernel())
}

func sortLines(s string) string {
	lines := strings.Split(s, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
