package host

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// nodedevFixture reads testdata/nodedev: real-shaped nodedev XML of a server with a SATA
// controller, a PCIe root port, an SR-IOV NIC (PF and one VF), a vGPU, a NIC, a USB stick and a
// SATA disk (scsi, storage and scsi_generic nodes).
func nodedevFixture(t *testing.T) []virt.NodeDevice {
	t.Helper()
	files, err := filepath.Glob("../../testdata/nodedev/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no nodedev fixtures: %v", err)
	}
	var out []virt.NodeDevice
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		_, rest, _ := strings.Cut(s, "<name>")
		name, _, _ := strings.Cut(rest, "</name>")
		out = append(out, virt.NodeDevice{Name: name, XML: s})
	}
	return out
}

func writeSys(t *testing.T, root, p string, b []byte) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pciConfig is a config space whose header type byte (0x0e) is header.
func pciConfig(header byte) []byte {
	b := make([]byte, 64)
	b[0x0e] = header
	return b
}

func hostdevSysfs(t *testing.T) fsRoot {
	root := t.TempDir()
	dev := "/sys/bus/pci/devices/"
	writeSys(t, root, dev+"0000:00:17.0/config", pciConfig(0x80)) // multifunction endpoint
	writeSys(t, root, dev+"0000:00:1c.0/config", pciConfig(0x01)) // bridge
	writeSys(t, root, dev+"0000:3b:00.0/config", pciConfig(0x80))
	writeSys(t, root, dev+"0000:3b:00.0/sriov_totalvfs", []byte("63\n"))
	writeSys(t, root, dev+"0000:3b:10.0/config", pciConfig(0x00))
	// 0000:af:00.0 has no config space here: unreadable counts as not assignable.
	writeSys(t, root, "/sys/devices/pci0000:ae/0000:ae:00.0/0000:af:00.0/mdev_supported_types/nvidia-222/description",
		[]byte("num_heads=4, frl_config=45, framebuffer=1024M, max_resolution=5120x2880, max_instance=16\n"))
	if err := os.MkdirAll(filepath.Join(root, "/sys/class/scsi_generic/sg0/device/block/sda"), 0o755); err != nil {
		t.Fatal(err)
	}
	return fsRoot(root)
}

func TestHostDevices(t *testing.T) {
	got, err := HostDevices(hostdevSysfs(t), nodedevFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		"computer": {"capability": "system", "is_assignable": "true", "product": "PowerEdge R640"},
		"pci_0000_00_17_0": {
			"capability": "pci", "is_assignable": "true", "parent": "computer", "driver": "ahci",
			"product": "C620 Series Chipset Family SATA Controller [AHCI mode]", "product_id": "0xa182",
			"vendor": "Intel Corporation", "vendor_id": "0x8086",
			"address":     map[string]string{"domain": "0", "bus": "0", "slot": "23", "function": "0"},
			"iommu_group": "21", "numa_node": "0",
		},
		"pci_0000_00_1c_0": {
			"capability": "pci", "is_assignable": "false", "parent": "computer", "driver": "pcieport",
			"product": "C620 Series Chipset Family PCI Express Root Port #1", "product_id": "0xa190",
			"vendor": "Intel Corporation", "vendor_id": "0x8086",
			"address":     map[string]string{"domain": "0", "bus": "0", "slot": "28", "function": "0"},
			"iommu_group": "22",
		},
		"pci_0000_3b_00_0": {
			"capability": "pci", "is_assignable": "true", "parent": "pci_0000_3a_00_0", "driver": "ixgbe",
			"product": "82599ES 10-Gigabit SFI/SFP+ Network Connection", "product_id": "0x10fb",
			"vendor": "Intel Corporation", "vendor_id": "0x8086",
			"address":     map[string]string{"domain": "0", "bus": "59", "slot": "0", "function": "0"},
			"iommu_group": "40", "numa_node": "1", "totalvfs": 63,
		},
		"pci_0000_3b_10_0": {
			"capability": "pci", "is_assignable": "true", "parent": "pci_0000_3a_00_0", "driver": "ixgbevf",
			"product": "82599 Ethernet Controller Virtual Function", "product_id": "0x10ed",
			"vendor": "Intel Corporation", "vendor_id": "0x8086",
			"address":     map[string]string{"domain": "0", "bus": "59", "slot": "16", "function": "0"},
			"iommu_group": "80", "numa_node": "1", "physfn": "pci_0000_3b_00_0",
		},
		"pci_0000_af_00_0": {
			"capability": "pci", "is_assignable": "false", "parent": "pci_0000_ae_00_0", "driver": "nvidia",
			"product": "TU104GL [Tesla T4]", "product_id": "0x1eb8",
			"vendor": "NVIDIA Corporation", "vendor_id": "0x10de",
			"address":     map[string]string{"domain": "0", "bus": "175", "slot": "0", "function": "0"},
			"iommu_group": "120", "numa_node": "1",
			"mdev": map[string]any{
				"nvidia-222": map[string]string{"name": "GRID T4-1B", "available_instances": "16",
					"description": "num_heads=4, frl_config=45, framebuffer=1024M, max_resolution=5120x2880, max_instance=16"},
				"nvidia-230": map[string]string{"name": "GRID T4-16Q", "available_instances": "1"},
			},
		},
		"net_eno1_e4_43_4b_1a_2b_3c": {
			"capability": "net", "is_assignable": "true", "parent": "pci_0000_00_1f_6", "interface": "eno1",
		},
		"usb_1_5": {
			"capability": "usb_device", "is_assignable": "true", "parent": "usb_usb1", "driver": "usb",
			"product": "SanDisk Cruzer Blade", "product_id": "0x2013", "vendor": "SanDisk Corp.", "vendor_id": "0x0781",
			"address": map[string]string{"bus": "1", "device": "3"},
		},
		"scsi_0_0_0_0": {
			"capability": "scsi", "is_assignable": "true", "parent": "scsi_target0_0_0", "driver": "sd",
			"address": map[string]string{"host": "0", "bus": "0", "target": "0", "lun": "0"},
			"vendor":  "ATA", "product": "ST1000NX0443", "udev_path": "/dev/sg0", "block_path": "/dev/sda",
		},
		"block_sda_ST1000NX0443_W470QK7K": {
			"capability": "storage", "is_assignable": "true", "parent": "scsi_0_0_0_0",
			"vendor": "ATA", "product": "ST1000NX0443",
		},
		"scsi_generic_sg0": {
			"capability": "scsi_generic", "is_assignable": "true", "parent": "scsi_0_0_0_0", "udev_path": "/dev/sg0",
		},
	}
	if len(got) != len(want) {
		t.Errorf("got %d devices, want %d", len(got), len(want))
	}
	for name, w := range want {
		d, ok := got[name].(map[string]any)
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if p := d["params"]; !reflect.DeepEqual(p, map[string]any(w)) {
			gj, _ := json.Marshal(p)
			wj, _ := json.Marshal(w)
			t.Errorf("%s:\n got %s\nwant %s", name, gj, wj)
		}
	}
}

