package vdsm

// The result types of Host.getCapabilities, Host.getStats and Host.getHardwareInfo, key for key
// and type for type as VDSM 4.50 puts them on the wire (vdsm-api.yml's VdsmCapabilities,
// HostStats and HardwareInformation, corrected where VDSM itself departs from the schema). VDSM
// sends many numbers as decimal strings; those fields are strings here too, and the engine
// parses them. A field without omitempty is one the schema requires, or one VDSM always sends.

// HostCapabilities is VdsmCapabilities.
type HostCapabilities struct {
	// CPU
	KVMEnabled         string    `json:"kvmEnabled"` // "true" | "false"
	CPUCores           string    `json:"cpuCores"`
	CPUThreads         string    `json:"cpuThreads"`
	CPUSockets         string    `json:"cpuSockets"`
	OnlineCPUs         string    `json:"onlineCpus"` // "0,1,2,3"
	CPUTopology        []CPUInfo `json:"cpuTopology"`
	CPUSpeed           string    `json:"cpuSpeed"` // MHz, as /proc/cpuinfo prints it
	CPUModel           string    `json:"cpuModel"`
	CPUFlags           string    `json:"cpuFlags"` // comma-joined, model_<Name> entries included
	VdsmToCPUsAffinity []int     `json:"vdsmToCpusAffinity"`
	TSCFrequency       string    `json:"tscFrequency"` // Hz, "" when unknown
	TSCScaling         bool      `json:"tscScaling"`

	// Versions
	VersionName      string   `json:"version_name"`
	SoftwareVersion  string   `json:"software_version"`
	SoftwareRevision string   `json:"software_revision"`
	SupportedENGINEs []string `json:"supportedENGINEs"`
	ClusterLevels    []string `json:"clusterLevels"`

	// Network
	Networks        map[string]NetInfoNetwork `json:"networks"`
	Bridges         map[string]NetInfoBridge  `json:"bridges"`
	NICs            map[string]NetInfoNIC     `json:"nics"`
	Bondings        map[string]NetInfoBond    `json:"bondings"`
	VLANs           map[string]NetInfoVLAN    `json:"vlans"`
	Nameservers     []string                  `json:"nameservers"`
	SupportsIPv6    bool                      `json:"supportsIPv6"`
	NetConfigDirty  string                    `json:"netConfigDirty"` // "False" | "True"
	LastClientIface string                    `json:"lastClientIface"`

	// OS and inventory
	Hooks                map[string]map[string]HookScript `json:"hooks"`
	OperatingSystem      OSVersion                        `json:"operatingSystem"`
	UUID                 string                           `json:"uuid"`
	Packages2            map[string]PackageVersion        `json:"packages2"`
	KernelArgs           string                           `json:"kernelArgs"`
	RealtimeKernel       bool                             `json:"realtimeKernel"`
	NestedVirtualization bool                             `json:"nestedVirtualization"`
	EmulatedMachines     []string                         `json:"emulatedMachines"`
	ISCSIInitiatorName   string                           `json:"ISCSIInitiatorName"`
	HBAInventory         HBAInventory                     `json:"HBAInventory"`

	// Memory and NUMA
	VMTypes           []string            `json:"vmTypes"`
	MemSize           string              `json:"memSize"`       // MiB
	ReservedMem       string              `json:"reservedMem"`   // MiB
	GuestOverhead     string              `json:"guestOverhead"` // MiB
	RNGSources        []string            `json:"rngSources"`
	NUMANodes         map[string]NUMANode `json:"numaNodes"`
	NUMANodeDistance  map[string][]int    `json:"numaNodeDistance"`
	AutoNUMABalancing int                 `json:"autoNumaBalancing"` // 0 off, 1 on, 2 unknown
	Hugepages         []int               `json:"hugepages"`         // KiB

	// Flags and features
	SELinux              SELinuxStatus `json:"selinux"`
	LiveSnapshot         string        `json:"liveSnapshot"` // "true" | "false"
	LiveMerge            string        `json:"liveMerge"`
	KdumpStatus          int           `json:"kdumpStatus"`        // 1 on, 0 off, -1 unknown
	HostdevPassthrough   string        `json:"hostdevPassthrough"` // "true" | "false"
	AdditionalFeatures   []string      `json:"additionalFeatures"`
	HostedEngineDeployed bool          `json:"hostedEngineDeployed"`
	// VncEncrypted is a bool on the wire although the schema says string: VDSM sends a bool.
	VncEncrypted  bool `json:"vncEncrypted"`
	BackupEnabled bool `json:"backupEnabled"`
	FIPSEnabled   bool `json:"fipsEnabled"`
}

