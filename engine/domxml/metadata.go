package domxml

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// OVirtVMNamespace is the namespace of the engine's (and VDSM's) ovirt-vm:vm metadata.
const OVirtVMNamespace = "http://ovirt.org/vm/1.0"

// Resume behaviours the engine sends (VM.resumeBehavior, lower-cased); VDSM's default is
// auto_resume.
const (
	ResumeAuto        = "auto_resume"
	ResumeLeavePaused = "leave_paused"
	ResumeKill        = "kill"
)

// VM is the ovirt-vm:vm element, typed. Keys the engine writes are fields; any other scalar key
// is kept in Other as text, so nothing the engine said is lost.
type VM struct {
	ClusterVersion        string            `json:"clusterVersion,omitempty"`
	LaunchPaused          bool              `json:"launchPaused"`
	ResumeBehavior        string            `json:"resumeBehavior"`
	BallooningEnabled     bool              `json:"ballooningEnabled"`
	DestroyOnReboot       bool              `json:"destroyOnReboot"`
	MinGuaranteedMemoryMb int64             `json:"minGuaranteedMemoryMb"`
	CPUPolicy             string            `json:"cpuPolicy,omitempty"`
	Custom                map[string]string `json:"custom,omitempty"`
	Devices               []Device          `json:"devices,omitempty"`
	Other                 map[string]string `json:"other,omitempty"`
}

// Device is one ovirt-vm:device: a NIC (alias, mac_address), a disk or payload (devtype disk,
// name), or a mediated device (devtype hostdev, uuid).
type Device struct {
	DevType string            `json:"devtype,omitempty"`
	Name    string            `json:"name,omitempty"`
	Alias   string            `json:"alias,omitempty"`
	MAC     string            `json:"mac,omitempty"`
	UUID    string            `json:"uuid,omitempty"`
	Custom  map[string]string `json:"custom,omitempty"`
	Payload *Payload          `json:"payload,omitempty"`
	// PortMirroring lists the networks a NIC mirrors.
	PortMirroring []string          `json:"portMirroring,omitempty"`
	Fields        map[string]string `json:"fields,omitempty"`
}

// Payload is a cloud-init or sysprep payload: files (path → content) to be put on an image, or
// a volume that already holds it.
type Payload struct {
	VolID string            `json:"volId,omitempty"`
	Files map[string]string `json:"files,omitempty"`
}

// node is any element, kept as a tree: the metadata is a free-form key/value document.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

type domainHead struct {
	XMLName xml.Name
	UUID    string `xml:"uuid"`
	OS      struct {
		Type struct {
			Arch string `xml:"arch,attr"`
		} `xml:"type"`
	} `xml:"os"`
	Metadata struct {
		VM *node `xml:"http://ovirt.org/vm/1.0 vm"`
	} `xml:"metadata"`
}

// readDomain reads the domain's UUID, guest arch and ovirt-vm metadata.
func readDomain(s string) (VM, string, string, error) {
	var d domainHead
	if err := xml.Unmarshal([]byte(s), &d); err != nil {
		return VM{}, "", "", fmt.Errorf("engine domain XML: %w", err)
	}
	if d.XMLName.Local != "domain" {
		return VM{}, "", "", fmt.Errorf("engine domain XML: root element is <%s>, not <domain>", d.XMLName.Local)
	}
	uuid := strings.TrimSpace(d.UUID)
	if uuid == "" {
		return VM{}, "", "", fmt.Errorf("engine domain XML: no <uuid>")
	}
	vm := VM{ResumeBehavior: ResumeAuto, BallooningEnabled: true}
	if d.Metadata.VM != nil {
		if err := vm.read(*d.Metadata.VM); err != nil {
			return VM{}, "", "", err
		}
	}
	return vm, uuid, d.OS.Type.Arch, nil
}

func (vm *VM) read(root node) error {
	for _, c := range root.Children {
		v := strings.TrimSpace(c.Text)
		var err error
		switch c.XMLName.Local {
		case "clusterVersion":
			vm.ClusterVersion = v
		case "launchPaused":
			vm.LaunchPaused = parseBool(v)
		case "resumeBehavior":
			vm.ResumeBehavior = v
		case "ballooningEnabled":
			vm.BallooningEnabled = parseBool(v)
		case "destroy_on_reboot":
			vm.DestroyOnReboot = parseBool(v)
		case "minGuaranteedMemoryMb":
			if vm.MinGuaranteedMemoryMb, err = strconv.ParseInt(v, 10, 64); err != nil {
				return fmt.Errorf("ovirt-vm minGuaranteedMemoryMb %q: not an integer", v)
			}
		case "cpuPolicy":
			vm.CPUPolicy = v
		case "custom":
			vm.Custom = scalars(c.Children)
		case "device":
			vm.Devices = append(vm.Devices, device(c))
		default:
			if len(c.Children) == 0 {
				if vm.Other == nil {
					vm.Other = map[string]string{}
				}
				vm.Other[c.XMLName.Local] = v
			}
		}
	}
	return nil
}

func device(n node) Device {
	d := Device{DevType: n.attr("devtype"), Name: n.attr("name"), Alias: n.attr("alias"), MAC: n.attr("mac_address"), UUID: n.attr("uuid")}
	for _, c := range n.Children {
		switch c.XMLName.Local {
		case "custom":
			d.Custom = scalars(c.Children)
		case "portMirroring":
			for _, net := range c.Children {
				d.PortMirroring = append(d.PortMirroring, strings.TrimSpace(net.Text))
			}
		case "payload":
			p := &Payload{}
			for _, f := range c.Children {
				switch f.XMLName.Local {
				case "volId":
					p.VolID = strings.TrimSpace(f.Text)
				case "file":
					if p.Files == nil {
						p.Files = map[string]string{}
					}
					p.Files[f.attr("path")] = f.Text
				}
			}
			d.Payload = p
		default:
			if len(c.Children) == 0 {
				if d.Fields == nil {
					d.Fields = map[string]string{}
				}
				d.Fields[c.XMLName.Local] = strings.TrimSpace(c.Text)
			}
		}
	}
	return d
}

// scalars reads a flat key/value element such as custom.
func scalars(ns []node) map[string]string {
	if len(ns) == 0 {
		return nil
	}
	m := make(map[string]string, len(ns))
	for _, n := range ns {
		m[n.XMLName.Local] = strings.TrimSpace(n.Text)
	}
	return m
}

// parseBool accepts the spellings VDSM's conv.tobool does.
func parseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}