// A listing filtered to scsi lacks the storage and scsi_generic children, so the SCSI device
// carries no names and no udev path, as in VDSM.
func TestHostDevicesSCSIWithoutChildren(t *testing.T) {
	var scsi []virt.NodeDevice
	for _, d := range nodedevFixture(t) {
		if d.Name == "scsi_0_0_0_0" {
			scsi = append(scsi, d)
		}
	}
	got, err := HostDevices(hostdevSysfs(t), scsi)
	if err != nil {
		t.Fatal(err)
	}
	p := got["scsi_0_0_0_0"].(map[string]any)["params"].(map[string]any)
	for _, k := range []string{"vendor", "product", "udev_path", "block_path"} {
		if v, ok := p[k]; ok {
			t.Errorf("%s = %v, want absent", k, v)
		}
	}
}

func TestHostDevicesBadXML(t *testing.T) {
	if _, err := HostDevices(fsRoot(t.TempDir()), []virt.NodeDevice{{Name: "x", XML: "<device><name>x</name>"}}); err == nil {
		t.Error("truncated XML accepted")
	}
}

// A libvirt that cannot list (here a closed connection) fails the verb as VDSM's uncaught
// exception does: -32603 with the reason, never an empty list that would tell the engine the
// host's devices are gone.
func TestListHostDevicesLibvirtError(t *testing.T) {
	lv, err := virt.Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	lv.Close()
	for name, conn := range map[string]*virt.Conn{"closed": lv, "none": nil} {
		sys := actor.NewActorSystem()
		pid := sys.Root.Spawn(actor.PropsFromProducer(New(Config{Root: string(fixture), Libvirt: conn, Start: time.Now(),
			SampleInterval: time.Hour, Log: zerolog.New(zerolog.NewTestWriter(t))})))
		ans := make(answers, 1)
		codec := reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}
		sys.Root.Send(pid, &ListHostDevices{Reply: reply.New(ans, codec, nil, "", json.RawMessage("1"))})
		var b []byte
		select {
		case b = <-ans:
		case <-time.After(time.Minute): // a hang detector, not a synchronisation
			t.Fatalf("%s: no answer", name)
		}
		_ = sys.Root.StopFuture(pid).Wait()
		var resp struct {
			Error *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &resp); err != nil || resp.Error == nil || resp.Error.Code != -32603 {
			t.Errorf("%s: %s", name, b)
		}
	}
}

// Every device of the fixture, as the wire carries it, against VDSM's HostDeviceParams.
func TestHostDevicesSchema(t *testing.T) {
	got, err := HostDevices(hostdevSysfs(t), nodedevFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range toJSON(t, got) {
		dev, _ := d.(map[string]any)
		if len(dev) != 1 {
			t.Errorf("%s: %v, want only params", name, dev)
		}
		checkType(t, name, dev["params"], "HostDeviceParams")
	}
}
