package main

// A migrated VM keeps its network: the migration lane (.ci/migration-lane.sh) runs both agents
// with --manage-networks, and this test makes the VM network "vmnet" on both hosts the way the
// engine adds one (Host.setupNetworks with a connectivity check, Host.confirmConnectivity,
// Host.setSafeNetworkConfig), bridged over veth_1, the second link twohosts.sh lays between the
// hosts. A guest whose NIC sits on that bridge answers pings from host A (where the test runs)
// before and after it moves to B, where its tap is on B's vmnet bridge. Besides the migration
// lane's variables it reads HOSTAGENT_TEST_MIGRATION_NETNS_A and _B, the hosts' network
// namespaces, to look at their links with `ip -n`.

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/hostnet"
)

const (
	vmNet     = "vmnet"
	vmNetNIC  = "veth_1"    // twohosts.sh's second link between the hosts (TH_VMIF)
	guestAddr = "192.0.2.2" // the address the guest's /init gives its eth0 (twohosts.sh)
)

func TestMigrationLaneNetworks(t *testing.T) {
	a, b, tmpl := migrationLane(t)
	nsA, nsB := os.Getenv("HOSTAGENT_TEST_MIGRATION_NETNS_A"), os.Getenv("HOSTAGENT_TEST_MIGRATION_NETNS_B")
	if nsA == "" || nsB == "" {
		t.Fatal("HOSTAGENT_TEST_MIGRATION_NETNS_A and _B are unset (the migration lane sets them)")
	}
	// The guest pings 192.0.2.1 on every heartbeat: A's address answers it.
	setupVMNet(t, a, nsA, "192.0.2.1")
	setupVMNet(t, b, nsB, "192.0.2.3")
	// Both ends of the network, across the hosts' veth_1.
	if err := ping("192.0.2.3"); err != nil {
		t.Fatalf("host A cannot reach host B over %s: %v", vmNet, err)
	}
	for _, uri := range []string{"qemu:///system", "qemu+tcp://hostb/system"} {
		out, err := exec.Command("virsh", "-c", uri, "net-dumpxml", "vdsm-"+vmNet).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "<bridge name='"+vmNet+"'/>") || !strings.Contains(string(out), "<forward mode='bridge'/>") {
			t.Fatalf("the libvirt network vdsm-%s on %s: %s %v", vmNet, uri, out, err)
		}
	}

	id := client.UUID()
	name := "hostagent-mignet-" + id[:8]
	const ethernet = "<interface type='ethernet'><model type='virtio'/></interface>"
	if !strings.Contains(tmpl, ethernet) {
		t.Fatalf("the guest's XML has no %s", ethernet)
	}
	domXML := strings.Replace(strings.ReplaceAll(tmpl, "@NAME@", name), "</name>", "</name>\n  <uuid>"+id+"</uuid>", 1)
	domXML = strings.Replace(domXML, ethernet, "<interface type='bridge'><source bridge='"+vmNet+"'/><model type='virtio'/></interface>", 1)
	createOnA(t, a, b, id, domXML)
	a.expect(t, id, "Up")
	a.waitBeat(t, name, 1) // its /init has configured eth0
	onA := guestNIC(t, a, id)
	tapOn(t, nsA, onA)
	if err := ping(guestAddr); err != nil {
		t.Fatalf("the guest on A does not answer: %v", err)
	}

	t.Log("migrating A → B with the guest's NIC on " + vmNet)
	a.migrate(t, id, b, nil)
	a.expect(t, id, "Migration Source")
	if d := a.expect(t, id, "Down"); d["exitReason"] != float64(4) {
		t.Fatalf("A's Down: %v", d)
	}
	b.expect(t, id, "Up")
	onB := guestNIC(t, b, id)
	if onB.MAC != onA.MAC {
		t.Fatalf("the NIC's MAC changed: %s on A, %s on B", onA.MAC, onB.MAC)
	}
	before := tapOn(t, nsB, onB)
	if ports := bridgePorts(t, nsA); strings.Join(ports, ",") != vmNetNIC {
		t.Fatalf("A's %s still has ports %v after the guest left", vmNet, ports)
	}
	// From A the reply can only come through veth_1 and B's bridge, and B's tap counts it.
	if err := ping(guestAddr); err != nil {
		t.Fatalf("the guest on B does not answer from A: %v", err)
	}
	if after := tapOn(t, nsB, onB); after <= before {
		t.Fatalf("B's tap %s sent nothing from the guest while it answered a ping (%d packets, then %d)", onB.Dev, before, after)
	}

	if res := b.ta.call(t, "VM.destroy", map[string]any{"vmID": id}); string(res) != "true" {
		t.Fatalf("VM.destroy on B: %s", res)
	}
	b.expect(t, id, "Down")
}

