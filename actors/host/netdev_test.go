package host

import (
	"testing"
)

func TestParseNetDev(t *testing.T) {
	in := "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
		"    lo:    9579      87    0    0    0     0          0         0     9579      87    0    0    0     0       0          0\n" +
		"  eth0: 283116879   20679    1    2    0     0          0         0  1680599   16254    3    4    0     0       0          0\n" +
		"bond0.100:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
	got, err := parseNetDev([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%v", got)
	}
	if e := got["eth0"]; e != (ifCounters{283116879, 20679, 1, 2, 1680599, 16254, 3, 4}) {
		t.Errorf("eth0 %+v", e)
	}
	// Long names leave no space before the counters.
	if v := got["bond0.100"]; v != (ifCounters{1, 2, 3, 4, 9, 10, 11, 12}) {
		t.Errorf("vlan %+v", v)
	}
	if _, err := parseNetDev([]byte("eth0: 1 2 3\n")); err == nil {
		t.Error("short line accepted")
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

func TestReportedState(t *testing.T) {
	cases := []struct {
		l    linkAttrs
		want string
	}{
		{linkAttrs{OperState: "up"}, "up"},
		{linkAttrs{OperState: "down", Up: true}, "down"},
		{linkAttrs{OperState: "lowerlayerdown", Up: true}, "down"},
		{linkAttrs{OperState: "dormant"}, "down"},
		{linkAttrs{OperState: "unknown", Up: true, Carrier: true}, "up"}, // loopback
		{linkAttrs{OperState: "unknown"}, "down"},                        // administratively down
		{linkAttrs{OperState: "unknown", Up: true}, "unknown"},
		{linkAttrs{}, "unknown"}, // nothing in sysfs
	}
	for _, c := range cases {
		if got := reportedState(c.l); got != c.want {
			t.Errorf("%+v: %s", c.l, got)
		}
	}
}
