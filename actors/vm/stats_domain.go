package vm

import (
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// DomainInfo is what the status machine and the stats need from a domain's XML.
type DomainInfo struct {
	UUID string
	Name string
	// Type is <domain type>: "kvm" on a real host, "test" under the test driver. The vmType
	// the engine sees is VMType's.
	Type             string
	MemoryKiB        uint64 // <memory>: the maximum
	CurrentMemoryKiB uint64 // <currentMemory>: the balloon target; MemoryKiB when absent
	VCPUs            int    // vCPUs online (<vcpu current>, else <vcpu>)
	ACPI             bool
	OnReboot         string
	Graphics         []Graphics
	Interfaces       []Interface
	Disks            []Disk
	// BalloonModel is the <memballoon> model, "" when the domain has none.
	BalloonModel string
	// DevicesHash changes whenever the <devices> section does; the engine re-reads the domain
	// XML when the hash it sees changes.
	DevicesHash string

	// Meta is the agent's own metadata, completed from ovirt-vm:vm for a VM VDSM started.
	Meta Metadata
	// LaunchPaused and MinGuaranteedMemoryMiB are the engine's settings from ovirt-vm:vm.
	LaunchPaused           bool
	MinGuaranteedMemoryMiB int64
	// VCPULimit is ovirt-tune:qos's vcpuLimit as text, "" when none; VCPUQuota and VCPUPeriod
	// are <cputune>'s, 0 when not set (cputune.go).
	VCPULimit  string
	VCPUQuota  int64
	VCPUPeriod uint64
}

// Graphics is a display device. Ports are the XML's attributes as they are ("-1" is libvirt's
// "not assigned"), "" when absent: VDSM sends vmxml.attr's "" then (a SPICE display without
// TLS has no tlsPort), which the engine reads as no port.
type Graphics struct {
	Type    string
	Port    string
	TLSPort string
	Listen  string // the listen address, "" when none
}

// Interface is a vNIC.
type Interface struct {
	MAC    string
	Target string // host-side device name; the key of VmStats' network
	Model  string
	Alias  string
	Source string // bridge or network name
}

// Disk is a drive.
type Disk struct {
	Target string // e.g. vda; the key of VmStats' disks
	Source string // file, block device, or pool/volume
	Device string // disk, cdrom, floppy, lun
	Bus    string
	Alias  string
}

// ParseDomainXML reads a libvirt domain definition (as VM.create receives it or XMLDesc
// returns it).
func ParseDomainXML(s string) (DomainInfo, error) {
	var x domainXML
	if err := xml.Unmarshal([]byte(s), &x); err != nil {
		return DomainInfo{}, fmt.Errorf("parse domain XML: %w", err)
	}
	if x.XMLName.Local != "domain" {
		return DomainInfo{}, fmt.Errorf("parse domain XML: root element is <%s>, not <domain>", x.XMLName.Local)
	}
	d := DomainInfo{
		UUID:     strings.TrimSpace(x.UUID),
		Name:     strings.TrimSpace(x.Name),
		Type:     x.Type,
		ACPI:     x.Features.ACPI != nil,
		OnReboot: strings.TrimSpace(x.OnReboot),
	}
	if d.UUID == "" {
		return DomainInfo{}, errors.New("parse domain XML: no <uuid>")
	}
	var err error
	if d.MemoryKiB, err = x.Memory.kiB(); err != nil {
		return DomainInfo{}, fmt.Errorf("domain <memory>: %w", err)
	}
	if d.CurrentMemoryKiB, err = x.CurrentMemory.kiB(); err != nil {
		return DomainInfo{}, fmt.Errorf("domain <currentMemory>: %w", err)
	}
	if d.CurrentMemoryKiB == 0 {
		d.CurrentMemoryKiB = d.MemoryKiB
	}
	if d.VCPUs, err = x.VCPU.count(); err != nil {
		return DomainInfo{}, fmt.Errorf("domain <vcpu>: %w", err)
	}

	for _, g := range x.Devices.Graphics {
		d.Graphics = append(d.Graphics, g.graphics())
	}
	for _, n := range x.Devices.Interfaces {
		src := n.Source.Bridge
		if src == "" {
			src = n.Source.Network
		}
		d.Interfaces = append(d.Interfaces, Interface{
			MAC: n.MAC.Address, Target: n.Target.Dev, Model: n.Model.Type, Alias: n.Alias.Name, Source: src,
		})
	}
	for _, k := range x.Devices.Disks {
		d.Disks = append(d.Disks, Disk{
			Target: k.Target.Dev, Source: k.Source.path(), Device: k.Device, Bus: k.Target.Bus, Alias: k.Alias.Name,
		})
	}
	if x.Devices.Balloon != nil {
		d.BalloonModel = x.Devices.Balloon.Model
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(x.Devices.Inner))
	d.DevicesHash = strconv.FormatInt(int64(h.Sum64()), 10)

	if err := d.readMetadata(&x.Metadata); err != nil {
		return DomainInfo{}, err
	}
	d.readTune(x.Metadata.Tune, x.CPUTune)
	return d, nil
}

// readMetadata merges the agent's metadata with VDSM's: the agent's own values win, VDSM's fill
// the gaps (a VM VDSM started), and the engine's settings come from ovirt-vm.
func (d *DomainInfo) readMetadata(x *metadataSectionXML) error {
	if x.Ours != nil {
		m, err := x.Ours.metadata()
		if err != nil {
			return err
		}
		d.Meta = m
	}
	if x.OVirt != nil {
		o, err := x.OVirt.settings()
		if err != nil {
			return err
		}
		d.LaunchPaused = o.LaunchPaused
		d.MinGuaranteedMemoryMiB = o.MinGuaranteedMemoryMB
		d.Meta.DestroyOnReboot = d.Meta.DestroyOnReboot || o.DestroyOnReboot
		if d.Meta.StartTime == 0 {
			d.Meta.StartTime = o.StartTime
		}
		if d.Meta.Exit == nil {
			d.Meta.Exit = o.Exit
		}
	}
	// VDSM honours an engine that asked for it the libvirt way too.
	if d.OnReboot == "destroy" {
		d.Meta.DestroyOnReboot = true
	}
	return nil
}

type domainXML struct {
	XMLName       xml.Name
	Type          string             `xml:"type,attr"`
	Name          string             `xml:"name"`
	UUID          string             `xml:"uuid"`
	Metadata      metadataSectionXML `xml:"metadata"`
	Memory        memoryXML          `xml:"memory"`
	CurrentMemory memoryXML          `xml:"currentMemory"`
	VCPU          vcpuXML            `xml:"vcpu"`
	CPUTune       cputuneXML         `xml:"cputune"`
	Features      struct {
		ACPI *struct{} `xml:"acpi"`
	} `xml:"features"`
	OnReboot string     `xml:"on_reboot"`
	Devices  devicesXML `xml:"devices"`
}

type metadataSectionXML struct {
	Ours  *ourMetadataXML   `xml:"https://github.com/hostagent/hostagent/1.0 vm"`
	OVirt *oVirtMetadataXML `xml:"http://ovirt.org/vm/1.0 vm"`
	Tune  *tuneQoSXML       `xml:"http://ovirt.org/vm/tune/1.0 qos"`
}

type memoryXML struct {
	Unit  string `xml:"unit,attr"`
	Value string `xml:",chardata"`
}

// kiB converts libvirt's memory units (decimal K/M/G/T with a "B", binary ones otherwise).
func (m memoryXML) kiB() (uint64, error) {
	v := strings.TrimSpace(m.Value)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, err
	}
	var bytesPer uint64
	switch strings.ToLower(m.Unit) {
	case "", "k", "kib":
		return n, nil
	case "b", "bytes":
		bytesPer = 1
	case "kb":
		bytesPer = 1000
	case "m", "mib":
		bytesPer = 1 << 20
	case "mb":
		bytesPer = 1000 * 1000
	case "g", "gib":
		bytesPer = 1 << 30
	case "gb":
		bytesPer = 1000 * 1000 * 1000
	case "t", "tib":
		bytesPer = 1 << 40
	case "tb":
		bytesPer = 1000 * 1000 * 1000 * 1000
	default:
		return 0, fmt.Errorf("unknown unit %q", m.Unit)
	}
	return n * bytesPer / 1024, nil
}

