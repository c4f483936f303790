package virt

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// HostCaps is the part of libvirt's capabilities XML the agent reports. Zero values mean libvirt
// did not say: the test driver, for one, reports no host UUID, no CPU model or vendor, no NUMA
// distances and no machine types, and its topology describes an imaginary 16-CPU host.
type HostCaps struct {
	UUID  string
	CPU   HostCPU
	IOMMU bool
	// TSCFrequency is in Hz; 0 when libvirt has no TSC counter for this host.
	TSCFrequency uint64
	TSCScaling   bool
	Cells        []NUMACell
	Guests       []Guest
}

// HostCPU describes the host's CPU as libvirt sees it.
type HostCPU struct {
	Arch     string
	Model    string
	Vendor   string
	Features []string
	// Topology per socket, from <topology>; zero when libvirt leaves it out.
	Sockets, Dies, Cores, Threads int
	// PageSizesKiB lists every page size the host supports, the base page included.
	PageSizesKiB []uint64
}

// NUMACell is one host NUMA cell.
type NUMACell struct {
	ID        int
	MemoryKiB uint64
	Pages     []PageCount
	// Distances maps a cell id to its distance from this cell (this cell to itself included).
	Distances map[int]int
	CPUs      []CellCPU
}

// PageCount is how many pages of one size a cell holds.
type PageCount struct {
	SizeKiB uint64
	Count   uint64
}

// CellCPU is one logical CPU of a cell.
type CellCPU struct {
	ID, SocketID, DieID, CoreID int
	Siblings                    string
}

// Guest is one <guest> entry: what can be emulated for one OS type and architecture.
type Guest struct {
	OSType   string
	Arch     string
	Machines []Machine
	Domains  []GuestDomain
}

// GuestDomain is one accelerator (kvm, qemu, test...) for a guest architecture; Machines is
// usually empty, libvirt listing them at the architecture level instead.
type GuestDomain struct {
	Type     string
	Machines []Machine
}

// Machine is an emulated machine type. Canonical is the versioned name an alias such as "pc"
// or "q35" stands for.
type Machine struct {
	Name      string
	Canonical string
}

// EmulatedMachines lists the machine types libvirt can emulate for arch with the given
// accelerator, aliases and their canonical names both, in libvirt's order without repeats. The
// accelerator's own list wins; a machine list at the architecture level serves every accelerator.
func (h HostCaps) EmulatedMachines(arch, virtType string) []string {
	var fromDomain, fromArch []Machine
	for _, g := range h.Guests {
		if g.Arch != arch {
			continue
		}
		fromArch = append(fromArch, g.Machines...)
		for _, d := range g.Domains {
			if d.Type == virtType {
				fromDomain = append(fromDomain, d.Machines...)
			}
		}
	}
	ms := fromDomain
	if len(ms) == 0 {
		ms = fromArch
	}
	return machineNames(ms)
}

// HasDomainType reports whether libvirt offers the accelerator virtType for arch.
func (h HostCaps) HasDomainType(arch, virtType string) bool {
	for _, g := range h.Guests {
		if g.Arch != arch {
			continue
		}
		for _, d := range g.Domains {
			if d.Type == virtType {
				return true
			}
		}
	}
	return false
}

