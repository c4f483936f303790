package domxml

// The per-device metadata of NICs in the domain's ovirt-vm:vm element, kept as VDSM keeps it
// (vm.py _hotplug_device_metadata, _hotunplug_device_metadata; vmdevices/network.py
// get_metadata): one ovirt-vm:device per NIC, identified by its mac_address, holding what the
// engine said of it (network, custom, portMirroring, deviceId, ...). A plugged NIC's device joins
// the element, an unplugged one's leaves it, a network change rewrites its network.
//
// The element is handed back whole, as libvirt's SetMetadata takes it: names without a prefix,
// the namespace (OVirtVMNamespace, key "ovirt-vm") given apart.

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// OVirtVMPrefix is the key under which the ovirt-vm metadata is stored (VDSM's metadata.py).
const OVirtVMPrefix = "ovirt-vm"

// NicDevice is a NIC's ovirt-vm:device element.
type NicDevice struct{ n node }

// HotplugNicDevice is the device metadata the engine's hotplug XML carries for its NIC of mac;
// without one, a device of that MAC alone. A device that names no network gets the NIC's bridge,
// as VDSM takes the network from the metadata, else from <source bridge>.
func HotplugNicDevice(hotplugXML, mac, bridge string) (NicDevice, error) {
	var h struct {
		Metadata struct {
			VM *node `xml:"http://ovirt.org/vm/1.0 vm"`
		} `xml:"metadata"`
	}
	if err := xml.Unmarshal([]byte(hotplugXML), &h); err != nil {
		return NicDevice{}, fmt.Errorf("hotplug XML: %w", err)
	}
	d := NicDevice{n: node{XMLName: xml.Name{Local: "device"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "mac_address"}, Value: mac}}}}
	if h.Metadata.VM != nil {
		if i := deviceOf(h.Metadata.VM.Children, mac); i >= 0 {
			d.n = h.Metadata.VM.Children[i]
		}
	}
	if bridge != "" && d.Network() == "" {
		d = d.WithNetwork(bridge)
	}
	return d, nil
}

// NicDeviceOf is the domain's device metadata for the NIC of mac, and whether it has one.
func NicDeviceOf(domainXML, mac string) (NicDevice, bool, error) {
	vm, err := ovirtVM(domainXML)
	if err != nil {
		return NicDevice{}, false, err
	}
	if i := deviceOf(vm.Children, mac); i >= 0 {
		return NicDevice{n: vm.Children[i]}, true, nil
	}
	return NicDevice{n: node{XMLName: xml.Name{Local: "device"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "mac_address"}, Value: mac}}}}, false, nil
}

// Network is the device's ovirt-vm:network.
func (d NicDevice) Network() string {
	for _, c := range d.n.Children {
		if c.XMLName.Local == "network" {
			return strings.TrimSpace(c.Text)
		}
	}
	return ""
}

// WithNetwork is the device with its network set.
func (d NicDevice) WithNetwork(network string) NicDevice {
	out := d.n
	out.Children = append([]node(nil), d.n.Children...)
	for i, c := range out.Children {
		if c.XMLName.Local == "network" {
			out.Children[i] = node{XMLName: c.XMLName, Text: network}
			return NicDevice{n: out}
		}
	}
	out.Children = append(out.Children, node{XMLName: xml.Name{Local: "network"}, Text: network})
	return NicDevice{n: out}
}

func (d NicDevice) mac() string { return d.n.attr("mac_address") }

// PutNicDevice is the domain's ovirt-vm:vm element with d in place of the device of the same
// MAC (added when there is none).
func PutNicDevice(domainXML string, d NicDevice) (string, error) {
	vm, err := ovirtVM(domainXML)
	if err != nil {
		return "", err
	}
	if i := deviceOf(vm.Children, d.mac()); i >= 0 {
		vm.Children[i] = d.n
	} else {
		vm.Children = append(vm.Children, d.n)
	}
	return render(vm), nil
}

// DropStaleNicDevices is the domain's ovirt-vm:vm element without the devices of NICs the
// domain no longer has (those with a mac_address no interface carries), and whether there were
// any: after an unplug, also one that completed after its request had timed out.
func DropStaleNicDevices(domainXML string) (string, bool, error) {
	vm, err := ovirtVM(domainXML)
	if err != nil {
		return "", false, err
	}
	nics, err := devices(domainXML, "domain", "interface")
	if err != nil {
		return "", false, err
	}
	present := map[string]bool{}
	for _, n := range nics {
		present[strings.ToLower(n.MAC)] = true
	}
	kept := vm.Children[:0]
	dropped := false
	for _, c := range vm.Children {
		if mac := c.attr("mac_address"); c.XMLName.Local == "device" && mac != "" && !present[strings.ToLower(mac)] {
			dropped = true
			continue
		}
		kept = append(kept, c)
	}
	vm.Children = kept
	return render(vm), dropped, nil
}

// ovirtVM is the domain's ovirt-vm:vm element, an empty one when it has none.
func ovirtVM(domainXML string) (node, error) {
	var d struct {
		Metadata struct {
			VM *node `xml:"http://ovirt.org/vm/1.0 vm"`
		} `xml:"metadata"`
	}
	if err := xml.Unmarshal([]byte(domainXML), &d); err != nil {
		return node{}, fmt.Errorf("domain XML: %w", err)
	}
	if d.Metadata.VM == nil {
		return node{XMLName: xml.Name{Local: "vm"}}, nil
	}
	return *d.Metadata.VM, nil
}

func deviceOf(ns []node, mac string) int {
	for i, c := range ns {
		if c.XMLName.Local == "device" && mac != "" && strings.EqualFold(c.attr("mac_address"), mac) {
			return i
		}
	}
	return -1
}

// render writes n with bare names: libvirt's SetMetadata puts the element and its children into
// the namespace it is given, and refuses a prefix of its own. Namespace declarations are dropped;
// whitespace between child elements too.
func render(n node) string {
	var b strings.Builder
	var walk func(n node)
	walk = func(n node) {
		b.WriteString("<" + n.XMLName.Local)
		for _, a := range n.Attrs {
			if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
				continue
			}
			b.WriteString(" " + a.Name.Local + `="`)
			_ = xml.EscapeText(&b, []byte(a.Value)) // a strings.Builder does not fail
			b.WriteString(`"`)
		}
		b.WriteString(">")
		if len(n.Children) == 0 {
			_ = xml.EscapeText(&b, []byte(n.Text))
		}
		for _, c := range n.Children {
			walk(c)
		}
		b.WriteString("</" + n.XMLName.Local + ">")
	}
	walk(n)
	return b.String()
}
