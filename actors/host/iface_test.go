package host

import (
	"net"
	"testing"
)

func TestIfaceForIP(t *testing.T) {
	lo := ""
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 {
			lo = i.Name
		}
	}
	if lo == "" {
		t.Skip("no loopback interface")
	}
	cases := []struct {
		ip   net.IP
		want string
	}{
		{net.ParseIP("127.0.0.1"), lo},
		{net.ParseIP("::ffff:127.0.0.1"), lo},
		{net.ParseIP("127.0.0.2"), lo}, // all of 127/8 is delivered by loopback
		{net.ParseIP("::1"), lo},
		{net.ParseIP("192.0.2.222"), ""}, // TEST-NET-1: nobody's
		{nil, ""},
	}
	for _, c := range cases {
		if got := IfaceForIP(c.ip); got != c.want {
			t.Errorf("%v: %q, want %q", c.ip, got, c.want)
		}
	}

	// Every address a single interface holds maps back to that interface.
	owners := map[string][]string{}
	for _, i := range ifs {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				owners[ipn.IP.String()] = append(owners[ipn.IP.String()], i.Name)
			}
		}
	}
	for ip, names := range owners {
		if len(names) == 1 {
			if got := IfaceForIP(net.ParseIP(ip)); got != names[0] {
				t.Errorf("%s: %q, want %q", ip, got, names[0])
			}
		}
	}
}
