package host

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

func openTestDriver(t *testing.T) *virt.Conn {
	t.Helper()
	c, err := virt.Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestBuildCapabilitiesFixture(t *testing.T) {
	c, err := BuildCapabilities(Sources{Root: string(fixture), AgentVersion: "1.2.3"}, "ovirtmgmt")
	if err != nil {
		t.Fatal(err)
	}
	eq := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", name, got, want)
		}
	}
	eq("kvmEnabled", c.KVMEnabled, "false")
	eq("cpuCores", c.CPUCores, "2")
	eq("cpuThreads", c.CPUThreads, "4")
	eq("cpuSockets", c.CPUSockets, "2")
	eq("onlineCpus", c.OnlineCPUs, "0,1,2,3")
	eq("cpuTopology", c.CPUTopology, []vdsm.CPUInfo{
		{CPUID: 0}, {CPUID: 1}, {CPUID: 2, NUMACellID: 1, SocketID: 1}, {CPUID: 3, NUMACellID: 1, SocketID: 1},
	})
	eq("cpuSpeed", c.CPUSpeed, "2100.000")
	eq("cpuModel", c.CPUModel, "Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz")
	if !strings.HasPrefix(c.CPUFlags, "fpu,vme,de,") || !strings.HasSuffix(c.CPUFlags, ",arch_capabilities") || strings.Contains(c.CPUFlags, "model_") {
		t.Errorf("cpuFlags %s", c.CPUFlags)
	}
	eq("vdsmToCpusAffinity", c.VdsmToCPUsAffinity, []int{0, 1, 2, 3})

	eq("version_name", c.VersionName, "Snow Man")
	eq("software_version", c.SoftwareVersion, "4.50")
	eq("software_revision", c.SoftwareRevision, "1.2.3")
	eq("supportedENGINEs", c.SupportedENGINEs, []string{"4.2", "4.3", "4.4", "4.5"})
	// Without libvirt its version is unknown: only the levels every libvirt supports.
	eq("clusterLevels", c.ClusterLevels, []string{"4.2", "4.3", "4.4", "4.5", "4.6"})

	eq("lastClientIface", c.LastClientIface, "ovirtmgmt")
	eq("netConfigDirty", c.NetConfigDirty, "False")
	eq("networks", c.Networks, map[string]vdsm.NetInfoNetwork{})
	eq("nic count", len(c.NICs), 3)
	eq("bridge ports", c.Bridges["ovirtmgmt"].Ports, []string{"eth0"})
	eq("bond slaves", c.Bondings["bond0"].Slaves, []string{"eth1", "eth2"})
	eq("vlan", c.VLANs["bond0.100"].VLANID, 100)
	eq("nameservers", c.Nameservers, []string{"192.168.1.53", "2001:db8::53"})
	eq("supportsIPv6", c.SupportsIPv6, true)

	eq("operatingSystem", c.OperatingSystem, vdsm.OSVersion{Name: "RHEL", Version: "9.3", PrettyName: "Rocky Linux 9.3 (Blue Onyx)"})
	eq("uuid", c.UUID, "4C4C4544-0038-4B10-8032-CAC04F4C4D32")
	eq("packages2", c.Packages2, map[string]vdsm.PackageVersion{"kernel": {Version: "5.14.0", Release: "362.8.1.el9_3.x86_64"}})
	eq("emulatedMachines", c.EmulatedMachines, []string{})
	eq("ISCSIInitiatorName", c.ISCSIInitiatorName, "iqn.1994-05.com.redhat:7d366003913")
	eq("HBA FC", len(c.HBAInventory.FC), 1)
	eq("nestedVirtualization", c.NestedVirtualization, true)

	eq("vmTypes", c.VMTypes, []string{"kvm"})
	eq("memSize", c.MemSize, "16000")
	eq("reservedMem", c.ReservedMem, "321")
	eq("guestOverhead", c.GuestOverhead, "65")
	eq("rngSources", c.RNGSources, []string{"random", "hwrng"})
	base := u64(basePageKiB())
	eq("numaNodes", c.NUMANodes, map[string]vdsm.NUMANode{
		"0": {TotalMemory: "8000", CPUs: []int{0, 1}, Hugepages: map[string]vdsm.NUMAHugepages{
			base: {TotalPages: u64(8192000 / basePageKiB())}, "2048": {TotalPages: "4"}, "1048576": {TotalPages: "0"},
		}},
		"1": {TotalMemory: "8000", CPUs: []int{2, 3}, Hugepages: map[string]vdsm.NUMAHugepages{
			base: {TotalPages: u64(8192000 / basePageKiB())}, "2048": {TotalPages: "4"}, "1048576": {TotalPages: "0"},
		}},
	})
	eq("numaNodeDistance", c.NUMANodeDistance, map[string][]int{"0": {10, 21}, "1": {21, 10}})
	eq("autoNumaBalancing", c.AutoNUMABalancing, 1)
	eq("hugepages", c.Hugepages, []int{2048, 1048576})

	eq("selinux", c.SELinux, vdsm.SELinuxStatus{Mode: "1"})
	eq("kdumpStatus", c.KdumpStatus, 1)
	eq("hostdevPassthrough", c.HostdevPassthrough, "true")
	eq("additionalFeatures", c.AdditionalFeatures, []string{})
	eq("vncEncrypted", c.VncEncrypted, true)
	eq("liveSnapshot", c.LiveSnapshot, "false")
	eq("tscFrequency", c.TSCFrequency, "")

	checkCapsWire(t, c)
}

