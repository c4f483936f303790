package host

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// Sources are where the capabilities come from.
type Sources struct {
	Root         string // "/" in production, a fixture directory in tests
	Libvirt      *virt.Conn
	AgentVersion string
	FakeNICs     []string // device name patterns reported as NICs; nil: VDSM's default
}

// What this agent is, in VDSM's terms: it speaks VDSM 4.50's API.
const (
	versionName     = "Snow Man"
	softwareVersion = "4.50"
	// VDSM's defaults for host_mem_reserve + extra_mem_reserve and guest_ram_overhead, in MiB;
	// the engine subtracts them when it schedules memory.
	reservedMemMiB   = "321"
	guestOverheadMiB = "65"
)

var supportedEngines = []string{"4.2", "4.3", "4.4", "4.5"}

// BuildCapabilities gathers the host's VdsmCapabilities; clientIface becomes lastClientIface.
// It fails when /proc/meminfo is unreadable or libvirt errors: both feed keys the engine needs,
// and a silently degraded answer would mark the host NonOperational for the wrong reason.
func BuildCapabilities(src Sources, clientIface string) (vdsm.HostCapabilities, error) {
	r := fsRoot(src.Root)
	mem, err := readMemInfo(r)
	if err != nil {
		return vdsm.HostCapabilities{}, fmt.Errorf("memory size: %w", err)
	}
	lv, err := gatherLibvirt(src.Libvirt)
	if err != nil {
		return vdsm.HostCapabilities{}, err
	}
	ci, _ := readCPUInfo(r) // absent on exotic kernels; libvirt then stands in
	topo := hostTopology(r, lv, mem)
	sockets, cores, threads := topologyCounts(topo.cpus)
	nc := readNetCaps(r, hostAddrs(r), src.FakeNICs)
	iqn := iscsiInitiatorName(r)

	c := vdsm.HostCapabilities{
		KVMEnabled:         strconv.FormatBool(kvmUsable(r, ci.Flags)),
		CPUCores:           strconv.Itoa(cores),
		CPUThreads:         strconv.Itoa(threads),
		CPUSockets:         strconv.Itoa(sockets),
		OnlineCPUs:         joinInts(topo.cpuIDs(), ","),
		CPUTopology:        topo.cpuInfos(),
		CPUSpeed:           cpuSpeed(ci, lv),
		CPUModel:           cpuModel(ci, lv),
		CPUFlags:           strings.Join(cpuFlags(ci, lv), ","),
		VdsmToCPUsAffinity: selfAffinity(r),
		TSCFrequency:       "",

		VersionName:      versionName,
		SoftwareVersion:  softwareVersion,
		SoftwareRevision: src.AgentVersion,
		SupportedENGINEs: append([]string(nil), supportedEngines...),
		ClusterLevels:    clusterLevels(lv),

		Networks:        nc.Networks,
		Bridges:         nc.Bridges,
		NICs:            nc.NICs,
		Bondings:        nc.Bondings,
		VLANs:           nc.VLANs,
		Nameservers:     nc.Nameservers,
		SupportsIPv6:    nc.SupportsIPv6,
		NetConfigDirty:  "False",
		LastClientIface: clientIface,

		Hooks:                map[string]map[string]vdsm.HookScript{},
		OperatingSystem:      readOSVersion(r),
		UUID:                 hostUUID(r, lv),
		Packages2:            packages(r, lv),
		KernelArgs:           kernelArgs(r),
		RealtimeKernel:       realtimeKernel(r),
		NestedVirtualization: nestedVirtualization(r),
		EmulatedMachines:     emulatedMachines(lv),
		ISCSIInitiatorName:   iqn,
		HBAInventory:         readHBAInventory(r, iqn),

		VMTypes:           []string{"kvm"},
		MemSize:           strconv.FormatUint(mem["MemTotal"]/1024, 10),
		ReservedMem:       reservedMemMiB,
		GuestOverhead:     guestOverheadMiB,
		RNGSources:        rngSources(r),
		NUMANodes:         topo.numaNodes(),
		NUMANodeDistance:  topo.distances(),
		AutoNUMABalancing: autoNUMABalancing(r),
		Hugepages:         hugepageSizes(r),

		SELinux: vdsm.SELinuxStatus{Mode: selinuxMode(r)},
		// Snapshots and block jobs are not implemented by this agent, so it must not invite
		// the engine to use them live.
		LiveSnapshot:       "false",
		LiveMerge:          "false",
		KdumpStatus:        kdumpStatus(r),
		HostdevPassthrough: strconv.FormatBool(hostdevPassthrough(r)),
		// VDSM always claims libgfapi_supported; there is no Gluster support here to claim.
		AdditionalFeatures:   []string{},
		HostedEngineDeployed: false,
		VncEncrypted:         vncEncrypted(r),
		BackupEnabled:        false,
		FIPSEnabled:          fipsEnabled(r),
	}
	if lv.caps.TSCFrequency > 0 {
		c.TSCFrequency = strconv.FormatUint(lv.caps.TSCFrequency, 10)
		c.TSCScaling = lv.caps.TSCScaling
	}
	if c.EmulatedMachines == nil {
		c.EmulatedMachines = []string{}
	}
	return c, nil
}