// CPUInfo is one logical CPU of cpuTopology.
type CPUInfo struct {
	CPUID      int `json:"cpu_id"`
	NUMACellID int `json:"numa_cell_id"`
	SocketID   int `json:"socket_id"`
	DieID      int `json:"die_id"`
	CoreID     int `json:"core_id"`
}

// NUMANode is one host NUMA cell; Hugepages is keyed by page size in KiB, the base page size
// included.
type NUMANode struct {
	TotalMemory string                   `json:"totalMemory"` // MiB
	CPUs        []int                    `json:"cpus"`
	Hugepages   map[string]NUMAHugepages `json:"hugepages"`
}

// NUMAHugepages is how many pages of one size a cell holds.
type NUMAHugepages struct {
	TotalPages string `json:"totalPages"`
}

// SELinuxStatus carries the enforcement mode: "1" enforcing, "0" permissive, "-1" disabled.
type SELinuxStatus struct {
	Mode string `json:"mode"`
}

// OSVersion is operatingSystem. Name is one of OSRHEL, OSFedora, OSDebian, OSOVirtNode,
// OSRHEVH, OSUnknown.
type OSVersion struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Release    string `json:"release"`
	PrettyName string `json:"pretty_name"`
}

// The OSName enum.
const (
	OSRHEL      = "RHEL"
	OSFedora    = "Fedora"
	OSDebian    = "Debian"
	OSOVirtNode = "oVirt Node"
	OSRHEVH     = "RHEV Hypervisor"
	OSUnknown   = "unknown"
)

// PackageVersion is one packages2 entry. The map's keys are VDSM's SoftwarePackage names
// ("kernel", "libvirt", "qemu-kvm", "qemu-img", "vdsm", ...).
type PackageVersion struct {
	Version string `json:"version"`
	Release string `json:"release"`
}

// HookScript describes one installed hook script.
type HookScript struct {
	MD5 string `json:"md5"`
}

// HBAInventory lists the host bus adapters storage could use.
type HBAInventory struct {
	ISCSI []ISCSIHBA `json:"iSCSI"`
	FC    []FCHBA    `json:"FC"`
}

// ISCSIHBA is the host's software iSCSI initiator.
type ISCSIHBA struct {
	InitiatorName string `json:"InitiatorName"`
}

// FCHBA is one FibreChannel adapter.
type FCHBA struct {
	WWPN  string `json:"wwpn"`
	WWNN  string `json:"wwnn"`
	Model string `json:"model"`
}

// IPConfig is the address block every network device entry carries. Addresses are
// "address/prefixlen"; Addr and Netmask are the primary IPv4 address; empty gateways are ""
// for IPv4 and "::" for IPv6, as VDSM writes them.
type IPConfig struct {
	Addr             string   `json:"addr"`
	Netmask          string   `json:"netmask"`
	Gateway          string   `json:"gateway"`
	IPv4Addrs        []string `json:"ipv4addrs"`
	IPv6Addrs        []string `json:"ipv6addrs"`
	IPv6Gateway      string   `json:"ipv6gateway"`
	IPv4DefaultRoute bool     `json:"ipv4defaultroute"`
	DHCPv4           bool     `json:"dhcpv4"`
	DHCPv6           bool     `json:"dhcpv6"`
	IPv6Autoconf     bool     `json:"ipv6autoconf"`
}

// NetInfoNIC is a physical network interface card.
type NetInfoNIC struct {
	IPConfig
	HWAddr string `json:"hwaddr"`
	// PermHWAddr is the NIC's own MAC when a bond has given it another one.
	PermHWAddr string `json:"permhwaddr,omitempty"`
	Speed      int    `json:"speed"` // Mb/s, 0 when down or unknown
	MTU        string `json:"mtu"`
}

