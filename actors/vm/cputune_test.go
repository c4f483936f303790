package vm

import (
	"strings"
	"testing"
)

// The expected values are MoM's 04-cputune.policy evaluated by Python (float arithmetic, then
// the CpuTune controller's int()).
func TestVCPUBandwidthFor(t *testing.T) {
	tests := []struct {
		limit, host, vcpus int
		quota              int64
		period             uint64
	}{
		{50, 2, 1, 100000, 100000},
		{50, 2, 2, 50000, 100000},
		{25, 4, 2, 50000, 100000},
		{33, 3, 5, 19800, 100000},
		{1, 64, 1, 64000, 100000},
		{99, 16, 16, 99000, 100000},
		{1, 1, 1, 2000, 200000}, // exactly 1000 µs a vCPU: stretched, as MoM's (> calcQuota 1000) is false
		{1, 1, 4, 1250, 500000},
		{3, 1, 7, 1428, 333333},
		{100, 2, 2, -1, 100000}, // no limit: MoM's reset_quota_and_period
		{150, 2, 2, -1, 100000},
	}
	for _, tt := range tests {
		q, p, err := VCPUBandwidthFor(tt.limit, tt.host, tt.vcpus)
		if err != nil || q != tt.quota || p != tt.period {
			t.Errorf("VCPUBandwidthFor(%d%%, %d host CPUs, %d vCPUs) = %d, %d, %v; want %d, %d",
				tt.limit, tt.host, tt.vcpus, q, p, err, tt.quota, tt.period)
		}
	}
	for _, bad := range [][3]int{{0, 2, 2}, {-5, 2, 2}, {50, 0, 2}, {50, 2, 0}} {
		if q, p, err := VCPUBandwidthFor(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("VCPUBandwidthFor%v = %d, %d; want an error (MoM divides by zero or sets a negative quota)", bad, q, p)
		}
	}
}

