package host

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// The running configuration's networks are reported with what the kernel has on their devices;
// a network whose device is gone is not reported.
func TestApplyNetworkReport(t *testing.T) {
	nc := readNetCaps(fixture, hostAddrs(fixture), nil)
	c := vdsm.HostCapabilities{Networks: nc.Networks, Bridges: nc.Bridges, NICs: nc.NICs, VLANs: nc.VLANs, Bondings: nc.Bondings, NetConfigDirty: "False"}
	ApplyNetworkReport(&c, &NetworkReport{Dirty: true, Networks: map[string]ConfiguredNetwork{
		"ovirtmgmt": {Bridged: true, Device: "ovirtmgmt", MTU: 1500},
		"vlan100":   {Bridged: false, Device: "bond0.100", MTU: 1500},
		"gone":      {Bridged: true, Device: "gone", MTU: 1500},
	}})
	if c.NetConfigDirty != "True" {
		t.Errorf("netConfigDirty = %q", c.NetConfigDirty)
	}
	br := nc.Bridges["ovirtmgmt"]
	mgmt, ok := c.Networks["ovirtmgmt"]
	if !ok || !mgmt.Bridged || mgmt.Iface != "ovirtmgmt" || !reflect.DeepEqual(mgmt.IPConfig, br.IPConfig) ||
		!mgmt.IPv4DefaultRoute || !reflect.DeepEqual(mgmt.Ports, br.Ports) || mgmt.STP != br.STP || mgmt.Switch != "legacy" {
		t.Errorf("ovirtmgmt = %+v, want the bridge's own config %+v", mgmt, br)
	}
	if mgmt.Southbound == nil || *mgmt.Southbound != "eth0" || mgmt.VLANID != nil {
		t.Errorf("ovirtmgmt southbound %v vlanid %v, want its one NIC port eth0 and no VLAN", mgmt.Southbound, mgmt.VLANID)
	}
	v, ok := c.Networks["vlan100"]
	if !ok || v.Bridged || v.Interface != "bond0.100" || v.MTU != nc.VLANs["bond0.100"].MTU {
		t.Errorf("vlan100 = %+v", v)
	}
	if v.Southbound == nil || *v.Southbound != "bond0.100" || v.VLANID == nil || *v.VLANID != 100 {
		t.Errorf("vlan100 southbound %v vlanid %v, want bond0.100 and 100", v.Southbound, v.VLANID)
	}
	if _, ok := c.Networks["gone"]; ok {
		t.Error("a network whose bridge is gone is reported")
	}
}

// veth_* and dummy_* devices are NICs (VDSM's fake_nics); other virtual devices are not.
func TestFakeNICsReported(t *testing.T) {
	root := copyTree(t, string(fixture))
	for _, name := range []string{"veth_nic0", "dummy_1", "vethabc"} {
		dir := filepath.Join(root, "sys/class/net", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, v := range map[string]string{"mtu": "1500\n", "address": "02:00:00:00:00:01\n", "operstate": "up\n"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := fsRoot(root)
	nc := readNetCaps(r, hostAddrs(r), nil)
	for name, want := range map[string]bool{"veth_nic0": true, "dummy_1": true, "vethabc": false} {
		if _, got := nc.NICs[name]; got != want {
			t.Errorf("%s reported as a NIC: %v, want %v", name, got, want)
		}
	}
}

func TestNetworkCapabilities(t *testing.T) {
	nc := buildNetworkCapabilities(fixture, nil, &NetworkReport{Networks: map[string]ConfiguredNetwork{
		"ovirtmgmt": {Bridged: true, Device: "ovirtmgmt", MTU: 1500},
	}})
	if _, ok := nc.Networks["ovirtmgmt"]; !ok || nc.NetConfigDirty != "False" || len(nc.NICs) != 3 || len(nc.Bridges) != 1 {
		t.Errorf("network caps = %+v", nc)
	}
}
