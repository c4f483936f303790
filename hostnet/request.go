package hostnet

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// DefaultMTU is VDSM's iface.DEFAULT_MTU, used when a network names none.
const DefaultMTU = 1500

// DefaultConnectivityTimeout is VDSM's CONNECTIVITY_TIMEOUT_DEFAULT.
const DefaultConnectivityTimeout = 4 * time.Second

// Network is one logical network of a setupNetworks request after VDSM's canonicalization:
// defaults filled in, loosely typed values ("true", "10", "yes") turned into their types.
type Network struct {
	Name   string `json:"-"`
	Remove bool   `json:"remove,omitempty"`
	NIC    string `json:"nic,omitempty"`
	Bond   string `json:"bonding,omitempty"`
	// VLAN is the tag; HasVLAN tells an untagged network from VLAN 0.
	VLAN         int    `json:"vlan,omitempty"`
	HasVLAN      bool   `json:"hasVlan,omitempty"`
	Bridged      bool   `json:"bridged"`
	STP          bool   `json:"stp,omitempty"`
	MTU          int    `json:"mtu"`
	BootProto    string `json:"bootproto"`
	IPAddr       string `json:"ipaddr,omitempty"`
	Netmask      string `json:"netmask,omitempty"`
	Gateway      string `json:"gateway,omitempty"`
	DefaultRoute bool   `json:"defaultRoute,omitempty"`
	DHCPv6       bool   `json:"dhcpv6,omitempty"`
	IPv6Autoconf bool   `json:"ipv6autoconf,omitempty"`
	IPv6Addr     string `json:"ipv6addr,omitempty"`
	IPv6Gateway  string `json:"ipv6gateway,omitempty"`
	Switch       string `json:"switch"`
}

// Southbound is the device the network sits on: the NIC or the bond.
func (n Network) Southbound() string {
	if n.Bond != "" {
		return n.Bond
	}
	return n.NIC
}

// Top is the device the bridge enslaves, or that carries the addresses of a bridgeless network:
// the VLAN device when tagged, else the southbound device.
func (n Network) Top() string {
	if n.HasVLAN {
		return vlanName(n.Southbound(), n.VLAN)
	}
	return n.Southbound()
}

// L3 is the device that carries the network's addresses: its bridge, or its top device.
func (n Network) L3() string {
	if n.Bridged {
		return n.Name
	}
	return n.Top()
}

// IPv4 is the static address with its prefix length, when the network has one.
func (n Network) IPv4() (netip.Prefix, bool) {
	if n.IPAddr == "" {
		return netip.Prefix{}, false
	}
	a, err := netip.ParseAddr(n.IPAddr)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := 32
	if n.Netmask != "" {
		bits, _ = netmaskBits(n.Netmask)
	}
	return netip.PrefixFrom(a, bits), true
}

// IPv6 is the static IPv6 address, when the network has one.
func (n Network) IPv6() (netip.Prefix, bool) {
	if n.IPv6Addr == "" {
		return netip.Prefix{}, false
	}
	p, err := parseIPv6(n.IPv6Addr)
	return p, err == nil
}

func vlanName(dev string, id int) string { return dev + "." + strconv.Itoa(id) }

// Bond is one bonding of a setupNetworks request.
type Bond struct {
	Name    string   `json:"-"`
	Remove  bool     `json:"remove,omitempty"`
	NICs    []string `json:"nics,omitempty"`
	Options string   `json:"options,omitempty"`
	Switch  string   `json:"switch"`
}

// Options are setupNetworks' options.
type Options struct {
	ConnectivityCheck   bool
	ConnectivityTimeout time.Duration
}

// Request is a decoded Host.setupNetworks request, networks and bonds in name order so plans
// are deterministic.
type Request struct {
	Networks []Network
	Bonds    []Bond
	Options  Options
}

// DecodeRequest decodes the three parameters of Host.setupNetworks, as the engine sends them
// (HostSetupNetworksVDSCommand: bridged, remove and connectivityCheck as "true"/"false" strings,
// vlan as a string, mtu as a number, stp as "yes"/"no") or as vdsm-client users write them.
// A value of the wrong shape is VDSM's code for that attribute.
func DecodeRequest(networks, bondings, options json.RawMessage) (Request, error) {
	var req Request
	nets, err := decodeObjects(networks, "networks")
	if err != nil {
		return req, err
	}
	bonds, err := decodeObjects(bondings, "bondings")
	if err != nil {
		return req, err
	}
	for _, name := range sortedKeys(nets) {
		n, err := decodeNetwork(name, nets[name])
		if err != nil {
			return req, err
		}
		req.Networks = append(req.Networks, n)
	}
	for _, name := range sortedKeys(bonds) {
		b, err := decodeBond(name, bonds[name])
		if err != nil {
			return req, err
		}
		req.Bonds = append(req.Bonds, b)
	}
	req.Options, err = decodeOptions(options)
	return req, err
}

