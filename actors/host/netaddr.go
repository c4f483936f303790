package host

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"syscall"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// routes holds the default gateways of the main routing table, by device.
type routes struct {
	v4 map[string]net.IP
	v6 map[string]net.IP
}

// parseRouteV4 reads /proc/net/route, whose addresses are 32-bit hex in host (little-endian)
// byte order.
func parseRouteV4(b []byte) map[string]net.IP {
	out := map[string]net.IP{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[0] == "Iface" {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		gw, err2 := strconv.ParseUint(f[2], 16, 32)
		flags, err3 := strconv.ParseUint(f[3], 16, 32)
		mask, err4 := strconv.ParseUint(f[7], 16, 32)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			continue
		}
		const rtfUp, rtfGateway = 0x1, 0x2
		if dst != 0 || mask != 0 || flags&rtfUp == 0 || flags&rtfGateway == 0 {
			continue
		}
		if _, seen := out[f[0]]; seen {
			continue // the first, lowest-metric default wins, as the kernel picks it
		}
		ip := make(net.IP, 4)
		binary.LittleEndian.PutUint32(ip, uint32(gw))
		out[f[0]] = ip
	}
	return out
}

// parseRouteV6 reads /proc/net/ipv6_route: destination, prefix length, source, source length,
// next hop, metric, refcount, use, flags, device.
func parseRouteV6(b []byte) map[string]net.IP {
	out := map[string]net.IP{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[1] != "00" {
			continue
		}
		flags, err := strconv.ParseUint(f[8], 16, 32)
		const rtfGateway, rtfReject = 0x2, 0x200
		if err != nil || flags&rtfGateway == 0 || flags&rtfReject != 0 {
			continue
		}
		gw, err := hex.DecodeString(f[4])
		if err != nil || len(gw) != 16 {
			continue
		}
		if _, seen := out[f[9]]; !seen {
			out[f[9]] = net.IP(gw)
		}
	}
	return out
}

func readRoutes(r fsRoot) routes {
	rt := routes{v4: map[string]net.IP{}, v6: map[string]net.IP{}}
	if b, err := r.read("/proc/net/route"); err == nil {
		rt.v4 = parseRouteV4(b)
	}
	if b, err := r.read("/proc/net/ipv6_route"); err == nil {
		rt.v6 = parseRouteV6(b)
	}
	return rt
}

// ifAddr is one address of an interface, with whether something leased it (a finite valid
// lifetime means a DHCP client or router advertisement put it there; static ones live forever).
type ifAddr struct {
	net.IPNet
	Dynamic bool
}

// addrSource lists an interface's addresses. On the real root it asks the kernel; on a fixture
// root there is no kernel to ask and every device is unaddressed.
type addrSource func(name string) []ifAddr

func hostAddrs(r fsRoot) addrSource {
	if !r.isHost() {
		return func(string) []ifAddr { return nil }
	}
	dynamic := leasedAddrs()
	return func(name string) []ifAddr {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return nil
		}
		as, err := ifi.Addrs()
		if err != nil {
			return nil
		}
		var out []ifAddr
		for _, a := range as {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			out = append(out, ifAddr{IPNet: *ipn, Dynamic: dynamic[leaseKey{ifi.Index, ipn.IP.String()}]})
		}
		return out
	}
}

type leaseKey struct {
	index int
	ip    string
}

// leasedAddrs asks the kernel (rtnetlink) which addresses have a finite lifetime; Go's net
// package does not expose lifetimes. Failure only means every address reads as static.
func leasedAddrs() map[leaseKey]bool {
	out := map[leaseKey]bool{}
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETADDR, syscall.AF_UNSPEC)
	if err != nil {
		return out
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return out
	}
	const ifaCacheinfo = 6 // IFA_CACHEINFO: preferred, valid, cstamp, tstamp (u32 each)
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != syscall.RTM_NEWADDR || len(m.Data) < syscall.SizeofIfAddrmsg {
			continue
		}
		index := int(binary.NativeEndian.Uint32(m.Data[4:8]))
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			continue
		}
		var ip net.IP
		valid := uint32(0xffffffff)
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.IFA_LOCAL:
				ip = net.IP(a.Value)
			case syscall.IFA_ADDRESS:
				if ip == nil {
					ip = net.IP(a.Value)
				}
			case ifaCacheinfo:
				if len(a.Value) >= 8 {
					valid = binary.NativeEndian.Uint32(a.Value[4:8])
				}
			}
		}
		if ip != nil && valid != 0xffffffff {
			out[leaseKey{index, ip.String()}] = true
		}
	}
	return out
}

// ipConfig fills a device's address block the way VDSM reports it: the primary IPv4 address
// is the one on the gateway's subnet (else the first), link-local IPv6 addresses are left out,
// and an unset IPv6 gateway reads "::".
func ipConfig(r fsRoot, name string, addrs addrSource, rt routes) vdsm.IPConfig {
	c := vdsm.IPConfig{IPv4Addrs: []string{}, IPv6Addrs: []string{}, IPv6Gateway: "::"}
	gw4 := rt.v4[name]
	if gw4 != nil {
		c.Gateway = gw4.String()
		c.IPv4DefaultRoute = true
	}
	if gw6 := rt.v6[name]; gw6 != nil {
		c.IPv6Gateway = gw6.String()
	}
	var primary *ifAddr
	for _, a := range addrs(name) {
		ones, _ := a.Mask.Size()
		cidr := a.IP.String() + "/" + strconv.Itoa(ones)
		if ip4 := a.IP.To4(); ip4 != nil {
			c.IPv4Addrs = append(c.IPv4Addrs, cidr)
			if primary == nil || (gw4 != nil && a.Contains(gw4) && !primary.Contains(gw4)) {
				primary = &a
			}
			c.DHCPv4 = c.DHCPv4 || a.Dynamic
			continue
		}
		if a.IP.IsLinkLocalUnicast() {
			continue
		}
		c.IPv6Addrs = append(c.IPv6Addrs, cidr)
		// A DHCPv6 lease is a single address; router-advertised (SLAAC) ones are /64s.
		c.DHCPv6 = c.DHCPv6 || (a.Dynamic && ones == 128)
	}
	if primary != nil {
		c.Addr = primary.IP.To4().String()
		m := primary.Mask
		if len(m) == net.IPv6len {
			m = m[12:]
		}
		c.Netmask = net.IP(m).String()
	}
	c.IPv6Autoconf = ipv6LocalAuto(r, name)
	return c
}

// ipv6LocalAuto is VDSM's sysctl.is_ipv6_local_auto: IPv6 on, and autoconf, accept_ra and
// accept_redirects all set; a missing file reads as off. The network actor turns autoconf and
// accept_ra off on a network's device, so a network with a static or no IPv6 address does not
// read as autoconfigured, which the engine would take for its IPv6 boot protocol.
func ipv6LocalAuto(r fsRoot, name string) bool {
	dir := "/proc/sys/net/ipv6/conf/" + name + "/"
	for _, k := range []string{"autoconf", "accept_ra", "accept_redirects"} {
		if v, ok := r.int64(dir + k); !ok || v == 0 {
			return false
		}
	}
	disabled, ok := r.int64(dir + "disable_ipv6")
	return ok && disabled == 0
}