// libvirtFacts is everything the capabilities take from libvirt, gathered up front.
type libvirtFacts struct {
	ok       bool
	caps     virt.HostCaps
	dom      virt.DomainCaps
	node     virt.NodeInfo
	lib      virt.Version
	driver   string
	hypervis virt.Version
}

func gatherLibvirt(c *virt.Conn) (libvirtFacts, error) {
	if c == nil {
		return libvirtFacts{}, nil
	}
	var (
		f   = libvirtFacts{ok: true}
		err error
	)
	if f.caps, err = c.Capabilities(); err != nil {
		return f, err
	}
	if f.dom, err = c.DomainCapabilities(); err != nil {
		return f, err
	}
	if f.node, err = c.NodeInfo(); err != nil {
		return f, err
	}
	if f.lib, err = c.LibVersion(); err != nil {
		return f, err
	}
	if f.driver, f.hypervis, err = c.HypervisorVersion(); err != nil {
		return f, err
	}
	return f, nil
}

func cpuSpeed(ci cpuInfo, lv libvirtFacts) string {
	if ci.MHz != "" {
		return ci.MHz
	}
	if lv.node.MHz > 0 {
		return strconv.FormatUint(uint64(lv.node.MHz), 10)
	}
	return "0"
}

func cpuModel(ci cpuInfo, lv libvirtFacts) string {
	if ci.Model != "" {
		return ci.Model
	}
	return lv.caps.CPU.Model
}

// cpuFlags is what the engine matches a cluster's CPU type against: the kernel's flags, the
// features libvirt's host-model CPU requires (they include what cpuinfo hides, such as
// arch_capabilities bits), then model_<Name> for every CPU model libvirt says a guest can use
// here, the host-model's own name included.
func cpuFlags(ci cpuInfo, lv libvirtFacts) []string {
	seen := map[string]bool{}
	out := []string{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range ci.Flags {
		add(f)
	}
	if len(ci.Flags) == 0 {
		for _, f := range lv.caps.CPU.Features {
			add(f)
		}
	}
	for _, f := range lv.dom.HostModelFeatures {
		add(f)
	}
	for _, m := range lv.dom.UsableModels {
		add("model_" + m)
	}
	if lv.dom.HostModel != "" {
		add("model_" + lv.dom.HostModel)
	}
	return out
}

// clusterLevels follows VDSM 4.50: 4.2 to 4.6 always, 4.7 with libvirt 8.0 or newer, 4.8 with
// libvirt 10.10 and QEMU 9.1 or newer.
func clusterLevels(lv libvirtFacts) []string {
	levels := []string{"4.2", "4.3", "4.4", "4.5", "4.6"}
	if lv.lib.AtLeast(8, 0, 0) {
		levels = append(levels, "4.7")
		if lv.lib.AtLeast(10, 10, 0) && lv.driver == "QEMU" && lv.hypervis.AtLeast(9, 1, 0) {
			levels = append(levels, "4.8")
		}
	}
	return levels
}

// packages reports the versions the engine displays and checks. Only what is known is listed:
// the running kernel, the libvirt library, and QEMU when the driver is QEMU and knows its version.
func packages(r fsRoot, lv libvirtFacts) map[string]vdsm.PackageVersion {
	p := map[string]vdsm.PackageVersion{"kernel": kernelVersion(r)}
	if lv.ok {
		p["libvirt"] = vdsm.PackageVersion{Version: lv.lib.String()}
		if lv.driver == "QEMU" && !lv.hypervis.IsZero() {
			p["qemu-kvm"] = vdsm.PackageVersion{Version: lv.hypervis.String()}
		}
	}
	return p
}
