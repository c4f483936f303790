package virt

import (
	"reflect"
	"testing"
)

// A trimmed capabilities document of a one-socket, 4-core/8-thread Intel host running QEMU 7.2
// under libvirt 9, the shape qemu:///system answers on a real host.
const realHostCaps = `<capabilities>
  <host>
    <uuid>4c4c4544-0046-4e10-8032-b2c04f385a31</uuid>
    <cpu>
      <arch>x86_64</arch>
      <model>Skylake-Client-noTSX-IBRS</model>
      <vendor>Intel</vendor>
      <microcode version='240'/>
      <signature family='6' model='94' stepping='3'/>
      <counter name='tsc' frequency='3407999000' scaling='no'/>
      <topology sockets='1' dies='1' cores='4' threads='2'/>
      <maxphysaddr mode='emulate' bits='39'/>
      <feature name='ds'/>
      <feature name='vmx'/>
      <feature name='invtsc'/>
      <pages unit='KiB' size='4'/>
      <pages unit='KiB' size='2048'/>
      <pages unit='KiB' size='1048576'/>
    </cpu>
    <iommu support='yes'/>
    <topology>
      <cells num='2'>
        <cell id='0'>
          <memory unit='KiB'>16329184</memory>
          <pages unit='KiB' size='4'>4082296</pages>
          <pages unit='KiB' size='2048'>0</pages>
          <pages unit='KiB' size='1048576'>0</pages>
          <distances>
            <sibling id='0' value='10'/>
            <sibling id='1' value='21'/>
          </distances>
          <cpus num='2'>
            <cpu id='0' socket_id='0' die_id='0' core_id='0' siblings='0,4'/>
            <cpu id='4' socket_id='0' die_id='0' core_id='0' siblings='0,4'/>
          </cpus>
        </cell>
        <cell id='1'>
          <memory unit='GiB'>16</memory>
          <pages unit='KiB' size='4'>4194304</pages>
          <pages unit='KiB' size='2048'>16</pages>
          <distances>
            <sibling id='0' value='21'/>
            <sibling id='1' value='10'/>
          </distances>
          <cpus num='1'>
            <cpu id='1' socket_id='0' die_id='0' core_id='1' siblings='1'/>
          </cpus>
        </cell>
      </cells>
    </topology>
  </host>
  <guest>
    <os_type>hvm</os_type>
    <arch name='i686'>
      <machine maxCpus='255'>pc-i440fx-7.2</machine>
      <domain type='qemu'/>
      <domain type='kvm'/>
    </arch>
  </guest>
  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <machine maxCpus='255'>pc-i440fx-7.2</machine>
      <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
      <machine maxCpus='288'>pc-q35-7.2</machine>
      <machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>
      <domain type='qemu'/>
      <domain type='kvm'/>
    </arch>
  </guest>
</capabilities>`

const realDomCaps = `<domainCapabilities>
  <path>/usr/bin/qemu-system-x86_64</path>
  <domain>kvm</domain>
  <machine>pc-i440fx-7.2</machine>
  <arch>x86_64</arch>
  <vcpu max='255'/>
  <cpu>
    <mode name='host-passthrough' supported='yes'/>
    <mode name='host-model' supported='yes'>
      <model fallback='forbid'>Skylake-Client-IBRS</model>
      <vendor>Intel</vendor>
      <feature policy='require' name='ss'/>
      <feature policy='require' name='vmx'/>
      <feature policy='disable' name='mpx'/>
    </mode>
    <mode name='custom' supported='yes'>
      <model usable='yes' vendor='Intel'>Skylake-Client-IBRS</model>
      <model usable='no' vendor='Intel'>Cascadelake-Server</model>
      <model usable='yes' vendor='unknown'>qemu64</model>
      <model usable='unknown' vendor='AMD'>EPYC</model>
      <blockers model='Cascadelake-Server'><feature name='avx512f'/></blockers>
    </mode>
  </cpu>
</domainCapabilities>`

