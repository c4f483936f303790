package main

// A VM as the engine builds it: testdata/engine/qemu-lane.xml through create, console ticket, NIC
// hotplug, a move of that NIC to another network and to none, unplug, Up, shutdown and destroy on
// real QEMU, with its cloud-init payload CD-ROM on an image the agent builds and removes. Run by the migration lane
// (`go tool task test:migration`, .ci/migration-lane.sh) inside host A of .ci/twohosts.sh, whose
// network namespace is the only place the lane may make a host's bridges: there it makes ovirtmgmt
// (127.0.0.2/32 on it, so that the vdsm-ovirtmgmt display network has an address to listen on that
// stays in the namespace), ;vdsmdummy; and blue (a second VM network for a vNIC to move to), as
// vdsm-tool and the networks verbs make them on a real host, stops host A's own agent (it would adopt this test's domain), and sets:
//
//	HOSTAGENT_TEST_ENGINE_VM     set: the bridges are made, and qemu:///system is host A's libvirtd
//	HOSTAGENT_TEST_QEMU_GUEST    the guest of .ci/qemu-guest.sh (see qemu_test.go)
//	HOSTAGENT_TEST_QEMU_TYPE     the domain type (qemu: twohosts' guests run under TCG)
//
// Without HOSTAGENT_TEST_ENGINE_VM it skips, also under CI=true: the QEMU lane runs on the
// machine's own network, where it makes no bridge, and does not run it (its name does not match
// ^TestQEMU); the migration lane, which sets it, fails on a skip.

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/engine/domxml"
)

// vncListen is the VNC display's port and the address libvirt resolved its display network to.
var vncListen = regexp.MustCompile(`(?s)<graphics type='vnc' port='(\d+)'.*?<listen type='network' address='([^']+)' network='vdsm-ovirtmgmt'`)

