package host

import (
	"reflect"
	"sort"
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

func TestReadNetCapsFixture(t *testing.T) {
	nc := readNetCaps(fixture, hostAddrs(fixture), nil)

	keys := func(m any) []string {
		var out []string
		for _, k := range reflect.ValueOf(m).MapKeys() {
			out = append(out, k.String())
		}
		sort.Strings(out)
		return out
	}
	// lo is not a NIC, wlp2s0 is hidden as VDSM hides wireless NICs.
	if got := keys(nc.NICs); !reflect.DeepEqual(got, []string{"eth0", "eth1", "eth2"}) {
		t.Errorf("nics %v", got)
	}
	if got := keys(nc.Bridges); !reflect.DeepEqual(got, []string{"ovirtmgmt"}) {
		t.Errorf("bridges %v", got)
	}
	if got := keys(nc.Bondings); !reflect.DeepEqual(got, []string{"bond0"}) {
		t.Errorf("bonds %v", got)
	}
	if got := keys(nc.VLANs); !reflect.DeepEqual(got, []string{"bond0.100"}) {
		t.Errorf("vlans %v", got)
	}
	if len(nc.Networks) != 0 || nc.Networks == nil {
		t.Errorf("networks %v", nc.Networks)
	}

	noAddr := vdsm.IPConfig{IPv4Addrs: []string{}, IPv6Addrs: []string{}, IPv6Gateway: "::"}
	wantEth1 := vdsm.NetInfoNIC{IPConfig: noAddr, HWAddr: "3c:fd:fe:a1:b2:c1", PermHWAddr: "3c:fd:fe:a1:b2:c1", Speed: 10000, MTU: "1500"}
	if !reflect.DeepEqual(nc.NICs["eth1"], wantEth1) {
		t.Errorf("eth1 %+v", nc.NICs["eth1"])
	}
	if e2 := nc.NICs["eth2"]; e2.Speed != 0 || e2.PermHWAddr != "3c:fd:fe:a1:b2:c2" {
		t.Errorf("eth2 %+v", e2)
	}

	br := nc.Bridges["ovirtmgmt"]
	if !reflect.DeepEqual(br.Ports, []string{"eth0"}) || br.STP != "off" || br.MTU != "1500" {
		t.Errorf("bridge %+v", br)
	}
	if br.Gateway != "192.168.1.1" || !br.IPv4DefaultRoute || br.IPv6Gateway != "fe80::1" || !br.IPv6Autoconf {
		t.Errorf("bridge routes %+v", br.IPConfig)
	}
	if br.Opts["forward_delay"] != "1500" || br.Opts["bridge_id"] != "8000.3cfdfea1b2c0" || len(br.Opts) != 7 {
		t.Errorf("bridge opts %v", br.Opts)
	}

	wantBond := vdsm.NetInfoBond{
		IPConfig: noAddr, HWAddr: "3c:fd:fe:a1:b2:c1", MTU: "1500",
		Slaves: []string{"eth1", "eth2"}, ActiveSlave: "eth1",
		Opts: map[string]string{"mode": "1", "miimon": "100"}, Switch: "legacy",
	}
	if !reflect.DeepEqual(nc.Bondings["bond0"], wantBond) {
		t.Errorf("bond\n got %+v\nwant %+v", nc.Bondings["bond0"], wantBond)
	}

	wantVLAN := vdsm.NetInfoVLAN{IPConfig: noAddr, Iface: "bond0", VLANID: 100, MTU: "1500"}
	if !reflect.DeepEqual(nc.VLANs["bond0.100"], wantVLAN) {
		t.Errorf("vlan %+v", nc.VLANs["bond0.100"])
	}

	if !reflect.DeepEqual(nc.Nameservers, []string{"192.168.1.53", "2001:db8::53"}) || !nc.SupportsIPv6 {
		t.Errorf("dns %v ipv6 %v", nc.Nameservers, nc.SupportsIPv6)
	}
}

// Without /proc/net/vlan (8021q not loaded yet), a VLAN is still recognised from sysfs.
func TestVLANFromSysfs(t *testing.T) {
	r := writeFiles(t, map[string]string{
		"sys/class/net/eth0.42/uevent":           "DEVTYPE=vlan\nINTERFACE=eth0.42\n",
		"sys/class/net/eth0.42/mtu":              "9000\n",
		"sys/class/net/eth0.42/lower_eth0/mtu":   "9000\n",
		"sys/class/net/dummy0/mtu":               "1500\n", // virtual, not reported
		"sys/class/net/usb0/device/vendor":       "0x0bda\n",
		"sys/class/net/enp3s0/device/vendor":     "0x8086\n",
		"sys/class/net/enp3s0/bonding_slave/.ok": "",
	})
	nc := readNetCaps(r, hostAddrs(r), nil)
	if v, ok := nc.VLANs["eth0.42"]; !ok || v.Iface != "eth0" || v.VLANID != 42 || v.MTU != "9000" {
		t.Errorf("vlans %+v", nc.VLANs)
	}
	if _, ok := nc.NICs["enp3s0"]; !ok || len(nc.NICs) != 1 {
		t.Errorf("nics %+v", nc.NICs)
	}
	if len(nc.Nameservers) != 0 || nc.Nameservers == nil || nc.SupportsIPv6 {
		t.Errorf("dns %#v ipv6 %v", nc.Nameservers, nc.SupportsIPv6)
	}
}

func TestBondOptsNumeric(t *testing.T) {
	// VDSM reports the options that differ from the mode's defaults: 802.3ad monitors at 100 ms
	// by itself, so miimon=100 is no option there and miimon=0 is one.
	r := writeFiles(t, map[string]string{
		"b/mode":             "802.3ad 4\n",
		"b/miimon":           "0\n",
		"b/xmit_hash_policy": "layer3+4 1\n",
		"b/lacp_rate":        "fast 1\n",
		"b/ad_select":        "stable 0\n",
		"b/primary":          "\n",
		"c/mode":             "active-backup 1\n",
		"c/miimon":           "100\n",
		"c/updelay":          "0\n",
		"c/arp_ip_target":    "10.0.0.1 10.0.0.2\n",
		"c/lacp_rate":        "slow 0\n",
		"d/mode":             "802.3ad 4\n",
		"d/miimon":           "100\n",
		"d/xmit_hash_policy": "layer2+3 2\n",
	})
	for dir, want := range map[string]map[string]string{
		"/b/": {"mode": "4", "miimon": "0", "xmit_hash_policy": "1", "lacp_rate": "1"},
		"/c/": {"mode": "1", "miimon": "100", "arp_ip_target": "10.0.0.1,10.0.0.2"},
		"/d/": {"mode": "4", "xmit_hash_policy": "2"},
	} {
		if got := bondOpts(r, dir); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", dir, got, want)
		}
	}
}
