package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// hostdevRoot is a host tree whose sysfs knows the embedded host's SR-IOV NIC: the PF an
// endpoint with 63 VFs, the VF an endpoint. The other PCI device has no config space there.
func hostdevRoot(t *testing.T) string {
	root := t.TempDir()
	for dev, files := range map[string]map[string][]byte{
		"0000:3b:00.0": {"config": pciHeader(0x80), "sriov_totalvfs": []byte("63\n")},
		"0000:3b:10.0": {"config": pciHeader(0x00)},
	} {
		dir := filepath.Join(root, "sys/bus/pci/devices", dev)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func pciHeader(h byte) []byte {
	b := make([]byte, 64)
	b[0x0e] = h
	return b
}

type hostDevice struct {
	Params map[string]any `json:"params"`
}

// The engine sends Host.hostdevListByCaps without params (JsonRpcVdsServer.hostDevListByCaps)
// and reads {name: {params: {...}}} in VdsBrokerObjectsBuilder.buildHostDevices: capability
// always, parent for every device but computer, the rest when present, all strings but totalvfs.
func TestHostdevListByCaps(t *testing.T) {
	if os.Getenv("HOSTAGENT_TEST_LIBVIRT_URI") != "" {
		t.Skip("the embedded host's node devices only")
	}
	ta := startAgent(t, func(c *agentConfig) { c.Root = hostdevRoot(t) })
	c := ta.dial(t)
	list := func(params any) map[string]hostDevice {
		t.Helper()
		res, err := c.Call("Host.hostdevListByCaps", params)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]hostDevice
		if err := json.Unmarshal(res, &out); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		return out
	}
	all := list(map[string]any{})
	wantNames := []string{"computer", "net_eno1_e4_43_4b_1a_2b_3c", "pci_0000_00_17_0", "pci_0000_3b_00_0", "pci_0000_3b_10_0", "usb_1_5"}
	if got := slices.Sorted(maps.Keys(all)); !slices.Equal(got, wantNames) {
		t.Fatalf("devices %v, want %v", got, wantNames)
	}
	for name, want := range map[string]map[string]any{
		"computer": {"capability": "system", "is_assignable": "true", "product": "PowerEdge R640"},
		"pci_0000_3b_00_0": {
			"capability": "pci", "is_assignable": "true", "parent": "computer",
			"product": "82599ES 10-Gigabit SFI/SFP+ Network Connection", "product_id": "0x10fb",
			"vendor": "Intel Corporation", "vendor_id": "0x8086",
			"address":     map[string]any{"domain": "0", "bus": "59", "slot": "0", "function": "0"},
			"iommu_group": "40", "numa_node": "1", "totalvfs": float64(63),
		},
		"pci_0000_3b_10_0": {
			"capability": "pci", "is_assignable": "true", "parent": "computer",
			"product": "82599 Ethernet Controller Virtual Function", "product_id": "0x10ed",
			"vendor": "Intel Corporation", "vendor_id": "0x8086",
			"address":     map[string]any{"domain": "0", "bus": "59", "slot": "16", "function": "0"},
			"iommu_group": "80", "numa_node": "1", "physfn": "pci_0000_3b_00_0",
		},
		"net_eno1_e4_43_4b_1a_2b_3c": {"capability": "net", "is_assignable": "true", "parent": "computer", "interface": "eno1"},
		"usb_1_5": {
			"capability": "usb_device", "is_assignable": "true", "parent": "computer",
			"product": "SanDisk Cruzer Blade", "product_id": "0x2013", "vendor": "SanDisk Corp.", "vendor_id": "0x0781",
			"address": map[string]any{"bus": "1", "device": "3"},
		},
	} {
		if got := all[name].Params; !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
	// No config space for it under this root: VDSM's header read fails, so not assignable.
	if a := all["pci_0000_00_17_0"].Params["is_assignable"]; a != "false" {
		t.Errorf("pci_0000_00_17_0 is_assignable %v", a)
	}

	for _, tc := range []struct {
		caps []string
		want []string
	}{
		{[]string{"pci"}, []string{"pci_0000_00_17_0", "pci_0000_3b_00_0", "pci_0000_3b_10_0"}},
		{[]string{"net", "usb_device"}, []string{"net_eno1_e4_43_4b_1a_2b_3c", "usb_1_5"}},
		// hostdev.py maps a capability it has no libvirt flag for to "system".
		{[]string{"mdev"}, []string{"computer"}},
		{[]string{}, wantNames},
	} {
		got := slices.Sorted(maps.Keys(list(map[string]any{"caps": tc.caps})))
		if !slices.Equal(got, tc.want) {
			t.Errorf("caps %v: %v, want %v", tc.caps, got, tc.want)
		}
	}
	if e := rpcError(t, c, "Host.hostdevListByCaps", map[string]any{"caps": "pci"}); e.Code != -32602 {
		t.Errorf("caps not a list: %+v", e)
	}
}