// With the test driver: libvirt's version raises the cluster levels and joins packages2, but
// the test driver is not QEMU (no qemu-kvm), has no domain capabilities (no model_ flags; the
// machines are engine_facts.go's stand-in) and its imaginary 16-CPU topology does not override
// the host's sysfs.
func TestBuildCapabilitiesFixtureWithTestDriver(t *testing.T) {
	lv := openTestDriver(t)
	c, err := BuildCapabilities(Sources{Root: string(fixture), Libvirt: lv, AgentVersion: "dev"}, "")
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := lv.LibVersion()
	if p, ok := c.Packages2["libvirt"]; !ok || p.Version != lib.String() {
		t.Errorf("packages2 %v", c.Packages2)
	}
	if _, ok := c.Packages2["qemu-kvm"]; ok {
		t.Errorf("test driver reported as qemu: %v", c.Packages2)
	}
	if lib.AtLeast(8, 0, 0) && c.ClusterLevels[len(c.ClusterLevels)-1] != "4.7" {
		t.Errorf("libvirt %s: clusterLevels %v", lib, c.ClusterLevels)
	}
	if c.CPUThreads != "4" || c.OnlineCPUs != "0,1,2,3" || len(c.NUMANodes) != 2 {
		t.Errorf("topology from libvirt's imaginary host: %s %s %d", c.CPUThreads, c.OnlineCPUs, len(c.NUMANodes))
	}
	if strings.Contains(c.CPUFlags, "model_") || !reflect.DeepEqual(c.EmulatedMachines, testDriverMachines) {
		t.Errorf("flags %s machines %v", c.CPUFlags, c.EmulatedMachines)
	}
	if c.UUID != "4C4C4544-0038-4B10-8032-CAC04F4C4D32" {
		t.Errorf("uuid %s", c.UUID)
	}
	checkCapsWire(t, c)
}

// The real machine, through the test driver: it must answer, with every key VDSM sends.
func TestBuildCapabilitiesRealHost(t *testing.T) {
	c, err := BuildCapabilities(Sources{Root: "/", Libvirt: openTestDriver(t), AgentVersion: "dev"}, "lo")
	if err != nil {
		t.Fatal(err)
	}
	m := checkCapsWire(t, c)
	if c.MemSize == "0" || c.CPUThreads == "0" || c.OnlineCPUs == "" || len(c.NUMANodes) == 0 {
		t.Errorf("memSize %s threads %s online %q nodes %d", c.MemSize, c.CPUThreads, c.OnlineCPUs, len(c.NUMANodes))
	}
	if c.UUID == "" {
		t.Log("no DMI, libvirt or machine-id UUID on this machine")
	}
	t.Logf("uuid %s, os %+v, kvm %s, nics %d, bridges %d, keys %d", c.UUID, c.OperatingSystem, c.KVMEnabled, len(c.NICs), len(c.Bridges), len(m))
}

