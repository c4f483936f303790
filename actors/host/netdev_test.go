package host

import (
	"os"
	"path/filepath"
	"testing"
)

// The counters are the sysfs statistics VDSM reads; a device whose statistics cannot be read
// (removed meanwhile) is left out, and duplex is "unknown" where sysfs gives none.
func TestReadCounters(t *testing.T) {
	stats := netDir + "/eth0/statistics/"
	r := writeFiles(t, map[string]string{
		stats + "rx_bytes": "283116879\n", stats + "rx_errors": "1\n", stats + "rx_dropped": "2\n",
		stats + "tx_bytes": "1680599\n", stats + "tx_errors": "3\n", stats + "tx_dropped": "4\n",
		netDir + "/eth0/duplex":              "half\n",
		netDir + "/gone/statistics/rx_bytes": "1\n",
	})
	if c, ok := readCounters(r, "eth0"); !ok || c != (ifCounters{283116879, 1, 2, 1680599, 3, 4}) {
		t.Errorf("eth0: %+v %v", c, ok)
	}
	if c, ok := readCounters(r, "gone"); ok {
		t.Errorf("a device with half its statistics: %+v", c)
	}
	if d := duplex(r, "eth0"); d != "half" {
		t.Errorf("eth0 duplex %q", d)
	}
	if d := duplex(r, "gone"); d != "unknown" {
		t.Errorf("duplex without the file: %q", d)
	}
}

func TestReadLinkFixture(t *testing.T) {
	cases := map[string]linkAttrs{
		"eth0": {OperState: "up", Speed: 10000, Address: "3c:fd:fe:a1:b2:c0", MTU: 1500, Up: true, Carrier: true},
		"eth2": {OperState: "down", Address: "3c:fd:fe:a1:b2:c1", MTU: 1500, Up: true},
		"lo":   {OperState: "unknown", Address: "00:00:00:00:00:00", MTU: 65536, Up: true, Carrier: true},
	}
	for name, want := range cases {
		if got := readLink(fixture, name); got != want {
			t.Errorf("%s: %+v", name, got)
		}
	}
}

// The state is VDSM's IFF_UP && IFF_RUNNING: up or down, never unknown.
func TestReportedState(t *testing.T) {
	cases := []struct {
		l    linkAttrs
		want string
	}{
		{linkAttrs{OperState: "up", Up: true}, "up"},
		{linkAttrs{OperState: "down", Up: true}, "down"},
		{linkAttrs{OperState: "lowerlayerdown", Up: true}, "down"},
		{linkAttrs{OperState: "dormant", Up: true}, "down"},
		{linkAttrs{OperState: "unknown", Up: true, Carrier: true}, "up"}, // loopback
		{linkAttrs{OperState: "unknown", Up: true}, "up"},                // RUNNING without a carrier notion
		{linkAttrs{OperState: "unknown"}, "down"},                        // administratively down
		{linkAttrs{}, "down"},                                            // nothing in sysfs
	}
	for _, c := range cases {
		if got := reportedState(c.l); got != c.want {
			t.Errorf("%+v: %s", c.l, got)
		}
	}
}

// VDSM's statistics speeds on devices the fixture does not have: bond modes, a VLAN over a NIC,
// a veth and a VF whose kernel knows a speed, and a driver's "no link" value.
func TestStatsSpeed(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{}
	nic := func(name, speed, oper string) {
		d := netDir + "/" + name + "/"
		files[d+"device/vendor"] = "0x8086"
		files[d+"speed"], files[d+"operstate"], files[d+"flags"] = speed, oper, "0x1003"
	}
	bond := func(name, mode, slaves, active string) {
		d := netDir + "/" + name + "/bonding/"
		files[d+"mode"], files[d+"slaves"], files[d+"active_slave"] = mode, slaves, active
	}
	nic("n1", "1000", "up")
	nic("n2", "10000", "up")
	nic("n3", "25000", "down")
	nic("n4", "65535", "up")
	bond("rr", "balance-rr 0", "n1 n2 n3", "")
	bond("lacp", "802.3ad 4", "n1 n2", "")
	bond("bcast", "broadcast 3", "n1 n2", "")
	bond("ab", "active-backup 1", "n1 n2", "n2")
	bond("ab-none", "active-backup 1", "n1 n2", "")
	bond("empty", "balance-rr 0", "", "")
	files[netDir+"/n2.7/uevent"] = "DEVTYPE=vlan\n"
	files[netDir+"/n2.7/lower_n2/ifindex"] = "3"
	files[netDir+"/n2.7/speed"], files[netDir+"/n2.7/operstate"], files[netDir+"/n2.7/flags"] = "10000", "up", "0x1003"
	files[netDir+"/veth_a/speed"], files[netDir+"/veth_a/operstate"], files[netDir+"/veth_a/flags"] = "10000", "up", "0x1003"
	nic("vf0", "10000", "up")
	files[netDir+"/vf0/device/physfn/vendor"] = "0x8086"
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := fsRoot(root)
	vlans := map[string]vlanLink{"rr.5": {parent: "rr", id: 5}}
	want := map[string]int{
		"n1": 1000, "n3": 0, "n4": 0,
		"rr": 11000, "lacp": 11000, "bcast": 1000, "ab": 10000, "ab-none": 0, "empty": 0,
		"n2.7": 10000, "rr.5": 11000, "veth_a": 0, "vf0": 0,
	}
	for name, w := range want {
		if got := statsSpeed(r, name, vlans); got != w {
			t.Errorf("%s: %d, want %d", name, got, w)
		}
	}
}