type vcpuXML struct {
	Current string `xml:"current,attr"`
	Value   string `xml:",chardata"`
}

func (v vcpuXML) count() (int, error) {
	s := strings.TrimSpace(v.Current)
	if s == "" {
		s = strings.TrimSpace(v.Value)
	}
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

type devicesXML struct {
	Inner      string         `xml:",innerxml"`
	Disks      []diskXML      `xml:"disk"`
	Interfaces []interfaceXML `xml:"interface"`
	Graphics   []graphicsXML  `xml:"graphics"`
	Balloon    *struct {
		Model string `xml:"model,attr"`
	} `xml:"memballoon"`
}

type diskXML struct {
	Device string        `xml:"device,attr"`
	Source diskSourceXML `xml:"source"`
	Target struct {
		Dev string `xml:"dev,attr"`
		Bus string `xml:"bus,attr"`
	} `xml:"target"`
	Alias aliasXML `xml:"alias"`
}

type diskSourceXML struct {
	File   string `xml:"file,attr"`
	Dev    string `xml:"dev,attr"`
	Name   string `xml:"name,attr"` // network disks: pool/image
	Pool   string `xml:"pool,attr"`
	Volume string `xml:"volume,attr"`
}

type aliasXML struct {
	Name string `xml:"name,attr"`
}

func (s diskSourceXML) path() string {
	switch {
	case s.File != "":
		return s.File
	case s.Dev != "":
		return s.Dev
	case s.Name != "":
		return s.Name
	case s.Volume != "":
		return s.Pool + "/" + s.Volume
	}
	return ""
}

type interfaceXML struct {
	MAC struct {
		Address string `xml:"address,attr"`
	} `xml:"mac"`
	Source struct {
		Bridge  string `xml:"bridge,attr"`
		Network string `xml:"network,attr"`
	} `xml:"source"`
	Target struct {
		Dev string `xml:"dev,attr"`
	} `xml:"target"`
	Model struct {
		Type string `xml:"type,attr"`
	} `xml:"model"`
	Alias aliasXML `xml:"alias"`
}

type graphicsXML struct {
	Type    string `xml:"type,attr"`
	Port    string `xml:"port,attr"`
	TLSPort string `xml:"tlsPort,attr"`
	Listen  string `xml:"listen,attr"`
	Listens []struct {
		Address string `xml:"address,attr"`
	} `xml:"listen"`
}

// graphics reads the address of the first <listen> only, as VDSM's display_info does; the
// older listen attribute stands in when there is no <listen> element.
func (g graphicsXML) graphics() Graphics {
	out := Graphics{Type: g.Type, Port: g.Port, TLSPort: g.TLSPort, Listen: g.Listen}
	if len(g.Listens) > 0 {
		out.Listen = g.Listens[0].Address
	}
	return out
}