func TestEngineVM(t *testing.T) {
	if os.Getenv("HOSTAGENT_TEST_ENGINE_VM") == "" {
		t.Skip("needs a namespace host with the ovirtmgmt, ;vdsmdummy; and blue bridges: HOSTAGENT_TEST_ENGINE_VM is unset (go tool task test:migration runs this test, as root)")
	}
	q := qemuEnv(t)
	for _, br := range []string{"ovirtmgmt", domxml.DummyBridge, "blue"} {
		if _, err := os.Stat(filepath.Join("/sys/class/net", br, "bridge")); err != nil {
			t.Fatalf("the lane makes the bridge %s before the test: %v", br, err)
		}
	}
	// The payload images are built where QEMU (libvirt-qemu) can reach them: libvirt hands it
	// the image, not the directories above.
	payloads := t.TempDir()
	for _, d := range []string{payloads, filepath.Dir(payloads)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ta := startAgent(t, func(c *agentConfig) { c.LibvirtURI = qemuURI; c.PayloadDir = payloads })
	q.hold = q.connect(t)
	ev := events(t, ta)
	c := ta.dial(t)

	tmpl, err := os.ReadFile("../../testdata/engine/qemu-lane.xml")
	if err != nil {
		t.Fatal(err)
	}
	id := "c6c6c6c6-0000-4000-8000-000000000001"
	g := &qemuGuest{name: "hostagent-qemu-engine", id: id, serial: filepath.Join(t.TempDir(), "serial.log")}
	xml := strings.NewReplacer(
		"@TYPE@", q.domainType, "@NAME@", g.name, "@UUID@", id,
		"@KERNEL@", filepath.Join(q.guest, "vmlinuz"), "@INITRD@", filepath.Join(q.guest, "initrd.img"),
		"@MAC1@", "56:6f:c6:c6:00:01", "@MAC2@", "56:6f:c6:c6:00:02", "@SERIAL@", g.serial,
	).Replace(string(tmpl))
	t.Cleanup(func() { q.remove(t, g) })
	res, err := c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": xml}})
	if err != nil {
		t.Fatalf("VM.create: %v", err)
	}
	if m := decodeObject(t, res); m["vmId"] != id || m["status"] != "WaitForLaunch" {
		t.Fatalf("VM.create: %v", m)
	}
	if e := ev.wait(id, "Powering up", "Down"); e["status"] == "Down" {
		t.Fatalf("the engine's VM did not start: %v", e)
	}
	g.waitLog(t, guestUp, 1)

	// What libvirt runs is the engine's XML with VDSM's resolutions: no placeholder left, both
	// NICs on their bridges, the display on the address of the network's bridge.
	x := dumpxml(t, c, id)
	for _, p := range []string{"OS-NAME:", "OS-VERSION:", "HOST-SERIAL:"} {
		if strings.Contains(x, p) {
			t.Errorf("Host.dumpxmls still has the placeholder %s", p)
		}
	}
	for _, want := range []string{"<source bridge=';vdsmdummy;'/>", "<source bridge='ovirtmgmt'/>", "<ovirt-vm:clusterVersion>4.7</ovirt-vm:clusterVersion>",
		"<rng model='virtio'>", "<memballoon model='virtio'>", "device='cdrom'", "org.qemu.guest_agent.0"} {
		if !strings.Contains(x, want) {
			t.Errorf("Host.dumpxmls has no %s", want)
		}
	}
	// The cloud-init payload runs from the ISO image the agent built, while the VM runs.
	payload := filepath.Join(payloads, id+".hdd.img")
	if !strings.Contains(x, "<source file='"+payload+"'") || strings.Contains(x, "PAYLOAD:") {
		t.Errorf("the payload CD-ROM is not on %s:\n%s", payload, x)
	}
	if out, err := exec.Command("isoinfo", "-J", "-x", "/openstack/latest/user_data", "-i", payload).CombinedOutput(); err != nil || string(out) != "#cloud-config\nssh_pwauth: true\n" {
		t.Errorf("user_data on the payload image: %q %v", out, err)
	}
	// Each bridge has the guest's tap for its NIC, and nothing else: the lane made them empty.
	for _, br := range []string{"ovirtmgmt", domxml.DummyBridge} {
		ports, err := os.ReadDir(filepath.Join("/sys/class/net", br, "brif"))
		if err != nil || len(ports) != 1 || !strings.HasPrefix(ports[0].Name(), "vnet") {
			t.Errorf("ports of the bridge %s: %v %v; want the guest's tap", br, ports, err)
		}
	}
	m := vncListen.FindStringSubmatch(x)
	if m == nil {
		t.Fatalf("no VNC display on vdsm-ovirtmgmt in Host.dumpxmls:\n%s", x)
	}
	if m[2] != "127.0.0.2" {
		t.Fatalf("the display listens on %s, want the ovirtmgmt bridge's 127.0.0.2", m[2])
	}
	addr := net.JoinHostPort(m[2], m[1])

	// The console: the engine's expired password lets no one in, its ticket does.
	if err := vncLogin(t, addr, "*****"); err == nil {
		t.Fatal("the engine's expired password let a VNC client in")
	}
	res, err = c.Call("VM.updateDevice", map[string]any{"vmID": id, "params": map[string]any{
		"deviceType": "graphics", "graphicsType": "vnc", "password": "t1ck3t-6", "ttl": 120,
		"existingConnAction": "disconnect", "disconnectAction": "LOCK_SCREEN",
		"consoleDisconnectActionDelay": "0", "params": map[string]any{"vncUsername": "vnc-c6c6c6c6", "fips": "false"},
	}})
	if err != nil || string(res) != "{}" {
		t.Fatalf("VM.updateDevice graphics: %s %v", res, err)
	}
	if err := vncLogin(t, addr, "t1ck3t-6"); err != nil {
		t.Fatalf("VNC login with the ticket: %v", err)
	}
	if err := vncLogin(t, addr, "wrong-pw"); err == nil {
		t.Fatal("a wrong password let a VNC client in")
	}

	// A vNIC plugged on ovirtmgmt as the engine plugs it, then unplugged.
	ta.SampleNow()
	hash0 := vmStatsOf(t, c, id)["hash"]
	mac, alias := "56:6f:c6:c6:00:03", "ua-c6c6c6c6-0003"
	nic := `<?xml version="1.0" encoding="UTF-8"?><hotplug><devices>` +
		`<interface type="bridge"><model type="virtio"/><link state="up"/><source bridge="ovirtmgmt"/><alias name="` + alias + `"/>` +
		`<mac address="` + mac + `"/><mtu size="1500"/><bandwidth/></interface></devices>` +
		`<metadata xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><ovirt-vm:vm><ovirt-vm:device mac_address="` + mac + `">` +
		`<ovirt-vm:network>ovirtmgmt</ovirt-vm:network><ovirt-vm:custom/></ovirt-vm:device></ovirt-vm:vm></metadata></hotplug>`
	at := g.mark(t)
	if _, err := c.Call("VM.hotplugNic", map[string]any{"vmID": id, "params": map[string]any{"vmId": id, "xml": nic}}); err != nil {
		t.Fatalf("VM.hotplugNic: %v", err)
	}
	x = dumpxml(t, c, id)
	plugged := nicOf(t, x, mac)
	if !strings.Contains(plugged, "<source bridge='ovirtmgmt'/>") || !strings.Contains(nicMetadata(x, mac), "<ovirt-vm:network>ovirtmgmt</ovirt-vm:network>") {
		t.Fatalf("the plugged NIC is:\n%s\nits metadata: %q", plugged, nicMetadata(x, mac))
	}
	tap := tapOf(t, plugged)
	if br := masterOf(t, tap); br != "ovirtmgmt" {
		t.Fatalf("the plugged NIC's tap %s is on %q, want ovirtmgmt", tap, br)
	}
	dev := g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: (eth\d+) added `+mac))[1]
	g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: `+dev+` carrier 1`))
	ta.SampleNow()
	hash1 := vmStatsOf(t, c, id)["hash"]
	if hash1 == hash0 {
		t.Errorf("hash %v did not change with the plugged NIC", hash1)
	}

	// The vNIC moved to the network blue as today's engine moves it (VM.updateDevice with its
	// hotplug XML naming the new network): libvirt's device update puts the tap on blue's bridge.
	res, err = c.Call("VM.updateDevice", map[string]any{"vmID": id, "params": map[string]any{
		"deviceType": "interface", "xml": strings.ReplaceAll(nic, "ovirtmgmt", "blue")}})
	if err != nil || string(res) != "{}" {
		t.Fatalf("VM.updateDevice to the network blue: %s %v", res, err)
	}
	x = dumpxml(t, c, id)
	if n := nicOf(t, x, mac); !strings.Contains(n, "<source bridge='blue'/>") || !strings.Contains(n, "<link state='up'/>") ||
		!strings.Contains(nicMetadata(x, mac), "<ovirt-vm:network>blue</ovirt-vm:network>") {
		t.Fatalf("after the move to blue the NIC is:\n%s\nits metadata: %q", n, nicMetadata(x, mac))
	}
	if br := masterOf(t, tap); br != "blue" {
		t.Fatalf("after the move to blue the tap %s is on %q", tap, br)
	}
	ta.SampleNow()
	hash2 := vmStatsOf(t, c, id)["hash"]
	if hash2 == hash1 {
		t.Errorf("hash %v did not change with the NIC's network", hash2)
	}

	// No network (the older engine's parameters, network ""): VDSM's unplugged cable, the dummy
	// bridge and the link down, which the guest sees.
	at = g.mark(t)
	res, err = c.Call("VM.updateDevice", map[string]any{"vmID": id, "params": map[string]any{
		"deviceType": "interface", "alias": alias, "network": "", "linkActive": "true", "portMirroring": []any{}, "specParams": map[string]any{}, "custom": map[string]any{}}})
	if err != nil || string(res) != "{}" {
		t.Fatalf("VM.updateDevice to no network: %s %v", res, err)
	}
	if n := nicOf(t, dumpxml(t, c, id), mac); !strings.Contains(n, "<source bridge=';vdsmdummy;'/>") || !strings.Contains(n, "<link state='down'/>") {
		t.Fatalf("after the move to no network the NIC is:\n%s", n)
	}
	if br := masterOf(t, tap); br != domxml.DummyBridge {
		t.Fatalf("after the move to no network the tap %s is on %q", tap, br)
	}
	g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: `+dev+` carrier 0`))

	at = g.mark(t)
	res, err = c.Call("VM.hotunplugNic", map[string]any{"vmID": id, "params": map[string]any{"vmId": id, "xml": nic}})
	if err != nil || string(res) != "{}" {
		t.Fatalf("VM.hotunplugNic: %s %v", res, err)
	}
	if strings.Contains(dumpxml(t, c, id), mac) {
		t.Fatal("Host.dumpxmls still has the unplugged NIC, or its metadata")
	}
	g.waitSince(t, at, regexp.MustCompile(`HOSTAGENT-GUEST: `+dev+` removed`))

	// Without a guest agent the VM is Up once VDSM's boot time-out has passed since it started.
	libvirtdEventually(t, 2*time.Minute, "the VM is not Up two minutes after it started", func() bool {
		return vmStatsOf(t, c, id)["status"] == "Up"
	})

	// The engine's shutdown: delay as a string, a message, no force.
	res, err = c.Call("VM.shutdown", map[string]any{"vmID": id, "delay": "30", "message": "System Administrator has initiated shutdown of this Virtual Machine.", "reboot": false})
	if err != nil || string(res) != "true" {
		t.Fatalf("VM.shutdown: %s %v", res, err)
	}
	down := ev.wait(id, "Down")
	if down["exitReason"] != float64(6) || !strings.Contains(g.log(t), guestPowerOff) {
		t.Fatalf("Down after VM.shutdown: %v; the guest's console:\n%s", down, g.log(t))
	}
	if res, err := c.Call("VM.destroy", map[string]any{"vmID": id, "gracefulAttempts": 1}); err != nil || string(res) != "true" {
		t.Fatalf("VM.destroy: %s %v", res, err)
	}
	if !q.gone(t, g) {
		t.Fatalf("%s is still defined after VM.destroy", g.name)
	}
	if _, err := os.Stat(payload); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the payload image outlived its VM: %v", err)
	}
}

// tapOf is the host's tap of an <interface> element of a running domain.
func tapOf(t *testing.T, nic string) string {
	t.Helper()
	m := regexp.MustCompile(`<target dev='([^']+)'`).FindStringSubmatch(nic)
	if m == nil {
		t.Fatalf("no tap in:\n%s", nic)
	}
	return m[1]
}

// masterOf is the bridge the link is a port of, "" for none.
func masterOf(t *testing.T, link string) string {
	t.Helper()
	p, err := os.Readlink(filepath.Join("/sys/class/net", link, "master"))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(p)
}