// NetInfoBridge is a Linux bridge.
type NetInfoBridge struct {
	IPConfig
	MTU   string            `json:"mtu"`
	Ports []string          `json:"ports"`
	STP   string            `json:"stp"` // "on" | "off"
	Opts  map[string]string `json:"opts"`
}

// NetInfoBond is a bonding device.
type NetInfoBond struct {
	IPConfig
	HWAddr      string            `json:"hwaddr"`
	MTU         string            `json:"mtu"`
	Slaves      []string          `json:"slaves"`
	ActiveSlave string            `json:"active_slave"`
	Opts        map[string]string `json:"opts"`
	Switch      string            `json:"switch"`
}

// NetInfoVLAN is an 802.1Q VLAN device. The schema types its mtu as a number, but VDSM
// stringifies every device's mtu for the engine, this one included.
type NetInfoVLAN struct {
	IPConfig
	Iface  string `json:"iface"`
	VLANID int    `json:"vlanid"`
	MTU    string `json:"mtu"`
}

// NetInfoNetwork is a VDSM-managed logical network (the engine's "ovirtmgmt" and friends);
// Bridged tells which union member it is: a bridged network names its bridge in Iface and has
// Ports, a bridgeless one names its device in Interface.
type NetInfoNetwork struct {
	IPConfig
	Bridged   bool     `json:"bridged"`
	Iface     string   `json:"iface,omitempty"`
	Interface string   `json:"interface,omitempty"`
	MTU       string   `json:"mtu"`
	Ports     []string `json:"ports,omitempty"`
	STP       string   `json:"stp,omitempty"`
	Switch    string   `json:"switch"`
	// Southbound is the NIC, bond or VLAN the network leaves the host through (VDSM's
	// netinfo/cache.py sends it though the schema does not list it): null for a bridge with no
	// single such port.
	Southbound *string `json:"southbound"`
	// VLANID is sent only when the southbound device is a VLAN.
	VLANID *int `json:"vlanid,omitempty"`
}

// HostStats is the result of Host.getStats.
type HostStats struct {
	// CPU, percentages "%.2f"
	CPUUser       string                  `json:"cpuUser"`
	CPUSys        string                  `json:"cpuSys"`
	CPUIdle       string                  `json:"cpuIdle"`
	CPULoad       string                  `json:"cpuLoad"` // 5-minute load average, as /proc/loadavg prints it
	CPUUserVdsmd  string                  `json:"cpuUserVdsmd"`
	CPUSysVdsmd   string                  `json:"cpuSysVdsmd"`
	CPUStatistics map[string]CPUCoreStats `json:"cpuStatistics"`

	// Memory
	MemUsed         string                         `json:"memUsed"` // "%d" percent
	MemFree         int64                          `json:"memFree"` // MiB
	SwapTotal       int64                          `json:"swapTotal"`
	SwapFree        int64                          `json:"swapFree"`
	AnonHugePages   string                         `json:"anonHugePages"` // MiB
	Hugepages       map[string]HugepageState       `json:"hugepages"`
	NUMANodeMemFree map[string]NUMANodeMemoryStats `json:"numaNodeMemFree"`
	THPState        string                         `json:"thpState"` // always | madvise | never

	// Time
	ElapsedTime string `json:"elapsedTime"`        // seconds since the agent started
	BootTime    string `json:"bootTime,omitempty"` // epoch seconds; left out when unknown, as VDSM does
	DateTime    string `json:"dateTime"`           // "2006-01-02T15:04:05 GMT"

	// Network
	Network   map[string]InterfaceStats `json:"network"`
	RxDropped string                    `json:"rxDropped"`
	TxDropped string                    `json:"txDropped"`

	// Disks and storage
	DiskStats       map[string]PathStats `json:"diskStats"`
	StorageDomains  map[string]any       `json:"storageDomains"`
	MultipathHealth map[string]any       `json:"multipathHealth"`

	// VM counters
	VMCount              int `json:"vmCount"`
	VMActive             int `json:"vmActive"`
	VMMigrating          int `json:"vmMigrating"`
	IncomingVMMigrations int `json:"incomingVmMigrations"`
	OutgoingVMMigrations int `json:"outgoingVmMigrations"`

	// MOM and KSM
	MOMStatus           string `json:"momStatus"` // active | inactive | disabled
	KSMState            bool   `json:"ksmState"`
	KSMPages            int64  `json:"ksmPages"`
	KSMMergeAcrossNodes bool   `json:"ksmMergeAcrossNodes"`
	MemShared           int64  `json:"memShared"`
	KSMCPU              int64  `json:"ksmCpu"`

	// Other
	NetConfigDirty string         `json:"netConfigDirty"`
	HAStats        HostedEngineHA `json:"haStats"`
	HAScore        *int           `json:"haScore,omitempty"` // only when hosted engine is configured
	V2VJobs        map[string]any `json:"v2vJobs"`
}