func TestParseCapabilitiesRealHost(t *testing.T) {
	h, err := parseCapabilities(realHostCaps)
	if err != nil {
		t.Fatal(err)
	}
	if h.UUID != "4c4c4544-0046-4e10-8032-b2c04f385a31" {
		t.Errorf("uuid %q", h.UUID)
	}
	wantCPU := HostCPU{
		Arch: "x86_64", Model: "Skylake-Client-noTSX-IBRS", Vendor: "Intel",
		Features: []string{"ds", "vmx", "invtsc"},
		Sockets:  1, Dies: 1, Cores: 4, Threads: 2,
		PageSizesKiB: []uint64{4, 2048, 1048576},
	}
	if !reflect.DeepEqual(h.CPU, wantCPU) {
		t.Errorf("cpu\n got %+v\nwant %+v", h.CPU, wantCPU)
	}
	if !h.IOMMU || h.TSCFrequency != 3407999000 || h.TSCScaling {
		t.Errorf("iommu %v tsc %d scaling %v", h.IOMMU, h.TSCFrequency, h.TSCScaling)
	}
	if len(h.Cells) != 2 {
		t.Fatalf("cells %+v", h.Cells)
	}
	c0, c1 := h.Cells[0], h.Cells[1]
	if c0.MemoryKiB != 16329184 || c1.MemoryKiB != 16*1024*1024 {
		t.Errorf("cell memory %d %d", c0.MemoryKiB, c1.MemoryKiB)
	}
	if !reflect.DeepEqual(c0.Distances, map[int]int{0: 10, 1: 21}) || !reflect.DeepEqual(c1.Distances, map[int]int{0: 21, 1: 10}) {
		t.Errorf("distances %v %v", c0.Distances, c1.Distances)
	}
	if want := []PageCount{{4, 4194304}, {2048, 16}}; !reflect.DeepEqual(c1.Pages, want) {
		t.Errorf("cell 1 pages %+v", c1.Pages)
	}
	if want := []CellCPU{{ID: 0, Siblings: "0,4"}, {ID: 4, Siblings: "0,4"}}; !reflect.DeepEqual(c0.CPUs, want) {
		t.Errorf("cell 0 cpus %+v", c0.CPUs)
	}
	if want := (CellCPU{ID: 1, CoreID: 1, Siblings: "1"}); !reflect.DeepEqual(c1.CPUs, []CellCPU{want}) {
		t.Errorf("cell 1 cpus %+v", c1.CPUs)
	}
	wantMachines := []string{"pc-i440fx-7.2", "pc", "pc-q35-7.2", "q35"}
	if got := h.EmulatedMachines("x86_64", "kvm"); !reflect.DeepEqual(got, wantMachines) {
		t.Errorf("machines %v", got)
	}
	if !h.HasDomainType("x86_64", "kvm") || h.HasDomainType("aarch64", "kvm") {
		t.Error("domain types")
	}
}

func TestEmulatedMachinesPreferAcceleratorList(t *testing.T) {
	h := HostCaps{Guests: []Guest{{
		Arch:     "x86_64",
		Machines: []Machine{{Name: "pc-i440fx-2.0"}},
		Domains: []GuestDomain{
			{Type: "qemu"},
			{Type: "kvm", Machines: []Machine{{Name: "rhel6.0.0"}, {Name: "pc", Canonical: "pc-i440fx-rhel7.0.0"}, {Name: "rhel6.0.0"}}},
		},
	}}}
	if got, want := h.EmulatedMachines("x86_64", "kvm"), []string{"rhel6.0.0", "pc", "pc-i440fx-rhel7.0.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("kvm machines %v", got)
	}
	if got, want := h.EmulatedMachines("x86_64", "qemu"), []string{"pc-i440fx-2.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("qemu machines %v", got)
	}
	if got := h.EmulatedMachines("ppc64le", "kvm"); got == nil || len(got) != 0 {
		t.Errorf("unknown arch must give an empty, non-nil list: %#v", got)
	}
}

func TestParseDomainCapabilities(t *testing.T) {
	dc, err := parseDomainCapabilities(realDomCaps)
	if err != nil {
		t.Fatal(err)
	}
	want := DomainCaps{
		Arch: "x86_64", VirtType: "kvm",
		Machines:          []string{"pc-i440fx-7.2"},
		HostModel:         "Skylake-Client-IBRS",
		HostModelFeatures: []string{"ss", "vmx"},
		UsableModels:      []string{"Skylake-Client-IBRS", "qemu64"},
	}
	if !reflect.DeepEqual(dc, want) {
		t.Errorf("\n got %+v\nwant %+v", dc, want)
	}
}

