package hostnet

import (
	"errors"
	"fmt"
	"net"
	"path"
	"sort"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// DefaultFakeNICs is VDSM's fake_nics default: virtual devices reported and used as NICs, so
// test hosts and nested set-ups can carry networks.
var DefaultFakeNICs = []string{"dummy_*", "veth_*"}

// Handle changes and reads the links of one network namespace through netlink. It is the only
// code in the agent that talks netlink; everything it does is one Step or one Read.
type Handle struct {
	ns       netns.NsHandle // for the /proc/sys/net settings netlink cannot change
	own      bool           // ns is the agent's own namespace
	nl       *netlink.Handle
	raw      map[int]*nl.SocketHandle // for the bridge attributes the library does not carry
	fakeNICs []string
}

// Open is a handle on the agent's own network namespace.
func Open(fakeNICs []string) (*Handle, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("current network namespace: %w", err)
	}
	h, err := openAt(ns, fakeNICs)
	if h != nil {
		h.own = true
	}
	return h, err
}

// OpenNamespace is a handle on the named namespace (ip netns add NAME). Tests use it so that
// nothing they do reaches the machine's own network.
func OpenNamespace(name string, fakeNICs []string) (*Handle, error) {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("network namespace %s: %w", name, err)
	}
	return openAt(ns, fakeNICs)
}

// ReadNamespace is what Read says of the named namespace, through a handle opened and closed
// for it: a look at a namespace the caller does not manage.
func ReadNamespace(name string, fakeNICs []string) (Current, error) {
	h, err := OpenNamespace(name, fakeNICs)
	if err != nil {
		return Current{}, err
	}
	defer h.Close()
	return h.Read()
}

// openAt takes over ns: the handle closes it.
func openAt(ns netns.NsHandle, fakeNICs []string) (*Handle, error) {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("netlink: %w", err)
	}
	sock, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		h.Close()
		ns.Close()
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return &Handle{ns: ns, nl: h, raw: map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: {Socket: sock}}, fakeNICs: fakeNICs}, nil
}

// Close releases the netlink sockets and the namespace.
func (h *Handle) Close() {
	h.ns.Close()
	h.nl.Close()
	for _, s := range h.raw {
		s.Socket.Close()
	}
}

// Read is the namespace's links, their addresses (link-local ones left out: the kernel makes
// them) and the IPv4 and IPv6 default routes of the main table.
func (h *Handle) Read() (Current, error) {
	links, err := h.nl.LinkList()
	if err != nil {
		return Current{}, fmt.Errorf("list links: %w", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	var cur Current
	for _, l := range links {
		a := l.Attrs()
		link := Link{Name: a.Name, Kind: h.kind(l), MTU: a.MTU, Master: names[a.MasterIndex], Up: a.Flags&net.FlagUp != 0}
		switch v := l.(type) {
		case *netlink.Vlan:
			link.VLANID, link.Parent = v.VlanId, names[a.ParentIndex]
		case *netlink.Bond:
			link.BondOptions = fromNetlink(v, func(i int) string { return names[i] }).String()
		case *netlink.Bridge:
			if link.STP, err = h.bridgeSTP(a.Index); err != nil {
				return Current{}, err
			}
		}
		addrs, err := h.nl.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return Current{}, fmt.Errorf("addresses of %s: %w", a.Name, err)
		}
		for _, ad := range addrs {
			if !ad.IP.IsLinkLocalUnicast() {
				link.Addrs = append(link.Addrs, ad.IPNet.String())
			}
		}
		sort.Strings(link.Addrs)
		cur.Links = append(cur.Links, link)
	}
	sort.Slice(cur.Links, func(i, j int) bool { return cur.Links[i].Name < cur.Links[j].Name })
	if cur.IPv6, err = h.readIPv6Conf(cur.Links); err != nil {
		return Current{}, fmt.Errorf("IPv6 settings: %w", err)
	}
	if cur.DefaultRoute, err = h.defaultRoute(netlink.FAMILY_V4, names); err != nil {
		return Current{}, err
	}
	if cur.DefaultRoute6, err = h.defaultRoute(netlink.FAMILY_V6, names); err != nil {
		return Current{}, err
	}
	return cur, nil
}

// defaultRoute is the main table's first default route through a gateway in family, the one
// the kernel uses.
func (h *Handle) defaultRoute(family int, names map[int]string) (*Route, error) {
	routes, err := h.nl.RouteList(nil, family)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		if isDefault(r) && r.Gw != nil {
			return &Route{Gateway: r.Gw.String(), Dev: names[r.LinkIndex]}, nil
		}
	}
	return nil, nil
}