func machineNames(ms []Machine) []string {
	seen := map[string]bool{}
	out := []string{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, m := range ms {
		add(m.Name)
		add(m.Canonical)
	}
	return out
}

// Capabilities asks libvirt for the host's capabilities.
func (c *Conn) Capabilities() (HostCaps, error) {
	s, err := c.lc().GetCapabilities()
	if err != nil {
		return HostCaps{}, fmt.Errorf("libvirt capabilities: %w", err)
	}
	return parseCapabilities(s)
}

// The XML shapes below follow libvirt's formatcaps documentation; only what is reported is
// declared.
type capsXML struct {
	Host struct {
		UUID string `xml:"uuid"`
		CPU  struct {
			Arch     string `xml:"arch"`
			Model    string `xml:"model"`
			Vendor   string `xml:"vendor"`
			Counters []struct {
				Name      string `xml:"name,attr"`
				Frequency uint64 `xml:"frequency,attr"`
				Scaling   string `xml:"scaling,attr"`
			} `xml:"counter"`
			Topology *struct {
				Sockets int `xml:"sockets,attr"`
				Dies    int `xml:"dies,attr"`
				Cores   int `xml:"cores,attr"`
				Threads int `xml:"threads,attr"`
			} `xml:"topology"`
			Features []struct {
				Name string `xml:"name,attr"`
			} `xml:"feature"`
			Pages []pagesXML `xml:"pages"`
		} `xml:"cpu"`
		IOMMU *struct {
			Support string `xml:"support,attr"`
		} `xml:"iommu"`
		Cells []struct {
			ID     int        `xml:"id,attr"`
			Memory memoryXML  `xml:"memory"`
			Pages  []pagesXML `xml:"pages"`
			Sibs   []struct {
				ID    int `xml:"id,attr"`
				Value int `xml:"value,attr"`
			} `xml:"distances>sibling"`
			CPUs []struct {
				ID       int    `xml:"id,attr"`
				SocketID int    `xml:"socket_id,attr"`
				DieID    int    `xml:"die_id,attr"`
				CoreID   int    `xml:"core_id,attr"`
				Siblings string `xml:"siblings,attr"`
			} `xml:"cpus>cpu"`
		} `xml:"topology>cells>cell"`
	} `xml:"host"`
	Guests []struct {
		OSType string `xml:"os_type"`
		Arch   struct {
			Name     string       `xml:"name,attr"`
			Machines []machineXML `xml:"machine"`
			Domains  []struct {
				Type     string       `xml:"type,attr"`
				Machines []machineXML `xml:"machine"`
			} `xml:"domain"`
		} `xml:"arch"`
	} `xml:"guest"`
}

type pagesXML struct {
	Unit  string `xml:"unit,attr"`
	Size  uint64 `xml:"size,attr"`
	Count string `xml:",chardata"`
}

type memoryXML struct {
	Unit  string `xml:"unit,attr"`
	Value uint64 `xml:",chardata"`
}

type machineXML struct {
	Name      string `xml:",chardata"`
	Canonical string `xml:"canonical,attr"`
}

func parseCapabilities(s string) (HostCaps, error) {
	var x capsXML
	if err := xml.Unmarshal([]byte(s), &x); err != nil {
		return HostCaps{}, fmt.Errorf("parse libvirt capabilities: %w", err)
	}
	h := HostCaps{UUID: x.Host.UUID}
	cpu := x.Host.CPU
	h.CPU = HostCPU{Arch: cpu.Arch, Model: cpu.Model, Vendor: cpu.Vendor}
	for _, f := range cpu.Features {
		h.CPU.Features = append(h.CPU.Features, f.Name)
	}
	if t := cpu.Topology; t != nil {
		h.CPU.Sockets, h.CPU.Dies, h.CPU.Cores, h.CPU.Threads = t.Sockets, t.Dies, t.Cores, t.Threads
	}
	for _, p := range cpu.Pages {
		h.CPU.PageSizesKiB = append(h.CPU.PageSizesKiB, toKiB(p.Size, p.Unit))
	}
	for _, ctr := range cpu.Counters {
		if ctr.Name == "tsc" {
			h.TSCFrequency = ctr.Frequency
			h.TSCScaling = ctr.Scaling == "yes"
		}
	}
	h.IOMMU = x.Host.IOMMU != nil && x.Host.IOMMU.Support == "yes"
	for _, xc := range x.Host.Cells {
		cell := NUMACell{ID: xc.ID, MemoryKiB: toKiB(xc.Memory.Value, xc.Memory.Unit)}
		for _, p := range xc.Pages {
			n, _ := strconv.ParseUint(strings.TrimSpace(p.Count), 10, 64)
			cell.Pages = append(cell.Pages, PageCount{SizeKiB: toKiB(p.Size, p.Unit), Count: n})
		}
		if len(xc.Sibs) > 0 {
			cell.Distances = make(map[int]int, len(xc.Sibs))
			for _, s := range xc.Sibs {
				cell.Distances[s.ID] = s.Value
			}
		}
		for _, c := range xc.CPUs {
			cell.CPUs = append(cell.CPUs, CellCPU{ID: c.ID, SocketID: c.SocketID, DieID: c.DieID, CoreID: c.CoreID, Siblings: c.Siblings})
		}
		h.Cells = append(h.Cells, cell)
	}
	for _, xg := range x.Guests {
		g := Guest{OSType: xg.OSType, Arch: xg.Arch.Name, Machines: machines(xg.Arch.Machines)}
		for _, d := range xg.Arch.Domains {
			g.Domains = append(g.Domains, GuestDomain{Type: d.Type, Machines: machines(d.Machines)})
		}
		h.Guests = append(h.Guests, g)
	}
	return h, nil
}

func machines(xs []machineXML) []Machine {
	var ms []Machine
	for _, m := range xs {
		ms = append(ms, Machine{Name: strings.TrimSpace(m.Name), Canonical: m.Canonical})
	}
	return ms
}

// toKiB converts a libvirt scaled value; libvirt writes KiB unless told otherwise.
func toKiB(v uint64, unit string) uint64 {
	switch strings.ToLower(unit) {
	case "b", "bytes":
		return v / 1024
	case "m", "mib":
		return v * 1024
	case "g", "gib":
		return v * 1024 * 1024
	default:
		return v
	}
}

// NodeInfo is libvirt's summary of the host. The test driver makes its numbers up and they do
// not even agree with its own capabilities topology (2 cores × 2 threads × 2 sockets, yet 16 CPUs).
type NodeInfo struct {
	// Model is the CPU architecture ("x86_64"), not a model name.
	Model     string
	MemoryKiB uint64
	CPUs      uint
	MHz       uint
	Nodes     uint32
	Sockets   uint32 // per NUMA node
	Cores     uint32 // per socket
	Threads   uint32 // per core
}

// NodeInfo asks libvirt for its node summary.
func (c *Conn) NodeInfo() (NodeInfo, error) {
	ni, err := c.lc().GetNodeInfo()
	if err != nil {
		return NodeInfo{}, fmt.Errorf("libvirt node info: %w", err)
	}
	return NodeInfo{
		Model: ni.Model, MemoryKiB: ni.Memory, CPUs: ni.Cpus, MHz: ni.MHz,
		Nodes: ni.Nodes, Sockets: ni.Sockets, Cores: ni.Cores, Threads: ni.Threads,
	}, nil
}

// Hostname is the host name as the libvirt driver reports it.
func (c *Conn) Hostname() (string, error) {
	h, err := c.lc().GetHostname()
	if err != nil {
		return "", fmt.Errorf("libvirt hostname: %w", err)
	}
	return h, nil
}

// Version is a libvirt-style version number.
type Version struct{ Major, Minor, Micro uint32 }

func versionOf(n uint32) Version {
	return Version{Major: n / 1000000, Minor: n / 1000 % 1000, Micro: n % 1000}
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Micro) }