func TestBuildCapabilitiesNeedsMeminfo(t *testing.T) {
	if _, err := BuildCapabilities(Sources{Root: t.TempDir()}, ""); err == nil {
		t.Error("capabilities without /proc/meminfo")
	}
}

func TestCPUFlagsWithDomainCapabilities(t *testing.T) {
	ci := cpuInfo{Flags: []string{"fpu", "vmx", "ss"}}
	lv := libvirtFacts{ok: true, dom: virt.DomainCaps{
		HostModel:         "Skylake-Client-IBRS",
		HostModelFeatures: []string{"ss", "vmx", "arch-capabilities"},
		UsableModels:      []string{"qemu64", "Skylake-Client-IBRS", "Haswell-noTSX"},
	}}
	want := []string{"fpu", "vmx", "ss", "arch-capabilities", "model_qemu64", "model_Skylake-Client-IBRS", "model_Haswell-noTSX"}
	if got := cpuFlags(ci, lv); !reflect.DeepEqual(got, want) {
		t.Errorf("%v", got)
	}
	// No /proc/cpuinfo flags (aarch64): libvirt's host CPU features stand in.
	lv.caps.CPU.Features = []string{"fp", "asimd"}
	lv.dom = virt.DomainCaps{HostModel: "host"}
	if got := cpuFlags(cpuInfo{}, lv); !reflect.DeepEqual(got, []string{"fp", "asimd", "model_host"}) {
		t.Errorf("%v", got)
	}
}

func ver(major, minor, micro uint32) virt.Version {
	return virt.Version{Major: major, Minor: minor, Micro: micro}
}

func TestClusterLevels(t *testing.T) {
	base := []string{"4.2", "4.3", "4.4", "4.5", "4.6"}
	cases := []struct {
		lib, qemu virt.Version
		driver    string
		want      []string
	}{
		{ver(7, 10, 0), ver(9, 1, 0), "QEMU", base},
		{ver(8, 0, 0), virt.Version{}, "TEST", append(append([]string{}, base...), "4.7")},
		{ver(10, 10, 0), ver(9, 0, 0), "QEMU", append(append([]string{}, base...), "4.7")},
		{ver(10, 10, 0), ver(9, 1, 0), "QEMU", append(append([]string{}, base...), "4.7", "4.8")},
		{ver(11, 0, 0), ver(9, 2, 0), "TEST", append(append([]string{}, base...), "4.7")},
	}
	for _, c := range cases {
		got := clusterLevels(libvirtFacts{ok: true, lib: c.lib, hypervis: c.qemu, driver: c.driver})
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("libvirt %s %s %s: %v", c.lib, c.driver, c.qemu, got)
		}
	}
}