// CPUCoreStats is one logical CPU of cpuStatistics.
type CPUCoreStats struct {
	NodeIndex int    `json:"nodeIndex"`
	CPUUser   string `json:"cpuUser"`
	CPUSys    string `json:"cpuSys"`
	CPUIdle   string `json:"cpuIdle"`
}

// HugepageState is one page size of the host-wide hugepages pool, straight from
// /sys/kernel/mm/hugepages; VDSM sends these as numbers.
type HugepageState struct {
	FreeHugepages         int64 `json:"free_hugepages"`
	NrHugepages           int64 `json:"nr_hugepages"`
	NrHugepagesMempolicy  int64 `json:"nr_hugepages_mempolicy"`
	NrOvercommitHugepages int64 `json:"nr_overcommit_hugepages"`
	ResvHugepages         int64 `json:"resv_hugepages"`
	SurplusHugepages      int64 `json:"surplus_hugepages"`
	// VMFreeHugepages is what VMs may take: the free pages less those the agent reserves.
	VMFreeHugepages int64 `json:"vm.free_hugepages"`
}

// NUMANodeMemoryStats is one NUMA cell of numaNodeMemFree.
type NUMANodeMemoryStats struct {
	MemFree    string                       `json:"memFree"` // MiB
	MemPercent int                          `json:"memPercent"`
	Hugepages  map[string]NUMAHugepageStats `json:"hugepages"`
}

// NUMAHugepageStats is the free count of one page size in a cell. The schema says string, but
// VDSM sends libvirt's getFreePages integers untouched (numa.py free_pages_by_cell; only
// top-level values of Host.getStats go through convertToStr).
type NUMAHugepageStats struct {
	FreePages int64 `json:"freePages"`
}

// InterfaceStats is one network interface of HostStats.network. The counters are totals since
// the interface appeared; the engine derives rates from two of them and SampleTime.
type InterfaceStats struct {
	Name       string  `json:"name"`
	State      string  `json:"state"` // up | down | unknown
	Speed      string  `json:"speed"` // Mb/s
	Rx         string  `json:"rx"`
	Tx         string  `json:"tx"`
	RxErrors   string  `json:"rxErrors"`
	TxErrors   string  `json:"txErrors"`
	RxDropped  string  `json:"rxDropped"`
	TxDropped  string  `json:"txDropped"`
	Duplex     string  `json:"duplex"`     // full | half | unknown; not in the schema, VDSM sends it
	SampleTime float64 `json:"sampleTime"` // epoch seconds
}

// PathStats is free space under one monitored path.
type PathStats struct {
	Free string `json:"free"` // MiB
}

// HostedEngineHA is haStats.
type HostedEngineHA struct {
	Configured        bool `json:"configured"`
	Active            bool `json:"active"`
	Score             int  `json:"score"`
	GlobalMaintenance bool `json:"globalMaintenance"`
	LocalMaintenance  bool `json:"localMaintenance"`
}

// HardwareInfo is the result of Host.getHardwareInfo.
type HardwareInfo struct {
	SystemManufacturer string `json:"systemManufacturer"`
	SystemProductName  string `json:"systemProductName"`
	SystemVersion      string `json:"systemVersion"`
	SystemSerialNumber string `json:"systemSerialNumber"`
	SystemUUID         string `json:"systemUUID"`
	SystemFamily       string `json:"systemFamily"`
}