func decodeObjects(raw json.RawMessage, what string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, vdsm.NetError(vdsm.CodeNetBadParams, "%s must map names to attribute objects: %v", what, err)
	}
	for k, v := range out {
		if v == nil {
			out[k] = map[string]any{}
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func decodeNetwork(name string, a map[string]any) (Network, error) {
	n := Network{Name: name}
	if v, ok := a["remove"]; ok {
		n.Remove = toBool(v)
		if n.Remove {
			for k := range a {
				if k != "remove" && k != "custom" {
					return n, vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetRemoveWithAttrs)
				}
			}
			return n, nil
		}
	}
	n.NIC = str(a["nic"])
	n.Bond = str(a["bonding"])
	n.Switch = "legacy"
	if v, ok := a["switch"]; ok {
		n.Switch = str(v)
	}
	n.MTU = DefaultMTU
	if v, ok := a["mtu"]; ok {
		mtu, err := toInt(v)
		if err != nil || mtu <= 0 {
			return n, vdsm.NetError(vdsm.CodeNetBadParams, "%s: bad mtu %s", name, vdsm.PyRepr(v))
		}
		n.MTU = mtu
	}
	if v, ok := a["vlan"]; ok && v != nil && str(v) != "" {
		id, err := toInt(v)
		if err != nil {
			return n, vdsm.NetError(vdsm.CodeNetBadVLAN, vdsm.MsgNetVLANNotNumber)
		}
		n.VLAN, n.HasVLAN = id, true
	}
	n.Bridged = true
	if v, ok := a["bridged"]; ok {
		n.Bridged = toBool(v)
	}
	if n.Bridged {
		stp := a["stp"]
		if stp == nil {
			stp = a["STP"]
		}
		var err error
		if n.STP, err = stpBool(stp); err != nil {
			return n, err
		}
	}
	n.BootProto = "none"
	if v, ok := a["bootproto"]; ok {
		n.BootProto = str(v)
	}
	n.IPAddr, n.Netmask, n.Gateway = str(a["ipaddr"]), str(a["netmask"]), str(a["gateway"])
	if p, ok := a["prefix"]; ok && str(p) != "" {
		if n.Netmask != "" {
			return n, vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetPrefixAndNetmask)
		}
		bits, err := toInt(p)
		if err != nil || bits < 0 || bits > 32 {
			return n, vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetBadPrefix, str(p))
		}
		n.Netmask = netmaskString(bits)
	}
	n.DefaultRoute = toBool(a["defaultRoute"])
	n.DHCPv6 = toBool(a["dhcpv6"])
	n.IPv6Autoconf = toBool(a["ipv6autoconf"])
	n.IPv6Addr, n.IPv6Gateway = str(a["ipv6addr"]), str(a["ipv6gateway"])
	// VDSM's canonicalize._canonicalize_ipv6 keeps the address as Python's ip_interface prints
	// it: compressed, with its prefix (/128 when none was given). A bad one is validation's.
	if p, err := parseIPv6(n.IPv6Addr); n.IPv6Addr != "" && err == nil {
		n.IPv6Addr = p.String()
	}
	return n, nil
}

func decodeBond(name string, a map[string]any) (Bond, error) {
	b := Bond{Name: name, Switch: "legacy"}
	if v, ok := a["remove"]; ok && toBool(v) {
		b.Remove = true
		return b, nil
	}
	if v, ok := a["switch"]; ok {
		b.Switch = str(v)
	}
	if list, ok := a["nics"].([]any); ok {
		for _, nic := range list {
			b.NICs = append(b.NICs, str(nic))
		}
		sort.Strings(b.NICs)
	}
	b.Options = str(a["options"])
	return b, nil
}

func decodeOptions(raw json.RawMessage) (Options, error) {
	o := Options{ConnectivityCheck: true, ConnectivityTimeout: DefaultConnectivityTimeout}
	if len(raw) == 0 || string(raw) == "null" {
		return o, nil
	}
	var a map[string]any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&a); err != nil {
		return o, vdsm.NetError(vdsm.CodeNetBadParams, "options must be an object: %v", err)
	}
	if v, ok := a["connectivityCheck"]; ok {
		o.ConnectivityCheck = toBool(v)
	}
	if v, ok := a["connectivityTimeout"]; ok {
		s, err := toInt(v)
		if err != nil || s < 0 {
			return o, vdsm.NetError(vdsm.CodeNetBadParams, "bad connectivityTimeout %s", vdsm.PyRepr(v))
		}
		o.ConnectivityTimeout = time.Duration(s) * time.Second
	}
	return o, nil
}

// toBool is VDSM's conv.tobool: a bool as is, a string true only when it reads "true" in any
// case, a number true when non-zero.
func toBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	case json.Number:
		i, err := x.Int64()
		return err == nil && i != 0
	}
	return false
}

// stpBool is VDSM's bridges.stp_booleanize.
func stpBool(v any) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(x) {
		case "yes", "on", "true":
			return true, nil
		case "no", "off", "false":
			return false, nil
		}
	}
	return false, vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetBadSTP, v)
}

func toInt(v any) (int, error) {
	switch x := v.(type) {
	case json.Number:
		i, err := x.Int64()
		return int(i), err
	case string:
		return strconv.Atoi(strings.TrimSpace(x))
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("not an integer: %v", v)
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func netmaskString(bits int) string {
	var b [4]byte
	for i := 0; i < bits; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(b).String()
}

// netmaskBits is the prefix length of a dotted netmask; ok is false when the mask is not
// contiguous.
func netmaskBits(mask string) (int, bool) {
	a, err := netip.ParseAddr(mask)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	bits, seenZero := 0, false
	for _, octet := range b {
		for i := 7; i >= 0; i-- {
			if octet&(1<<i) != 0 {
				if seenZero {
					return 0, false
				}
				bits++
			} else {
				seenZero = true
			}
		}
	}
	return bits, true
}

func parseIPv6(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is6() {
			return netip.Prefix{}, fmt.Errorf("bad IPv6 address %q", s)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return netip.Prefix{}, fmt.Errorf("bad IPv6 address %q", s)
	}
	// ipaddress.ip_interface, which VDSM reads the address with, takes a bare address for a
	// host route's /128.
	return netip.PrefixFrom(a, 128), nil
}