func isDefault(r netlink.Route) bool {
	if r.Table != 0 && r.Table != unix.RT_TABLE_MAIN {
		return false
	}
	if r.Dst == nil {
		return true
	}
	ones, _ := r.Dst.Mask.Size()
	return ones == 0
}

// kind classifies a link. A physical device is a NIC; so is a veth or dummy matching the
// fake-NIC patterns.
func (h *Handle) kind(l netlink.Link) string {
	a := l.Attrs()
	switch l.Type() {
	case "device":
		if a.Flags&net.FlagLoopback == 0 {
			return KindNIC
		}
	case "veth", "dummy":
		for _, pat := range h.fakeNICs {
			if ok, _ := path.Match(pat, a.Name); ok {
				return KindNIC
			}
		}
	case "bridge":
		return KindBridge
	case "vlan":
		return KindVLAN
	case "bond":
		return KindBond
	}
	return KindOther
}

// Apply carries out one step.
func (h *Handle) Apply(s Step) error {
	if err := h.apply(s); err != nil {
		if s.Options != "" {
			return fmt.Errorf("%s %s %s: %w", s.Op, s.Link, s.Options, err)
		}
		return fmt.Errorf("%s %s: %w", s.Op, s.Link, err)
	}
	return nil
}

func (h *Handle) apply(s Step) error {
	switch s.Op {
	case OpCreateBridge:
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: s.Link, MTU: s.MTU}}
		if err := h.nl.LinkAdd(br); err != nil {
			return err
		}
		l, err := h.nl.LinkByName(s.Link)
		if err != nil {
			return err
		}
		return h.setBridgeSTP(l.Attrs().Index, s.STP)
	case OpCreateVLAN:
		parent, err := h.nl.LinkByName(s.Parent)
		if err != nil {
			return err
		}
		v := &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: s.Link, MTU: s.MTU, ParentIndex: parent.Attrs().Index}, VlanId: s.VLAN}
		return missingDriver(h.nl.LinkAdd(v), "8021q")
	case OpCreateBond:
		b := netlink.NewLinkBond(netlink.LinkAttrs{Name: s.Link, TxQLen: -1})
		if err := toNetlink(b, parseCanonical(s.Options), h.index); err != nil {
			return err
		}
		return missingDriver(h.nl.LinkAdd(b), "bonding")
	}
	l, err := h.nl.LinkByName(s.Link)
	if err != nil {
		return err
	}
	switch s.Op {
	case OpDeleteLink:
		return h.nl.LinkDel(l)
	case OpSetMaster:
		m, err := h.nl.LinkByName(s.Master)
		if err != nil {
			return err
		}
		return h.nl.LinkSetMaster(l, m)
	case OpSetNoMaster:
		return h.nl.LinkSetNoMaster(l)
	case OpSetBondOptions:
		// A modify of the existing link: the kernel's bond_changelink takes the mode first and
		// then the rest, so a mode change and the values it resets go in one message. The link
		// is found by its name, not its index: given both, older kernels (6.1 among them) try a rename
		// and refuse it on a link that is up.
		b := netlink.NewLinkBond(netlink.LinkAttrs{Name: s.Link, TxQLen: -1})
		if err := toNetlink(b, parseCanonical(s.Options), h.index); err != nil {
			return err
		}
		return h.nl.LinkModify(b)
	case OpSetMTU:
		return h.nl.LinkSetMTU(l, s.MTU)
	case OpLinkUp:
		return h.nl.LinkSetUp(l)
	case OpLinkDown:
		return h.nl.LinkSetDown(l)
	case OpAddAddr, OpDelAddr:
		a, err := netlink.ParseAddr(s.Addr)
		if err != nil {
			return err
		}
		if s.Op == OpAddAddr {
			return h.nl.AddrAdd(l, a)
		}
		return h.nl.AddrDel(l, a)
	case OpSetIPv6Conf:
		return h.setIPv6Conf(s.Link, s.Conf)
	case OpAddRoute, OpDelRoute:
		gw := net.ParseIP(s.Gateway)
		if gw == nil {
			return fmt.Errorf("bad gateway %q", s.Gateway)
		}
		r := &netlink.Route{LinkIndex: l.Attrs().Index, Gw: gw}
		if s.Op == OpAddRoute {
			return h.nl.RouteAdd(r)
		}
		return h.nl.RouteDel(r)
	}
	return fmt.Errorf("unknown step %q", s.Op)
}