func TestPackagesWithQEMU(t *testing.T) {
	p := packages(fixture, libvirtFacts{ok: true, lib: ver(9, 0, 0), driver: "QEMU", hypervis: ver(7, 2, 0)})
	want := map[string]vdsm.PackageVersion{
		"kernel":   {Version: "5.14.0", Release: "362.8.1.el9_3.x86_64"},
		"libvirt":  {Version: "9.0.0"},
		"qemu-kvm": {Version: "7.2.0"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("%v", p)
	}
}

func TestHostUUIDOrder(t *testing.T) {
	const smbios = "4c4c4544-0038-4b10-8032-cac04f4c4d32"
	const lvUUID = "11111111-2222-3333-4444-55555555aaaa"
	mk := func(files map[string]string) fsRoot { return writeFiles(t, files) }
	cases := []struct {
		name string
		r    fsRoot
		lv   string
		want string
	}{
		{"vdsm.id first", mk(map[string]string{"etc/vdsm/vdsm.id": "my-host-id\n", "sys/class/dmi/id/product_uuid": smbios}), lvUUID, "my-host-id"},
		{"smbios", mk(map[string]string{"sys/class/dmi/id/product_uuid": smbios + "\n"}), lvUUID, "4C4C4544-0038-4B10-8032-CAC04F4C4D32"},
		{"placeholder skipped", mk(map[string]string{"sys/class/dmi/id/product_uuid": "00000000-0000-0000-0000-000000000000\n"}), lvUUID, "11111111-2222-3333-4444-55555555AAAA"},
		{"unreadable smbios, libvirt", mk(map[string]string{}), lvUUID, "11111111-2222-3333-4444-55555555AAAA"},
		{"machine-id last", mk(map[string]string{"etc/machine-id": "3d1219c7c4c5404aaa1f6d2a48adfda4\n"}), "", "3D1219C7-C4C5-404A-AA1F-6D2A48ADFDA4"},
		{"nothing", mk(map[string]string{"etc/machine-id": "uninitialized\n"}), "", ""},
	}
	for _, c := range cases {
		lv := libvirtFacts{caps: virt.HostCaps{UUID: c.lv}}
		if got := hostUUID(c.r, lv); got != c.want {
			t.Errorf("%s: %q", c.name, got)
		}
	}
}

// Without sysfs, libvirt's topology is used as it stands.
func TestTopologyFromLibvirt(t *testing.T) {
	hc := virt.HostCaps{Cells: []virt.NUMACell{
		{ID: 0, MemoryKiB: 2097152, Distances: map[int]int{0: 10, 1: 20}, Pages: []virt.PageCount{{SizeKiB: 4, Count: 524288}, {SizeKiB: 2048}},
			CPUs: []virt.CellCPU{{ID: 1, CoreID: 1}, {ID: 0}}},
		{ID: 1, MemoryKiB: 1048576, Distances: map[int]int{0: 20, 1: 10},
			CPUs: []virt.CellCPU{{ID: 2, SocketID: 1}}},
	}}
	r := writeFiles(t, map[string]string{"proc/meminfo": "MemTotal: 3145728 kB\n"})
	topo := hostTopology(r, libvirtFacts{ok: true, caps: hc}, memInfo{"MemTotal": 3145728})
	if got := topo.cpuIDs(); !reflect.DeepEqual(got, []int{0, 1, 2}) {
		t.Errorf("cpus %v", got)
	}
	if s, c, th := topologyCounts(topo.cpus); s != 2 || c != 3 || th != 3 {
		t.Errorf("%d %d %d", s, c, th)
	}
	wantNodes := map[string]vdsm.NUMANode{
		"0": {TotalMemory: "2048", CPUs: []int{0, 1}, Hugepages: map[string]vdsm.NUMAHugepages{"4": {TotalPages: "524288"}, "2048": {TotalPages: "0"}}},
		"1": {TotalMemory: "1024", CPUs: []int{2}, Hugepages: map[string]vdsm.NUMAHugepages{}},
	}
	if got := topo.numaNodes(); !reflect.DeepEqual(got, wantNodes) {
		t.Errorf("nodes %+v", got)
	}
	if got := topo.distances(); !reflect.DeepEqual(got, map[string][]int{"0": {10, 20}, "1": {20, 10}}) {
		t.Errorf("distances %v", got)
	}

	// Neither sysfs nor libvirt: one node, no CPUs known, the whole memory.
	lone := hostTopology(r, libvirtFacts{}, memInfo{"MemTotal": 3145728})
	if n := lone.numaNodes()["0"]; n.TotalMemory != "3072" || len(n.CPUs) != 0 || n.CPUs == nil {
		t.Errorf("lone %+v", lone.numaNodes())
	}
}
