package domxml

import (
	"strings"
	"testing"
)

const metaDomain = `<domain type='kvm'><name>x</name><metadata>
  <ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0">
    <ovirt-vm:clusterVersion>4.7</ovirt-vm:clusterVersion>
    <ovirt-vm:custom><ovirt-vm:k>a &amp; b</ovirt-vm:k></ovirt-vm:custom>
    <ovirt-vm:device mac_address="52:54:00:00:00:01"><ovirt-vm:network>ovirtmgmt</ovirt-vm:network></ovirt-vm:device>
    <ovirt-vm:device mac_address="52:54:00:00:00:0a"><ovirt-vm:network>gone</ovirt-vm:network></ovirt-vm:device>
    <ovirt-vm:device devtype="disk" name="sdc"><ovirt-vm:payload><ovirt-vm:volId>config-2</ovirt-vm:volId></ovirt-vm:payload></ovirt-vm:device>
  </ovirt-vm:vm></metadata>
<devices>
  <interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='ovirtmgmt'/><alias name='ua-1'/></interface>
</devices></domain>`

const metaHotplug = `<?xml version="1.0" encoding="UTF-8"?><hotplug><devices><interface type="bridge"><mac address="52:54:00:00:00:02"/><source bridge="blue"/><alias name="ua-2"/></interface></devices>` +
	`<metadata xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><ovirt-vm:vm><ovirt-vm:device mac_address="52:54:00:00:00:02">` +
	`<ovirt-vm:network>blue</ovirt-vm:network><ovirt-vm:portMirroring><ovirt-vm:network>red</ovirt-vm:network></ovirt-vm:portMirroring>` +
	`<ovirt-vm:custom><ovirt-vm:queues>4</ovirt-vm:queues></ovirt-vm:custom></ovirt-vm:device></ovirt-vm:vm></metadata></hotplug>`

// The element PutNicDevice and DropStaleNicDevices answer, read back as a domain's metadata.
func readBack(t *testing.T, elem string) VM {
	t.Helper()
	elem = strings.Replace(elem, "<vm>", `<vm xmlns="http://ovirt.org/vm/1.0">`, 1)
	vm, _, _, err := readDomain(`<domain><uuid>u</uuid><metadata>` + elem + `</metadata></domain>`)
	if err != nil {
		t.Fatalf("%v\n%s", err, elem)
	}
	return vm
}

func macs(vm VM) []string {
	var out []string
	for _, d := range vm.Devices {
		if d.MAC != "" {
			out = append(out, d.MAC+"="+d.Fields["network"])
		}
	}
	return out
}

func TestNicDevicePlugUpdateUnplug(t *testing.T) {
	// Plug: the engine's device joins, everything else is kept as it was.
	d, err := HotplugNicDevice(metaHotplug, "52:54:00:00:00:02", "blue")
	if err != nil {
		t.Fatal(err)
	}
	elem, err := PutNicDevice(metaDomain, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(elem, "ovirt-vm") || strings.Contains(elem, "xmlns") {
		t.Errorf("the element carries a prefix or a namespace: %s", elem)
	}
	vm := readBack(t, elem)
	if got := strings.Join(macs(vm), " "); got != "52:54:00:00:00:01=ovirtmgmt 52:54:00:00:00:0a=gone 52:54:00:00:00:02=blue" {
		t.Errorf("NIC devices after the plug: %s", got)
	}
	if vm.ClusterVersion != "4.7" || vm.Custom["k"] != "a & b" || len(vm.Devices) != 4 || vm.Devices[2].Payload == nil || vm.Devices[2].Payload.VolID != "config-2" {
		t.Errorf("the rest of the metadata changed: %+v", vm)
	}
	plugged := vm.Devices[3]
	if plugged.Custom["queues"] != "4" || strings.Join(plugged.PortMirroring, ",") != "red" {
		t.Errorf("the plugged device lost what the engine said of it: %+v", plugged)
	}

	// A network change rewrites the device's network, in place.
	d, ok, err := NicDeviceOf(metaDomain, "52:54:00:00:00:01")
	if err != nil || !ok || d.Network() != "ovirtmgmt" {
		t.Fatalf("NicDeviceOf: %+v %v %v", d, ok, err)
	}
	elem, err = PutNicDevice(metaDomain, d.WithNetwork(DummyBridge))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(macs(readBack(t, elem)), " "); got != "52:54:00:00:00:01=;vdsmdummy; 52:54:00:00:00:0a=gone" {
		t.Errorf("NIC devices after the network change: %s", got)
	}
	if d.Network() != "ovirtmgmt" {
		t.Error("WithNetwork changed the device it was called on")
	}

	// Unplug: the device of a MAC no interface has leaves; the payload disk's stays.
	elem, dropped, err := DropStaleNicDevices(metaDomain)
	if err != nil || !dropped {
		t.Fatalf("DropStaleNicDevices: %v %v", dropped, err)
	}
	vm = readBack(t, elem)
	if got := strings.Join(macs(vm), " "); got != "52:54:00:00:00:01=ovirtmgmt" || len(vm.Devices) != 2 {
		t.Errorf("devices after the unplug: %s, %+v", got, vm.Devices)
	}
	if _, dropped, _ := DropStaleNicDevices(hotplugDomain); dropped {
		t.Error("DropStaleNicDevices dropped a device from a domain with none stale")
	}
}

// A hotplug XML without device metadata: a device of the MAC, on the NIC's bridge.
func TestHotplugNicDeviceWithoutMetadata(t *testing.T) {
	x := `<hotplug><devices><interface type="bridge"><mac address="52:54:00:00:00:03"/></interface></devices></hotplug>`
	d, err := HotplugNicDevice(x, "52:54:00:00:00:03", "ovirtmgmt")
	if err != nil {
		t.Fatal(err)
	}
	elem, err := PutNicDevice(`<domain><devices/></domain>`, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<vm><device mac_address="52:54:00:00:00:03"><network>ovirtmgmt</network></device></vm>`; elem != want {
		t.Errorf("PutNicDevice = %s, want %s", elem, want)
	}
}
