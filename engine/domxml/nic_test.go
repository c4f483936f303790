package domxml

import (
	"strings"
	"testing"
)

const hotplugDomain = `<domain type='kvm'><name>x</name><metadata><ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0"/></metadata>
<devices>
  <interface type='ethernet'><mac address='52:54:00:00:00:01'/><target dev='vnet0'/><model type='virtio'/><alias name='net0'/></interface>
  <interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge='ovirtmgmt'/><link state='down'/><alias name='ua-2'/></interface>
</devices></domain>`

func TestFindNic(t *testing.T) {
	for _, tc := range []struct{ alias, mac, want string }{
		{"ua-2", "", "52:54:00:00:00:02"},
		{"", "52:54:00:00:00:01", "52:54:00:00:00:01"},
		{"ua-gone", "52:54:00:00:00:01", "52:54:00:00:00:01"}, // the alias first, then the MAC
		{"", "52:54:00:00:00:0A", ""},
	} {
		n, err := FindNic(hotplugDomain, tc.alias, tc.mac)
		if tc.want == "" {
			if err != ErrNoNic {
				t.Errorf("FindNic(%q, %q) = %+v, %v; want ErrNoNic", tc.alias, tc.mac, n, err)
			}
			continue
		}
		if err != nil || n.MAC != tc.want || !strings.HasPrefix(n.Raw, "<interface ") || !strings.HasSuffix(n.Raw, "</interface>") {
			t.Errorf("FindNic(%q, %q) = %+v, %v", tc.alias, tc.mac, n, err)
		}
	}
	n, _ := FindNic(hotplugDomain, "ua-2", "")
	if n.Link != "down" || n.Alias != "ua-2" {
		t.Errorf("FindNic: %+v", n)
	}
}

func TestFirstDevice(t *testing.T) {
	x := `<?xml version="1.0" encoding="UTF-8"?><hotplug><devices><interface type="bridge"><alias name="ua-1"/><mac address="52:54:00:00:00:09"/></interface></devices><metadata xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><ovirt-vm:vm><ovirt-vm:device mac_address="52:54:00:00:00:09"/></ovirt-vm:vm></metadata></hotplug>`
	n, err := FirstDevice(x, "hotplug")
	if err != nil || n.Alias != "ua-1" || n.MAC != "52:54:00:00:00:09" || strings.Contains(n.Raw, "metadata") {
		t.Fatalf("FirstDevice: %+v, %v", n, err)
	}
	if _, err := FirstDevice(`<hotplug><devices/></hotplug>`, "hotplug"); err == nil {
		t.Fatal("FirstDevice of no device: no error")
	}
	if _, err := FirstDevice(`<hotplug><devices>`, "hotplug"); err == nil {
		t.Fatal("FirstDevice of broken XML: no error")
	}
}

func TestSetNic(t *testing.T) {
	n1, _ := FindNic(hotplugDomain, "net0", "")
	got, err := SetNic(n1.Raw, "down", "")
	if err != nil || !strings.Contains(got, `<link state="down"></link></interface>`) || strings.Contains(got, "<source") {
		t.Errorf("SetNic without a link: %s %v", got, err)
	}
	n2, _ := FindNic(hotplugDomain, "ua-2", "")
	got, err = SetNic(n2.Raw, "up", ";vdsmdummy;")
	if err != nil || strings.Count(got, "<link") != 1 || !strings.Contains(got, `<link state="up">`) ||
		!strings.Contains(got, `<source bridge=";vdsmdummy;">`) {
		t.Errorf("SetNic with a link and a bridge: %s %v", got, err)
	}
}

func TestParseNicUpdate(t *testing.T) {
	for _, tc := range []struct {
		x    string
		want NicUpdate
	}{
		// The engine's XML: the metadata's network wins over the bridge.
		{`<hotplug><devices><interface type="bridge"><link state="down"/><source bridge="br-blue"/><alias name="ua-1"/><mac address="52:54:00:00:00:01"/></interface></devices>` +
			`<metadata xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><ovirt-vm:vm><ovirt-vm:device mac_address="52:54:00:00:00:01"><ovirt-vm:network>blue</ovirt-vm:network></ovirt-vm:device></ovirt-vm:vm></metadata></hotplug>`,
			NicUpdate{Alias: "ua-1", LinkActive: false, Network: "blue"}},
		// No metadata: the bridge; no <link>: up; any root element.
		{`<update><devices><interface type="bridge"><source bridge="ovirtmgmt"/><alias name="ua-2"/><mac address="52:54:00:00:00:02"/></interface></devices></update>`,
			NicUpdate{Alias: "ua-2", LinkActive: true, Network: "ovirtmgmt"}},
	} {
		got, err := ParseNicUpdate(tc.x)
		if err != nil || got != tc.want {
			t.Errorf("ParseNicUpdate(%s) = %+v, %v; want %+v", tc.x, got, err, tc.want)
		}
	}
	if _, err := ParseNicUpdate(`<hotplug><devices/></hotplug>`); err == nil {
		t.Error("ParseNicUpdate of an XML without a device: no error")
	}
}
