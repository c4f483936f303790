package vm

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A domain as the engine sends it to VM.create: ovirt-vm metadata, binary and decimal units,
// vCPU hotplug headroom, every device kind the stats look at.
const engineDomainXML = `<domain type='kvm' xmlns:ovirt-tune="http://ovirt.org/vm/tune/1.0" xmlns:ovirt-vm="http://ovirt.org/vm/1.0">
  <name>web1</name>
  <uuid> 11111111-2222-3333-4444-555555555555 </uuid>
  <metadata>
    <ovirt-tune:qos/>
    <ovirt-vm:vm>
      <ovirt-vm:launchPaused>true</ovirt-vm:launchPaused>
      <ovirt-vm:destroy_on_reboot type="bool">True</ovirt-vm:destroy_on_reboot>
      <ovirt-vm:minGuaranteedMemoryMb type="int">2048</ovirt-vm:minGuaranteedMemoryMb>
      <ovirt-vm:clusterVersion>4.7</ovirt-vm:clusterVersion>
      <ovirt-vm:device mac_address="56:6f:00:00:00:01"><ovirt-vm:custom/></ovirt-vm:device>
    </ovirt-vm:vm>
  </metadata>
  <memory unit='GiB'>4</memory>
  <currentMemory unit='MB'>3000</currentMemory>
  <vcpu placement='static' current='2'>16</vcpu>
  <features><acpi/><apic/></features>
  <on_reboot>restart</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <source file='/rhev/data-center/mnt/sd/images/img/vol'/>
      <target dev='vda' bus='virtio'/>
      <alias name='ua-disk0'/>
    </disk>
    <disk type='block' device='disk'>
      <source dev='/dev/mapper/lun1'/>
      <target dev='sda' bus='scsi'/>
    </disk>
    <disk type='network' device='disk'>
      <source protocol='rbd' name='pool/image'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='hdc' bus='ide'/>
    </disk>
    <interface type='bridge'>
      <mac address='56:6f:00:00:00:01'/>
      <source bridge='ovirtmgmt'/>
      <target dev='vnet0'/>
      <model type='virtio'/>
      <alias name='ua-nic0'/>
    </interface>
    <interface type='network'>
      <mac address='56:6f:00:00:00:02'/>
      <source network='vdsm-display'/>
      <model type='e1000'/>
    </interface>
    <graphics type='spice' port='5901' tlsPort='5902' autoport='no'>
      <listen type='network' network='vdsm-ovirtmgmt' address='192.0.2.10'/>
    </graphics>
    <graphics type='vnc' autoport='yes' listen='0.0.0.0'/>
    <graphics type='vnc' port='5903' autoport='no'>
      <listen type='network' network='vdsm-unresolved'/>
      <listen type='address' address='192.0.2.99'/>
    </graphics>
    <memballoon model='virtio'/>
  </devices>
</domain>`

