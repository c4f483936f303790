package main

// NIC hotplug: on the test driver (which has no device attach, detach or update: the errors
// VDSM gives for libvirt's refusals) and in the QEMU lane (see qemu_test.go) on a real guest.

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/client"
)

// hotplugNicXML is the engine's hotplug XML for one vNIC (LibvirtVmXmlBuilder's hotplug shape:
// the interface under <devices>, its ovirt-vm metadata beside it). The lane's NIC is a tap
// (type ethernet) rather than the engine's bridge: the lane makes no bridge on the host.
func hotplugNicXML(mac, alias string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><hotplug><devices>` +
		`<interface type="ethernet"><model type="virtio"/><link state="up"/><alias name="` + alias + `"/>` +
		`<mac address="` + mac + `"/><rom enabled="no"/></interface></devices>` +
		`<metadata xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><ovirt-vm:vm><ovirt-vm:device mac_address="` + mac + `">` +
		`<ovirt-vm:network>ovirtmgmt</ovirt-vm:network><ovirt-vm:custom/></ovirt-vm:device></ovirt-vm:vm></metadata></hotplug>`
}

func callErr(t *testing.T, c *client.Client, method string, params map[string]any) *client.Error {
	t.Helper()
	res, err := c.Call(method, params)
	if err == nil {
		t.Fatalf("%s %v answered %s, want an error", method, params, res)
	}
	e, ok := err.(*client.Error)
	if !ok {
		t.Fatalf("%s: %v", method, err)
	}
	return e
}

// On the test driver libvirt refuses attach, detach and update; the agent answers as VDSM
// does: hotplugNic 49 and hotunplugNic 50 in libvirt's words, updateDevice 56, and its checks of
// the request before any of that.
func TestHotplugNicRefusals(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	id := "c5c5c5c5-0000-4000-8000-000000000001"
	createVM(t, c, "hotplug", id)
	ev.wait(id, "Powering up")
	nic := hotplugNicXML("52:54:00:c5:00:01", "ua-c5c5c5c5-0001")
	params := func(p map[string]any) map[string]any { return map[string]any{"vmID": id, "params": p} }

	for _, tc := range []struct {
		method string
		p      map[string]any
		code   int
		msg    string
	}{
		{"VM.hotplugNic", params(map[string]any{"vmId": id, "xml": nic}), 49, "virDomainAttachDeviceFlags"},
		{"VM.hotunplugNic", params(map[string]any{"vmId": id, "xml": nic}), 50, "virDomainDetachDeviceFlags"},
		{"VM.hotplugNic", params(map[string]any{"xml": nic}), 11, "'missing': ['vmId']"},
		{"VM.hotunplugNic", params(map[string]any{"vmId": id}), 100, "'xml'"},
		{"VM.hotplugNic", params(map[string]any{"vmId": id, "xml": "<hotplug><devices/></hotplug>"}), 49, "no device"},
		{"VM.hotplugNic", map[string]any{"vmID": "c5c5c5c5-0000-4000-8000-0000000000ff", "params": map[string]any{"vmId": id, "xml": nic}}, 1, "Virtual machine does not exist"},
		{"VM.updateDevice", params(map[string]any{"deviceType": "interface", "linkActive": "false"}), 11, "'missing': ['alias']"},
		{"VM.updateDevice", params(map[string]any{"deviceType": "interface", "alias": "ua-nonesuch", "linkActive": "false"}), 56, "Failed to update device"},
		{"VM.updateDevice", params(map[string]any{"deviceType": "interface", "alias": "net0", "linkActive": "maybe"}), -32602, "linkActive"},
	} {
		e := callErr(t, c, tc.method, tc.p)
		if e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s %v: code %d %q, want %d containing %q", tc.method, tc.p["params"], e.Code, e.Message, tc.code, tc.msg)
		}
	}
	// The VM is untouched and still serves.
	if st := vmStatsOf(t, c, id)["status"]; st != "Up" && st != "Powering up" {
		t.Fatalf("after the refusals: status %v", st)
	}
}

// A NIC plugged into a real guest: VM.hotplugNic answers its alias and the domain's XML; the NIC
// is in Host.dumpxmls with its ovirt-vm metadata and in VM.getStats, the devices hash changes, and
// the guest reports the new NIC. VM.updateDevice takes its link down and up, and the guest's
// carrier follows. VM.hotunplugNic answers once libvirt reports the device removed: it is gone
// from Host.dumpxmls with its metadata, from VM.getStats and from the guest. A paused guest cannot
// release a NIC: the unplug answers VDSM's time-out error after HotunplugTimeout, and the NIC goes
// once the guest runs again.
func TestQEMUHotplugNic(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	g := q.create(t, c, "hotplug", "c5c5c5c5-0000-4000-8000-000000000002", "")
	ev.wait(g.id, "Powering up")
	g.waitLog(t, guestUp, 1) // the guest's kernel answers PCI hotplug once it runs
	g.waitLog(t, "HOSTAGENT-GUEST: eth0 carrier 1", 1)
	ta.SampleNow()
	hash0 := vmStatsOf(t, c, g.id)["hash"]

	mac, alias := "52:54:00:c5:00:02", "ua-c5c5c5c5-0002"
	at := g.mark(t)
	res, err := c.Call("VM.hotplugNic", map[string]any{"vmID": g.id, "params": map[string]any{"vmId": g.id, "xml": hotplugNicXML(mac, alias)}})
	if err != nil {
		t.Fatalf("VM.hotplugNic: %v", err)
	}
	m := decodeObject(t, res)
	devs, _ := m["devices"].([]any)
	if len(devs) != 1 || devs[0].(map[string]any)["alias"] != alias || devs[0].(map[string]any)["macAddr"] != mac ||
		!strings.Contains(m["xml"].(string), mac) {
		t.Fatalf("VM.hotplugNic answered %v", m)
	}
	x := dumpxml(t, c, g.id)
	if !strings.Contains(x, mac) || !strings.Contains(x, alias) {
		t.Fatalf("Host.dumpxmls after the plug has no %s:\n%s", mac, x)
	}
	// The engine's metadata of the NIC is kept in the domain's, as VDSM keeps it.
	if md := nicMetadata(x, mac); !strings.Contains(md, "<ovirt-vm:network>ovirtmgmt</ovirt-vm:network>") {
		t.Fatalf("the plugged NIC's ovirt-vm metadata is %q in:\n%s", md, x)
	}
	ta.SampleNow()
	st := vmStatsOf(t, c, g.id)
	if hash1 := st["hash"]; hash1 == hash0 {
		t.Errorf("hash %v did not change with the plugged NIC", hash1)
	}
	// A NIC's traffic is reported from the second sample that has it (a rate needs two).
	ta.SampleNow()
	if st := vmStatsOf(t, c, g.id); nicStats(st, mac) == nil || !strings.HasPrefix(nicStats(st, mac)["name"].(string), "vnet") {
		t.Errorf("VM.getStats network has no %s: %v", mac, st["network"])
	}
	// The guest sees the NIC arrive, and its link up.
	dev := g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: (eth\d+) added `+mac))[1]
	g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: `+dev+` carrier 1`))

	t.Logf("the guest has the plugged NIC %s as %s", mac, dev)

	// The link down, then up again, as the engine's vNIC "unplugged"/"plugged" link sets it: down
	// in the older engine's parameters, up in today's (the NIC's hotplug XML with <link state>).
	// The guest sees its carrier follow.
	for _, link := range []struct {
		params         map[string]any
		state, carrier string
	}{
		{map[string]any{"deviceType": "interface", "alias": alias, "linkActive": "false"}, "down", "0"},
		{map[string]any{"deviceType": "interface", "xml": hotplugNicXML(mac, alias)}, "up", "1"},
	} {
		at = g.mark(t)
		res, err = c.Call("VM.updateDevice", map[string]any{"vmID": g.id, "params": link.params})
		if err != nil || string(res) != "{}" {
			t.Fatalf("VM.updateDevice interface, link %s: %s %v", link.state, res, err)
		}
		if x := nicOf(t, dumpxml(t, c, g.id), mac); !strings.Contains(x, "<link state='"+link.state+"'/>") {
			t.Fatalf("after the link %s the NIC is:\n%s", link.state, x)
		}
		t.Logf("link %s: %s", link.state, g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: `+dev+` carrier `+link.carrier))[0])
	}

	at = g.mark(t)
	res, err = c.Call("VM.hotunplugNic", map[string]any{"vmID": g.id, "params": map[string]any{"vmId": g.id, "xml": hotplugNicXML(mac, alias)}})
	if err != nil || string(res) != "{}" {
		t.Fatalf("VM.hotunplugNic: %s %v", res, err)
	}
	if x := dumpxml(t, c, g.id); strings.Contains(x, mac) {
		t.Fatalf("Host.dumpxmls after the unplug still has %s (its device or its metadata):\n%s", mac, x)
	}
	g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: `+dev+` removed`))
	ta.SampleNow()
	if st := vmStatsOf(t, c, g.id); nicStats(st, mac) != nil {
		t.Errorf("VM.getStats network still has the unplugged %s: %v", mac, st["network"])
	}

	// The guest paused: the unplug request waits in QEMU for a guest that never answers.
	mac, alias = "52:54:00:c5:00:03", "ua-c5c5c5c5-0003"
	at = g.mark(t)
	if _, err := c.Call("VM.hotplugNic", map[string]any{"vmID": g.id, "params": map[string]any{"vmId": g.id, "xml": hotplugNicXML(mac, alias)}}); err != nil {
		t.Fatalf("VM.hotplugNic: %v", err)
	}
	dev = g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: (eth\d+) added `+mac))[1]
	if _, err := c.Call("VM.pause", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.pause: %v", err)
	}
	ev.wait(g.id, "Paused")
	// This answer takes HotunplugTimeout, longer than the test client's usual wait.
	slow, err := client.Dial(client.Options{Addr: ta.addr, Timeout: vm.HotunplugTimeout + time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	e := callErr(t, slow, "VM.hotunplugNic", map[string]any{"vmID": g.id, "params": map[string]any{"vmId": g.id, "xml": hotplugNicXML(mac, alias)}})
	if e.Code != 50 || !strings.Contains(e.Message, "Timeout detaching") {
		t.Fatalf("VM.hotunplugNic on a paused guest: %v", e)
	}
	if x := dumpxml(t, c, g.id); !strings.Contains(nicOf(t, x, mac), alias) || nicMetadata(x, mac) == "" {
		t.Fatalf("the NIC or its metadata left before the guest ran:\n%s", x)
	}
	at = g.mark(t)
	if _, err := c.Call("VM.cont", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.cont: %v", err)
	}
	// The unplug completes after its answer: device and metadata go all the same.
	libvirtdEventually(t, qemuEventLimit, "the NIC or its metadata is still in Host.dumpxmls after the guest ran again",
		func() bool { return !strings.Contains(dumpxml(t, c, g.id), mac) })
	g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: `+dev+` removed`))

	if _, err := c.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	ev.wait(g.id, "Down")
}

// nicOf is the <interface> element of the domain XML with the MAC.
func nicOf(t *testing.T, domainXML, mac string) string {
	t.Helper()
	for _, part := range strings.Split(domainXML, "<interface ")[1:] {
		if el, _, ok := strings.Cut(part, "</interface>"); ok && strings.Contains(el, mac) {
			return "<interface " + el + "</interface>"
		}
	}
	t.Fatalf("no interface with %s in:\n%s", mac, domainXML)
	return ""
}

// nicMetadata is the ovirt-vm:device element of the domain XML's metadata for the MAC, "" when
// there is none (libvirt writes metadata as libxml2 does, with double quotes).
func nicMetadata(domainXML, mac string) string {
	m := regexp.MustCompile(`(?s)<ovirt-vm:device mac_address=["']` + regexp.QuoteMeta(mac) + `["']>.*?</ovirt-vm:device>`).FindString(domainXML)
	return m
}

// nicStats is the entry of VM.getStats' network for the NIC of mac, nil when there is none.
func nicStats(st map[string]any, mac string) map[string]any {
	nets, _ := st["network"].(map[string]any)
	for _, n := range nets {
		if m, _ := n.(map[string]any); m != nil && m["macAddr"] == mac {
			return m
		}
	}
	return nil
}

// mark is how far the guest's serial console has come; waitSince reads what it wrote after.
func (g *qemuGuest) mark(t *testing.T) int {
	t.Helper()
	return len(g.log(t))
}

// waitSince waits until what the guest wrote on its console after the mark matches re, and
// answers the match. The guest's NIC watch polls: the bound only catches a guest that never says.
func (g *qemuGuest) waitSince(t *testing.T, mark int, re *regexp.Regexp) []string {
	t.Helper()
	end := time.Now().Add(qemuEventLimit)
	for {
		since := g.log(t)[mark:]
		if m := re.FindStringSubmatch(since); m != nil {
			return m
		}
		if time.Now().After(end) {
			t.Fatalf("after %s: %s: %q not on the serial console; since the mark it has:\n%s", qemuEventLimit, g.name, re, since)
		}
		time.Sleep(50 * time.Millisecond) // the console is a file libvirt writes: nothing to wait on
	}
}
