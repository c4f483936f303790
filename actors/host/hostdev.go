package host

import (
	"encoding/xml"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/hostagent/hostagent/virt"
)

// Host.hostdevListByCaps: VDSM's lib/vdsm/common/hostdev.py turns every libvirt node device into
// {name: {params: {...}}}, where params hold only what the device's XML (and for PCI, sysfs)
// says. Every value is a string as the engine's VdsBrokerObjectsBuilder.buildHostDevices reads it,
// except totalvfs (an int) and the address and mdev maps. NVDIMM namespaces (ndctl) and the
// after_hostdev_list_by_caps hook are not reported: this agent has neither.

// xnode is a generic XML element, so the parsers below can walk the nodedev XML the way
// hostdev.py walks its ElementTree.
type xnode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []xnode    `xml:",any"`
}

func (n *xnode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// find returns the first element down the path of tags, nil when there is none.
func (n *xnode) find(tags ...string) *xnode {
	cur := n
	for _, t := range tags {
		var next *xnode
		for i := range cur.Nodes {
			if cur.Nodes[i].XMLName.Local == t {
				next = &cur.Nodes[i]
				break
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

// HostDevices answers hostdevListByCaps for the node devices libvirt listed.
func HostDevices(r fsRoot, devs []virt.NodeDevice) (map[string]any, error) {
	params := make(map[string]map[string]any, len(devs))
	for _, d := range devs {
		p, err := deviceParams(r, d.XML)
		if err != nil {
			return nil, fmt.Errorf("node device %s: %w", d.Name, err)
		}
		params[d.Name] = p
	}
	// A SCSI device's names and /dev/sgN live on its storage and scsi_generic children
	// (hostdev.py _process_scsi_device_params), looked up among the devices listed.
	byParent := map[string]map[string]map[string]any{}
	for _, p := range params {
		parent, _ := p["parent"].(string)
		c, _ := p["capability"].(string)
		if parent == "" {
			continue
		}
		if byParent[c] == nil {
			byParent[c] = map[string]map[string]any{}
		}
		byParent[c][parent] = p
	}
	out := make(map[string]any, len(params))
	for name, p := range params {
		if p["capability"] == "scsi" {
			if st := byParent["storage"][name]; st != nil {
				for _, k := range []string{"vendor", "product"} {
					if v, ok := st[k]; ok {
						p[k] = v
					}
				}
			}
			if sg := byParent["scsi_generic"][name]; sg != nil {
				if u, ok := sg["udev_path"].(string); ok {
					p["udev_path"] = u
					if b := blockPath(r, u); b != "" {
						p["block_path"] = b
					}
				}
			}
		}
		out[name] = map[string]any{"params": p}
	}
	return out, nil
}

// blockPath is the block device behind a SCSI generic node (/dev/sg0 → /dev/sda), what VDSM
// reads from `lsscsi -g`; "" when the device has none (a tape, an enclosure).
func blockPath(r fsRoot, udevPath string) string {
	bs := r.names(path.Join("/sys/class/scsi_generic", path.Base(udevPath), "device/block"))
	if len(bs) == 0 {
		return ""
	}
	return "/dev/" + bs[0]
}

// deviceParams is hostdev.py's _process_device_params: the generic processors for every device,
// then those of its capability.
func deviceParams(r fsRoot, s string) (map[string]any, error) {
	var dev xnode
	if err := xml.Unmarshal([]byte(s), &dev); err != nil {
		return nil, err
	}
	capEl := dev.find("capability")
	if capEl == nil {
		return nil, fmt.Errorf("no capability")
	}
	capName, _ := capEl.attr("type")
	p := map[string]any{"capability": capName, "is_assignable": "true"}
	name := text(dev.find("name"))

	if d := dev.find("driver", "name"); d != nil {
		p["driver"] = d.Text
	}
	for _, c := range dev.Nodes {
		if c.XMLName.Local != "capability" {
			continue
		}
		for _, e := range c.Nodes {
			tag := e.XMLName.Local
			if tag != "vendor" && tag != "product" && tag != "interface" {
				continue
			}
			if id, ok := e.attr("id"); ok {
				p[tag+"_id"] = id
			}
			if e.Text != "" {
				p[tag] = e.Text
			}
		}
	}
	if name != "computer" {
		p["parent"] = text(dev.find("parent"))
	}

	switch capName {
	case "pci":
		p["address"] = address(capEl, "domain", "bus", "slot", "function")
		if m := mdevTypes(r, &dev, capEl); len(m) > 0 {
			p["mdev"] = m
		}
		p["is_assignable"] = pciAssignable(r, name, capEl)
		if n, ok := r.int64(path.Join("/sys/bus/pci/devices", pciPath(name), "sriov_totalvfs")); ok {
			p["totalvfs"] = int(n)
		}
		if g := capEl.find("iommuGroup"); g != nil {
			p["iommu_group"], _ = g.attr("number")
		}
		if sub := capEl.find("capability"); sub != nil {
			if t, _ := sub.attr("type"); t == "phys_function" {
				if a := sub.find("address"); a != nil {
					p["physfn"] = pciName(a)
				}
			}
		}
		if nn := capEl.find("numa"); nn != nil {
			p["numa_node"], _ = nn.attr("node")
		}
	case "scsi":
		p["address"] = address(capEl, "host", "bus", "target", "lun")
	case "usb_device":
		p["address"] = address(capEl, "bus", "device")
	case "scsi_generic":
		if c := capEl.find("char"); c != nil {
			p["udev_path"] = c.Text
		}
	case "storage":
		if m := capEl.find("model"); m != nil {
			p["product"] = m.Text
		}
	}
	return p, nil
}

func text(n *xnode) string {
	if n == nil {
		return ""
	}
	return n.Text
}

func address(capEl *xnode, fields ...string) map[string]string {
	a := make(map[string]string, len(fields))
	for _, f := range fields {
		a[f] = text(capEl.find(f))
	}
	return a
}

// pciAssignable is hostdev.py's _process_assignability: a bridge is never assignable; any other
// device only when its PCI header (byte 0x0e of its config space, multifunction bit masked) says
// endpoint. An unreadable config space counts as not assignable.
func pciAssignable(r fsRoot, name string, capEl *xnode) string {
	if sub := capEl.find("capability"); sub != nil {
		if t, _ := sub.attr("type"); t == "pci-bridge" || t == "cardbus-bridge" {
			return "false"
		}
	}
	cfg, err := r.read(path.Join("/sys/bus/pci/devices", pciPath(name), "config"))
	if err != nil || len(cfg) <= 0x0e {
		return "false"
	}
	return strconv.FormatBool(cfg[0x0e]&0x7f == 0)
}

// pciPath turns libvirt's pci_0000_00_1f_2 into the kernel's 0000:00:1f.2.
func pciPath(name string) string {
	s := strings.ReplaceAll(strings.TrimPrefix(name, "pci_"), "_", ".")
	return strings.Replace(s, ".", ":", 2)
}

// pciName turns an <address domain='0x0000' bus='0x05' slot='0x00' function='0x1'/> into
// libvirt's device name pci_0000_05_00_1.
func pciName(a *xnode) string {
	parts := []string{"pci"}
	for _, k := range []string{"domain", "bus", "slot", "function"} {
		v, _ := a.attr(k)
		parts = append(parts, strings.TrimPrefix(v, "0x"))
	}
	return strings.Join(parts, "_")
}

// mdevTypes is hostdev.py's _process_mdev_params: the mediated device types a PCI device offers,
// with the sysfs description when there is one; a type without availableInstances is left out.
func mdevTypes(r fsRoot, dev, capEl *xnode) map[string]any {
	var types *xnode
	for i := range capEl.Nodes {
		n := &capEl.Nodes[i]
		if t, _ := n.attr("type"); n.XMLName.Local == "capability" && t == "mdev_types" {
			types = n
			break
		}
	}
	if types == nil {
		return nil
	}
	out := map[string]any{}
	for i := range types.Nodes {
		t := &types.Nodes[i]
		if t.XMLName.Local != "type" {
			continue
		}
		id, _ := t.attr("id")
		avail := t.find("availableInstances")
		if avail == nil {
			continue
		}
		m := map[string]string{"name": id, "available_instances": avail.Text}
		if n := t.find("name"); n != nil {
			m["name"] = n.Text
		}
		if d, err := r.read(path.Join(text(dev.find("path")), "mdev_supported_types", id, "description")); err == nil {
			m["description"] = strings.TrimSpace(string(d))
		}
		out[id] = m
	}
	return out
}