// missingDriver makes the kernel's answer for a link type it has no driver for say so.
func missingDriver(err error, driver string) error {
	if errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("the kernel has no %s driver (%w)", driver, err)
	}
	return err
}

// index is a link's ifindex, for the bond option that names a link (primary).
func (h *Handle) index(name string) (int, error) {
	l, err := h.nl.LinkByName(name)
	if err != nil {
		return 0, err
	}
	return l.Attrs().Index, nil
}

// setBridgeSTP sets IFLA_BR_STP_STATE, which the netlink library's Bridge does not carry.
func (h *Handle) setBridgeSTP(index int, stp bool) error {
	req := &nl.NetlinkRequest{
		NlMsghdr: unix.NlMsghdr{Len: unix.SizeofNlMsghdr, Type: unix.RTM_NEWLINK, Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK},
		Sockets:  h.raw,
	}
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	var v uint32
	if stp {
		v = 1
	}
	data.AddRtAttr(nl.IFLA_BR_STP_STATE, nl.Uint32Attr(v))
	req.AddData(info)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	if err != nil {
		return fmt.Errorf("set stp: %w", err)
	}
	return nil
}

// bridgeSTP reads IFLA_BR_STP_STATE of a bridge.
func (h *Handle) bridgeSTP(index int) (bool, error) {
	req := &nl.NetlinkRequest{
		NlMsghdr: unix.NlMsghdr{Len: unix.SizeofNlMsghdr, Type: unix.RTM_GETLINK, Flags: unix.NLM_F_REQUEST},
		Sockets:  h.raw,
	}
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWLINK)
	if err != nil || len(msgs) == 0 {
		return false, fmt.Errorf("read bridge %d: %v", index, err)
	}
	attrs, err := nl.ParseRouteAttr(msgs[0][unix.SizeofIfInfomsg:])
	if err != nil {
		return false, err
	}
	for _, a := range attrs {
		if a.Attr.Type != unix.IFLA_LINKINFO {
			continue
		}
		info, err := nl.ParseRouteAttr(a.Value)
		if err != nil {
			return false, err
		}
		for _, i := range info {
			if i.Attr.Type != nl.IFLA_INFO_DATA {
				continue
			}
			data, err := nl.ParseRouteAttr(i.Value)
			if err != nil {
				return false, err
			}
			for _, d := range data {
				if d.Attr.Type == nl.IFLA_BR_STP_STATE && len(d.Value) >= 4 {
					return nl.NativeEndian().Uint32(d.Value) != 0, nil
				}
			}
		}
	}
	return false, nil
}