func TestParseDomainXML(t *testing.T) {
	got, err := ParseDomainXML(engineDomainXML)
	if err != nil {
		t.Fatal(err)
	}
	if got.DevicesHash == "" {
		t.Error("no devices hash")
	}
	got.DevicesHash = ""
	want := DomainInfo{
		UUID: "11111111-2222-3333-4444-555555555555", Name: "web1", Type: "kvm",
		MemoryKiB: 4 << 20, CurrentMemoryKiB: 3000 * 1000 * 1000 / 1024, VCPUs: 2, ACPI: true, OnReboot: "restart",
		Graphics: []Graphics{
			{Type: "spice", Port: "5901", TLSPort: "5902", Listen: "192.0.2.10"},
			// No port attributes: "" as VDSM's vmxml.attr gives them.
			{Type: "vnc", Listen: "0.0.0.0"},
			// Only the first <listen> counts (VDSM's display_info), whatever follows it.
			{Type: "vnc", Port: "5903"},
		},
		Interfaces: []Interface{
			{MAC: "56:6f:00:00:00:01", Target: "vnet0", Model: "virtio", Alias: "ua-nic0", Source: "ovirtmgmt"},
			{MAC: "56:6f:00:00:00:02", Model: "e1000", Source: "vdsm-display"},
		},
		Disks: []Disk{
			{Target: "vda", Source: "/rhev/data-center/mnt/sd/images/img/vol", Device: "disk", Bus: "virtio", Alias: "ua-disk0"},
			{Target: "sda", Source: "/dev/mapper/lun1", Device: "disk", Bus: "scsi"},
			{Target: "vdb", Source: "pool/image", Device: "disk", Bus: "virtio"},
			{Target: "hdc", Device: "cdrom", Bus: "ide"},
		},
		BalloonModel:           "virtio",
		Meta:                   Metadata{DestroyOnReboot: true},
		LaunchPaused:           true,
		MinGuaranteedMemoryMiB: 2048,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseDomainXML:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseDomainXMLMetadata(t *testing.T) {
	const ours = `<hostagent:vm xmlns:hostagent="https://github.com/hostagent/hostagent/1.0">` +
		`<hostagent:startTime>1704067200000</hostagent:startTime>` +
		`<hostagent:exitCode>1</hostagent:exitCode><hostagent:exitReason>2</hostagent:exitReason>` +
		`<hostagent:exitMessage>Lost connection with qemu process</hostagent:exitMessage></hostagent:vm>`
	const vdsms = `<ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0">` +
		`<ovirt-vm:startTime type="float">1700000000.25</ovirt-vm:startTime>` +
		`<ovirt-vm:exitCode type="int">0</ovirt-vm:exitCode><ovirt-vm:exitReason type="int">6</ovirt-vm:exitReason>` +
		`<ovirt-vm:exitMessage>Admin shut down from the engine</ovirt-vm:exitMessage></ovirt-vm:vm>`
	domain := func(metadata, extra string) string {
		return `<domain type='kvm'><name>n</name><uuid>u</uuid><metadata>` + metadata + `</metadata>` + extra + `</domain>`
	}
	tests := []struct {
		name string
		xml  string
		want Metadata
	}{
		{"none", domain("", ""), Metadata{}},
		{"ours", domain(ours, ""), Metadata{StartTime: 1704067200000, Exit: &Exit{Code: 1, Reason: 2, Message: "Lost connection with qemu process"}}},
		{"VDSM's, for a VM it started", domain(vdsms, ""), Metadata{StartTime: 1700000000250, Exit: &Exit{Code: 0, Reason: 6, Message: "Admin shut down from the engine"}}},
		{"ours win over VDSM's", domain(ours+vdsms, ""), Metadata{StartTime: 1704067200000, Exit: &Exit{Code: 1, Reason: 2, Message: "Lost connection with qemu process"}}},
		{"on_reboot destroy", domain("", "<on_reboot>destroy</on_reboot>"), Metadata{DestroyOnReboot: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDomainXML(tt.xml)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Meta, tt.want) {
				t.Errorf("Meta = %+v (exit %+v), want %+v (exit %+v)", got.Meta, got.Meta.Exit, tt.want, tt.want.Exit)
			}
		})
	}
}

func TestParseDomainXMLErrors(t *testing.T) {
	for name, x := range map[string]string{
		"not XML":        `<domain`,
		"not a domain":   `<network><uuid>u</uuid></network>`,
		"no uuid":        `<domain type='kvm'><name>n</name></domain>`,
		"bad memory":     `<domain><uuid>u</uuid><memory>lots</memory></domain>`,
		"bad unit":       `<domain><uuid>u</uuid><memory unit='parsecs'>1</memory></domain>`,
		"bad vcpu":       `<domain><uuid>u</uuid><vcpu>two</vcpu></domain>`,
		"bad startTime":  `<domain><uuid>u</uuid><metadata><a:vm xmlns:a="https://github.com/hostagent/hostagent/1.0"><a:startTime>soon</a:startTime></a:vm></metadata></domain>`,
		"bad exitReason": `<domain><uuid>u</uuid><metadata><o:vm xmlns:o="http://ovirt.org/vm/1.0"><o:exitReason>x</o:exitReason></o:vm></metadata></domain>`,
	} {
		if _, err := ParseDomainXML(x); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMemoryUnits(t *testing.T) {
	for _, tt := range []struct {
		unit, value string
		want        uint64
	}{
		{"", "1024", 1024}, {"KiB", "1024", 1024}, {"k", "1", 1}, {"b", "2048", 2}, {"bytes", "1024", 1},
		{"KB", "1024", 1000}, {"MiB", "1", 1024}, {"M", "2", 2048}, {"MB", "1", 976}, {"GiB", "1", 1 << 20},
		{"G", "1", 1 << 20}, {"GB", "1", 976562}, {"TiB", "1", 1 << 30}, {"TB", "1", 976562500},
	} {
		got, err := memoryXML{Unit: tt.unit, Value: tt.value}.kiB()
		if err != nil || got != tt.want {
			t.Errorf("%s %s = %d, %v; want %d", tt.value, tt.unit, got, err, tt.want)
		}
	}
}

func TestDevicesHashFollowsDevices(t *testing.T) {
	a, err := ParseDomainXML(engineDomainXML)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseDomainXML(strings.Replace(engineDomainXML, "<name>web1</name>", "<name>web2</name>", 1))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseDomainXML(strings.Replace(engineDomainXML, "ua-nic0", "ua-nic1", 1))
	if err != nil {
		t.Fatal(err)
	}
	if a.DevicesHash != b.DevicesHash {
		t.Error("hash changed with the name, not the devices")
	}
	if a.DevicesHash == c.DevicesHash {
		t.Error("hash unchanged after a device changed")
	}
}

// The repository's test-driver definitions must stay readable by the agent.
func TestTestdataDomains(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "domains", "minimal.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := ParseDomainXML(string(b)); err != nil || d.UUID == "" || d.Type != "test" {
		t.Errorf("minimal.xml: %+v, %v", d, err)
	}

	b, err = os.ReadFile(filepath.Join("..", "..", "testdata", "host.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var node struct {
		Domains []struct {
			Inner string `xml:",innerxml"`
			Type  string `xml:"type,attr"`
		} `xml:"domain"`
	}
	if err := xml.Unmarshal(b, &node); err != nil {
		t.Fatal(err)
	}
	if len(node.Domains) != 4 {
		t.Fatalf("host.xml has %d domains, want 4", len(node.Domains))
	}
	names := map[string]DomainInfo{}
	for _, d := range node.Domains {
		info, err := ParseDomainXML("<domain type='" + d.Type + "'>" + d.Inner + "</domain>")
		if err != nil {
			t.Fatal(err)
		}
		names[info.Name] = info
	}
	web1 := names["web1"]
	if web1.Meta.StartTime == 0 || web1.BalloonModel != "virtio" || len(web1.Interfaces) != 1 ||
		strings.HasPrefix(web1.Interfaces[0].Target, "vnet") || len(web1.Disks) != 1 || web1.Disks[0].Target != "vda" {
		t.Errorf("web1 = %+v", web1)
	}
	for _, n := range []string{"db1", "old1", "app1"} {
		if _, ok := names[n]; !ok {
			t.Errorf("host.xml lacks %s", n)
		}
	}
}
