package host

import (
	"net"
	"reflect"
	"testing"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

func TestParseRoutes(t *testing.T) {
	rt := readRoutes(fixture)
	if len(rt.v4) != 1 || !rt.v4["ovirtmgmt"].Equal(net.ParseIP("192.168.1.1")) {
		t.Errorf("v4 %v", rt.v4)
	}
	// The kernel's unreachable default on lo is a reject route, not a gateway.
	if len(rt.v6) != 1 || !rt.v6["ovirtmgmt"].Equal(net.ParseIP("fe80::1")) {
		t.Errorf("v6 %v", rt.v6)
	}

	v4 := parseRouteV4([]byte("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
		"eth0\t00000000\t020200C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n" + // a second default: the first wins
		"eth1\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n" + // a device route, no gateway
		"eth2\t000200C0\t010200C0\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")) // not a default route
	if len(v4) != 1 || v4["eth0"].String() != "192.0.2.1" {
		t.Errorf("%v", v4)
	}
}

func TestIPConfig(t *testing.T) {
	rt := routes{
		v4: map[string]net.IP{"br0": net.ParseIP("10.0.1.1").To4()},
		v6: map[string]net.IP{"br0": net.ParseIP("2001:db8::1")},
	}
	addrs := func(name string) []ifAddr {
		if name != "br0" {
			return nil
		}
		mk := func(cidr string, dyn bool) ifAddr {
			ip, n, _ := net.ParseCIDR(cidr)
			n.IP = ip
			return ifAddr{IPNet: *n, Dynamic: dyn}
		}
		return []ifAddr{
			mk("192.168.7.5/24", false),
			mk("10.0.1.20/23", true), // on the gateway's subnet: the primary address
			mk("fe80::1234/64", false),
			mk("2001:db8::20/64", true),
			mk("2001:db8::99/128", true),
		}
	}
	got := ipConfig(fixture, "br0", addrs, rt)
	want := vdsm.IPConfig{
		Addr: "10.0.1.20", Netmask: "255.255.254.0", Gateway: "10.0.1.1",
		IPv4Addrs: []string{"192.168.7.5/24", "10.0.1.20/23"},
		IPv6Addrs: []string{"2001:db8::20/64", "2001:db8::99/128"}, IPv6Gateway: "2001:db8::1",
		IPv4DefaultRoute: true, DHCPv4: true, DHCPv6: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}

	bare := ipConfig(fixture, "eth1", addrs, rt)
	if !reflect.DeepEqual(bare, vdsm.IPConfig{IPv4Addrs: []string{}, IPv6Addrs: []string{}, IPv6Gateway: "::"}) {
		t.Errorf("bare %+v", bare)
	}
	if !ipConfig(fixture, "ovirtmgmt", addrs, rt).IPv6Autoconf {
		t.Error("ovirtmgmt has autoconf, accept_ra and accept_redirects on in the fixture")
	}
	// As VDSM reads them: autoconf alone is not enough, and IPv6 must be on.
	for _, dev := range []string{"bond0", "eth0"} {
		if ipConfig(fixture, dev, addrs, rt).IPv6Autoconf {
			t.Errorf("%s: autoconf with accept_ra off or IPv6 disabled reads as ipv6autoconf", dev)
		}
	}
}

// On the real root, addresses come from the kernel; loopback always has 127.0.0.1/8.
func TestHostAddrsReal(t *testing.T) {
	var found bool
	for _, a := range hostAddrs("/")("lo") {
		if a.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			found = true
			if a.Dynamic {
				t.Error("127.0.0.1 reported as leased")
			}
		}
	}
	if !found {
		t.Error("127.0.0.1 not found on lo")
	}
	if got := hostAddrs(fixture)("lo"); got != nil {
		t.Errorf("fixture root asked the kernel: %v", got)
	}
}