// setupVMNet adds the bridged network vmnet on veth_1 with addr, as the engine does: with a
// connectivity check a client confirms once the change is in the kernel (the network actor
// handles one message at a time, so the confirmation cannot overtake the change), then made safe.
func setupVMNet(t *testing.T, h *migrationHost, ns, addr string) {
	t.Helper()
	seen, stop, err := hostnet.WatchAddr(ns, vmNet, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	c := h.ta.dial(t)
	pending, err := c.Send(json.RawMessage(`"`+client.UUID()+`"`), "Host.setupNetworks", map[string]any{
		"networks": map[string]any{vmNet: map[string]any{"nic": vmNetNIC, "bridged": "true", "STP": "no", "mtu": 1500,
			"ipaddr": addr, "netmask": "255.255.255.0", "bootproto": "none", "defaultRoute": false}},
		"bondings": map[string]any{},
		"options":  map[string]any{"connectivityCheck": "true", "connectivityTimeout": 120},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
	case <-time.After(answerWait):
		t.Fatalf("host %s: %s never appeared on %s", h.name, addr, vmNet)
	}
	if res := h.ta.call(t, "Host.confirmConnectivity", nil); string(res) != "true" {
		t.Fatalf("host %s: confirmConnectivity: %s", h.name, res)
	}
	if res, err := c.Wait(pending); err != nil || !strings.Contains(string(res), `"code":0`) {
		t.Fatalf("host %s: setupNetworks: %s %v", h.name, res, err)
	}
	// Answered by the host actor after the network actor's announcement of vmnet, so its
	// libvirt network vdsm-vmnet is made by then.
	var caps struct {
		Networks map[string]struct {
			Bridged bool     `json:"bridged"`
			Addr    string   `json:"addr"`
			Ports   []string `json:"ports"`
		} `json:"networks"`
		NetConfigDirty string `json:"netConfigDirty"`
	}
	if err := json.Unmarshal(h.ta.call(t, "Host.getCapabilities", nil), &caps); err != nil {
		t.Fatal(err)
	}
	if n, ok := caps.Networks[vmNet]; !ok || !n.Bridged || n.Addr != addr || strings.Join(n.Ports, ",") != vmNetNIC || caps.NetConfigDirty != "True" {
		t.Fatalf("host %s: caps after setupNetworks: %+v", h.name, caps)
	}
	if res := h.ta.call(t, "Host.setSafeNetworkConfig", nil); string(res) != "true" {
		t.Fatalf("host %s: setSafeNetworkConfig: %s", h.name, res)
	}
}

type nic struct{ Bridge, Dev, MAC string }

// guestNIC is the VM's one NIC as host h's agent reports it (Host.dumpxmls, libvirt's live
// XML), which must be on the vmnet bridge.
func guestNIC(t *testing.T, h *migrationHost, id string) nic {
	t.Helper()
	var xmls map[string]string
	if err := json.Unmarshal(h.ta.call(t, "Host.dumpxmls", map[string]any{"vmList": []string{id}}), &xmls); err != nil {
		t.Fatal(err)
	}
	var dom struct {
		Interfaces []struct {
			Type   string `xml:"type,attr"`
			Source struct {
				Bridge string `xml:"bridge,attr"`
			} `xml:"source"`
			Target struct {
				Dev string `xml:"dev,attr"`
			} `xml:"target"`
			MAC struct {
				Address string `xml:"address,attr"`
			} `xml:"mac"`
		} `xml:"devices>interface"`
	}
	if err := xml.Unmarshal([]byte(xmls[id]), &dom); err != nil {
		t.Fatalf("host %s: dumpxmls: %v\n%s", h.name, err, xmls[id])
	}
	if len(dom.Interfaces) != 1 || dom.Interfaces[0].Type != "bridge" || dom.Interfaces[0].Source.Bridge != vmNet || dom.Interfaces[0].Target.Dev == "" {
		t.Fatalf("host %s: the guest's NIC is not on %s:\n%s", h.name, vmNet, xmls[id])
	}
	i := dom.Interfaces[0]
	return nic{Bridge: i.Source.Bridge, Dev: i.Target.Dev, MAC: i.MAC.Address}
}

// ipLink is what `ip -j -s link` says of a link.
type ipLink struct {
	Name    string `json:"ifname"`
	Master  string `json:"master"`
	Address string `json:"address"`
	Stats   struct {
		RX struct {
			Packets uint64 `json:"packets"`
		} `json:"rx"`
	} `json:"stats64"`
}

func ipLinks(t *testing.T, ns string, args ...string) []ipLink {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns, "-j", "-s", "link", "show"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s link show %v: %v: %s", ns, args, err, out)
	}
	var links []ipLink
	if err := json.Unmarshal(out, &links); err != nil {
		t.Fatalf("ip -j: %v: %s", err, out)
	}
	return links
}

// tapOn checks that n's tap is a port of the vmnet bridge in namespace ns, with the address
// libvirt gives a guest's tap (its MAC with the first byte fe), and returns the packets the
// tap received from the guest.
func tapOn(t *testing.T, ns string, n nic) uint64 {
	t.Helper()
	links := ipLinks(t, ns, "dev", n.Dev)
	want := "fe" + n.MAC[2:]
	if len(links) != 1 || links[0].Master != vmNet || links[0].Address != want {
		t.Fatalf("in %s, %s is not the guest's tap on %s (address %s): %+v", ns, n.Dev, vmNet, want, links)
	}
	return links[0].Stats.RX.Packets
}

func bridgePorts(t *testing.T, ns string) []string {
	t.Helper()
	var out []string
	for _, l := range ipLinks(t, ns, "master", vmNet) {
		out = append(out, l.Name)
	}
	return out
}

// ping sends one ICMP echo request to addr from the test's network namespace (host A's) and
// waits for its reply; the deadline only bounds a lost one.
func ping(addr string) error {
	c, err := net.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return err
	}
	defer c.Close()
	id, seq := uint16(os.Getpid()), uint16(rand.Uint32())
	msg := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq), 'h', 'o', 's', 't', 'a', 'g', 'e', 'n', 't'}
	sum := icmpChecksum(msg)
	msg[2], msg[3] = byte(sum>>8), byte(sum)
	dst := &net.IPAddr{IP: net.ParseIP(addr)}
	if _, err := c.WriteTo(msg, dst); err != nil {
		return err
	}
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for {
		// The socket sees every ICMP message the namespace receives (the guest's own pings of
		// 192.0.2.1 among them): only the echo reply to this request counts.
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return fmt.Errorf("no echo reply from %s: %w", addr, err)
		}
		r := buf[:n]
		if from.String() == addr && n >= 8 && r[0] == 0 && r[4] == byte(id>>8) && r[5] == byte(id) && r[6] == byte(seq>>8) && r[7] == byte(seq) {
			return nil
		}
	}
}

func icmpChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
