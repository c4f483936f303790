package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The real host's PCI devices, as the system libvirtd's node device driver sees them: every
// device sysfs lists is reported under libvirt's name, with the driver and IOMMU group sysfs has.
func TestQEMUHostDevices(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	c := ta.dial(t)
	res, err := c.Call("Host.hostdevListByCaps", map[string]any{"caps": []string{"pci"}})
	if err != nil {
		t.Fatal(err)
	}
	var devs map[string]hostDevice
	if err := json.Unmarshal(res, &devs); err != nil {
		t.Fatal(err)
	}
	addrs, err := os.ReadDir("/sys/bus/pci/devices")
	if err != nil || len(addrs) == 0 {
		t.Fatalf("sysfs lists no PCI device: %v", err)
	}
	link := func(dir, name string) string {
		p, err := os.Readlink(filepath.Join(dir, name))
		if err != nil {
			return ""
		}
		return filepath.Base(p)
	}
	groups := 0
	for _, a := range addrs {
		// 0000:00:1f.2 is libvirt's pci_0000_00_1f_2.
		name := "pci_" + strings.NewReplacer(":", "_", ".", "_").Replace(a.Name())
		d, ok := devs[name]
		if !ok {
			t.Errorf("%s (%s) missing", name, a.Name())
			continue
		}
		if d.Params["capability"] != "pci" || d.Params["parent"] == nil || d.Params["address"] == nil {
			t.Errorf("%s: %v", name, d.Params)
		}
		dir := filepath.Join("/sys/bus/pci/devices", a.Name())
		if drv, got := link(dir, "driver"), d.Params["driver"]; drv != "" && got != drv {
			t.Errorf("%s driver %v, sysfs %s", name, got, drv)
		}
		if g, got := link(dir, "iommu_group"), d.Params["iommu_group"]; g != "" {
			groups++
			if got != g {
				t.Errorf("%s iommu_group %v, sysfs %s", name, got, g)
			}
		}
	}
	if len(devs) != len(addrs) {
		t.Errorf("%d pci devices reported, sysfs has %d", len(devs), len(addrs))
	}
	t.Logf("%d PCI devices, %d in an IOMMU group", len(devs), groups)
}