// IsZero reports a version libvirt left unknown.
func (v Version) IsZero() bool { return v == Version{} }

// AtLeast reports whether v is major.minor.micro or newer.
func (v Version) AtLeast(major, minor, micro uint32) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Micro >= micro
}

// LibVersion is the version of the libvirt library (for a remote URI, the daemon's).
func (c *Conn) LibVersion() (Version, error) {
	n, err := c.lc().GetLibVersion()
	if err != nil {
		return Version{}, fmt.Errorf("libvirt version: %w", err)
	}
	return versionOf(n), nil
}

// HypervisorVersion names the connection's driver ("QEMU", "TEST", ...) and the version of the
// hypervisor behind it; the version is zero when the driver does not know it. For QEMU it is
// QEMU's own version; the test driver answers a meaningless 0.0.2.
func (c *Conn) HypervisorVersion() (driver string, v Version, err error) {
	driver, err = c.lc().GetType()
	if err != nil {
		return "", Version{}, fmt.Errorf("libvirt driver type: %w", err)
	}
	n, err := c.lc().GetVersion()
	if err != nil {
		if isNoSupport(err) {
			return driver, Version{}, nil
		}
		return driver, Version{}, fmt.Errorf("libvirt hypervisor version: %w", err)
	}
	return driver, versionOf(n), nil
}