func TestParseCapabilitiesRejectsGarbage(t *testing.T) {
	if _, err := parseCapabilities("<capabilities><host>"); err == nil {
		t.Error("truncated XML accepted")
	}
	if _, err := parseDomainCapabilities("not xml"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestVersion(t *testing.T) {
	v := versionOf(10010000)
	if v != (Version{10, 10, 0}) || v.String() != "10.10.0" {
		t.Errorf("%+v %s", v, v)
	}
	cases := []struct {
		v    Version
		a, b uint32
		c    uint32
		want bool
	}{
		{Version{9, 0, 0}, 8, 0, 0, true},
		{Version{8, 0, 0}, 8, 0, 0, true},
		{Version{7, 10, 0}, 8, 0, 0, false},
		{Version{10, 9, 9}, 10, 10, 0, false},
		{Version{10, 10, 1}, 10, 10, 0, true},
	}
	for _, c := range cases {
		if got := c.v.AtLeast(c.a, c.b, c.c); got != c.want {
			t.Errorf("%s AtLeast %d.%d.%d = %v", c.v, c.a, c.b, c.c, got)
		}
	}
	if !(Version{}).IsZero() || v.IsZero() {
		t.Error("IsZero")
	}
}

func openTest(t *testing.T) *Conn {
	t.Helper()
	c, err := Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The test driver's host: 2 NUMA cells of 8 CPUs, i686, no UUID, no model, no distances, and no
// machine types; these tests pin that down so a libvirt upgrade that changes it is noticed.
func TestCapabilitiesTestDriver(t *testing.T) {
	c := openTest(t)
	h, err := c.Capabilities()
	if err != nil {
		t.Fatal(err)
	}
	if h.CPU.Arch == "" {
		t.Error("no host arch")
	}
	if len(h.Cells) != 2 || len(h.Cells[0].CPUs) != 8 || h.Cells[1].MemoryKiB == 0 {
		t.Errorf("cells %+v", h.Cells)
	}
	if len(h.CPU.PageSizesKiB) == 0 {
		t.Error("no page sizes")
	}
	if len(h.Guests) == 0 || !h.HasDomainType(h.CPU.Arch, "test") {
		t.Errorf("guests %+v", h.Guests)
	}
}

func TestNodeInfoTestDriver(t *testing.T) {
	ni, err := openTest(t).NodeInfo()
	if err != nil {
		t.Fatal(err)
	}
	if ni.CPUs == 0 || ni.MemoryKiB == 0 || ni.MHz == 0 || ni.Nodes == 0 || ni.Model == "" {
		t.Errorf("%+v", ni)
	}
}

// The test driver has no domain capabilities (ERR_NO_SUPPORT): that must be an empty answer,
// not an error, so capabilities still build.
func TestDomainCapabilitiesTestDriver(t *testing.T) {
	dc, err := openTest(t).DomainCapabilities()
	if err != nil {
		t.Fatal(err)
	}
	if dc.VirtType != "" || dc.HostModel != "" || len(dc.UsableModels) != 0 {
		t.Errorf("%+v", dc)
	}
	if dc.Arch == "" || dc.Machines == nil {
		t.Errorf("arch %q machines %#v", dc.Arch, dc.Machines)
	}
}

func TestVersionsAndHostnameTestDriver(t *testing.T) {
	c := openTest(t)
	lv, err := c.LibVersion()
	if err != nil || !lv.AtLeast(1, 0, 0) {
		t.Errorf("lib version %s %v", lv, err)
	}
	driver, hv, err := c.HypervisorVersion()
	if err != nil || driver != "TEST" || hv.IsZero() {
		t.Errorf("hypervisor %q %s %v", driver, hv, err)
	}
	h, err := c.Hostname()
	if err != nil || h == "" {
		t.Errorf("hostname %q %v", h, err)
	}
}