func TestParseVCPULimit(t *testing.T) {
	for in, want := range map[string]int{"50": 50, " 7 ": 7, "100": 100, "+3": 3} {
		if got, err := ParseVCPULimit(in); err != nil || got != want {
			t.Errorf("ParseVCPULimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "50.5", "fifty", "None", "True"} {
		if got, err := ParseVCPULimit(in); err == nil {
			t.Errorf("ParseVCPULimit(%q) = %d; want an error (MoM's int() refuses it)", in, got)
		}
	}
}

func TestWithVCPULimit(t *testing.T) {
	tests := []struct {
		name, qos, want string
	}{
		{"no metadata", "", `<qos><vcpuLimit>50</vcpuLimit></qos>`},
		{"the engine's empty element", `<ovirt-tune:qos xmlns:ovirt-tune="http://ovirt.org/vm/tune/1.0"/>`,
			`<qos><vcpuLimit>50</vcpuLimit></qos>`},
		{"bare, as GetMetadata may return it", `<qos/>`, `<qos><vcpuLimit>50</vcpuLimit></qos>`},
		{"replaces the old limit, keeps ioTune",
			`<qos xmlns="http://ovirt.org/vm/tune/1.0"><vcpuLimit>20</vcpuLimit>` +
				`<ioTune><device name="vda" path="/p"><maximum><total_bytes_sec>10</total_bytes_sec></maximum></device></ioTune></qos>`,
			`<qos><ioTune><device name="vda" path="/p"><maximum><total_bytes_sec>10</total_bytes_sec></maximum></device></ioTune>` +
				`<vcpuLimit>50</vcpuLimit></qos>`},
		{"prefixed children", `<ovirt-tune:qos xmlns:ovirt-tune="http://ovirt.org/vm/tune/1.0"><ovirt-tune:vcpuLimit>20</ovirt-tune:vcpuLimit></ovirt-tune:qos>`,
			`<qos><vcpuLimit>50</vcpuLimit></qos>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WithVCPULimit(tt.qos, "50")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("WithVCPULimit:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	if got, err := WithVCPULimit(`<vm/>`, "50"); err == nil {
		t.Errorf("WithVCPULimit of another element = %s; want an error", got)
	}
	if got, err := WithVCPULimit(`<qos><vcpuLimit>`, "50"); err == nil {
		t.Errorf("WithVCPULimit of a cut element = %s; want an error", got)
	}
	got, err := WithVCPULimit("", `<&>`)
	if err != nil || got != `<qos><vcpuLimit>&lt;&amp;&gt;</vcpuLimit></qos>` {
		t.Errorf("WithVCPULimit escapes the text: %s, %v", got, err)
	}
}

// A domain as the engine defines it and as libvirt shows it once the limit is set: the limit
// comes from ovirt-tune:qos, the bandwidth from <cputune>, and the stats carry VDSM's keys.
func TestDomainTune(t *testing.T) {
	const dom = `<domain type="kvm" xmlns:ovirt-tune="http://ovirt.org/vm/tune/1.0">
  <name>v</name><uuid>11111111-2222-3333-4444-555555555555</uuid>
  <metadata><ovirt-tune:qos><ovirt-tune:vcpuLimit>%s</ovirt-tune:vcpuLimit></ovirt-tune:qos></metadata>
  <memory>1024</memory><vcpu>2</vcpu>%s
</domain>`
	tests := []struct {
		name, limit, cputune string
		wantLimit, wantQuota string
		wantPeriod           uint64
	}{
		{"limited", "50", `<cputune><shares>1020</shares><period>100000</period><quota>50000</quota></cputune>`, "50", "50000", 100000},
		{"lifted", "100", `<cputune><period>100000</period><quota>-1</quota></cputune>`, "100", "-1", 100000},
		{"limit recorded, no cputune", "30", ``, "30", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := strings.Replace(strings.Replace(dom, "%s", tt.limit, 1), "%s", tt.cputune, 1)
			d, err := ParseDomainXML(x)
			if err != nil {
				t.Fatal(err)
			}
			limit, quota, period := tuneStats(d)
			if limit != tt.wantLimit || quota != tt.wantQuota || period != tt.wantPeriod {
				t.Errorf("stats vcpuUserLimit %q vcpuQuota %q vcpuPeriod %d; want %q %q %d",
					limit, quota, period, tt.wantLimit, tt.wantQuota, tt.wantPeriod)
			}
		})
	}
	d, err := ParseDomainXML(`<domain><uuid>u</uuid><metadata><ovirt-tune:qos xmlns:ovirt-tune="http://ovirt.org/vm/tune/1.0"/></metadata><vcpu>1</vcpu></domain>`)
	if err != nil {
		t.Fatal(err)
	}
	if l, q, p := tuneStats(d); l != "" || q != "" || p != 0 {
		t.Errorf("the engine's empty qos: stats %q %q %d; want none", l, q, p)
	}
}

func TestCountProcessors(t *testing.T) {
	const cpuinfo = "processor\t: 0\nvendor_id\t: x\nmodel name\t: processor of sorts\n\nprocessor\t: 1\nvendor_id\t: x\n"
	if n := countProcessors(cpuinfo); n != 2 {
		t.Errorf("countProcessors = %d, want 2", n)
	}
	if n := countProcessors(""); n != 0 {
		t.Errorf("countProcessors of nothing = %d", n)
	}
}

func TestIoTuneRefusal(t *testing.T) {
	tests := []struct {
		name    string
		entries []map[string]string
		want    string
	}{
		{"none", nil, ""},
		{"the engine's entry: a disk of no storage domain on this host",
			[]map[string]string{{"domainID": "'d'", "poolID": "'p'", "imageID": "'i'", "volumeID": "'v'", "maximum": "{}", "guaranteed": "{}"}},
			`No such drive: '{'domainID': 'd', 'poolID': 'p', 'imageID': 'i', 'volumeID': 'v'}'`},
		{"an ID missing: vm.py's KeyError", []map[string]string{{"domainID": "'d'", "imageID": "'i'", "volumeID": "'v'"}}, `'poolID'`},
		{"by name", []map[string]string{{"name": "'vda'"}}, `No such disk vda with path None`},
		{"by path", []map[string]string{{"path": "'/img'", "name": "'vdb'"}}, `No such disk vdb with path /img`},
	}
	for _, tt := range tests {
		if got := ioTuneRefusal(tt.entries); got != tt.want {
			t.Errorf("%s: ioTuneRefusal = %s, want %s", tt.name, got, tt.want)
		}
	}
}
