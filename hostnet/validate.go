package hostnet

import (
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// Validate checks a request against the current state in VDSM's order (canonicalize, link
// validator, IP validator, netswitch validator) and answers the first violation with VDSM's
// code and text. A request that passes can be planned; nothing is changed either way.
func Validate(cur Current, req Request) error {
	cur = cur.named()
	checks := []func(Current, Request) error{
		validateSwitch, validateDefaultRoute, validateBondNames, validateBondNICsGiven,
		validateVLANSouthbound, validateAddresses, validateNetworks, validateBonds,
		validateNICUsage, validateSouthboundUsage,
	}
	for _, check := range checks {
		if err := check(cur, req); err != nil {
			return err
		}
	}
	return nil
}

func validateSwitch(_ Current, req Request) error {
	for _, n := range req.Networks {
		if !n.Remove && n.Switch != "legacy" {
			return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetUnsupportedSwitch, n.Switch)
		}
	}
	for _, b := range req.Bonds {
		if !b.Remove && b.Switch != "legacy" {
			return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetUnsupportedSwitch, b.Switch)
		}
	}
	return nil
}

func validateDefaultRoute(_ Current, req Request) error {
	count := 0
	for _, n := range req.Networks {
		if !n.Remove && n.DefaultRoute {
			count++
		}
	}
	if count > 1 {
		return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetSingleDefaultRoute)
	}
	return nil
}

var bondName = regexp.MustCompile(`^bond\w+$`)

func validateBondNames(_ Current, req Request) error {
	bad := map[string]bool{}
	for _, b := range req.Bonds {
		if !bondName.MatchString(b.Name) {
			bad[b.Name] = true
		}
	}
	for _, n := range req.Networks {
		if n.Bond != "" && !bondName.MatchString(n.Bond) {
			bad[n.Bond] = true
		}
	}
	if len(bad) > 0 {
		return vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetBadBondNames, strings.Join(sortedKeys(bad), ", "))
	}
	return nil
}

func validateBondNICsGiven(_ Current, req Request) error {
	for _, b := range req.Bonds {
		if !b.Remove && len(b.NICs) == 0 {
			return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetBondNoNICs, b.Name)
		}
	}
	return nil
}

func validateVLANSouthbound(_ Current, req Request) error {
	for _, n := range req.Networks {
		if !n.Remove && n.HasVLAN && n.Southbound() == "" {
			return vdsm.NetError(vdsm.CodeNetBadVLAN, vdsm.MsgNetVLANNoSouthbound, n.Name)
		}
	}
	return nil
}

// validateAddresses is VDSM's IPv4/IPv6 checks, plus this agent's refusal of dynamic address
// configuration: it runs no DHCP client, so saying yes would leave the host without an address.
func validateAddresses(_ Current, req Request) error {
	for _, n := range req.Networks {
		if n.Remove {
			continue
		}
		if err := validateIPv4(n); err != nil {
			return err
		}
		if err := validateIPv6(n); err != nil {
			return err
		}
		switch {
		case n.BootProto == "dhcp":
			return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetUnsupportedBootProt, n.Name, "dhcp")
		case n.DHCPv6:
			return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetUnsupportedBootProt, n.Name, "dhcpv6")
		case n.IPv6Autoconf:
			return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetUnsupportedBootProt, n.Name, "ipv6autoconf")
		}
	}
	return nil
}

func validateIPv4(n Network) error {
	if n.IPAddr == "" {
		if n.Gateway != "" || n.Netmask != "" {
			return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetGatewayWithoutAddr)
		}
		return nil
	}
	if n.Netmask == "" {
		return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetNeedNetmask)
	}
	if a, err := netip.ParseAddr(n.IPAddr); err != nil || !a.Is4() {
		return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetBadIPv4Addr, vdsm.PyRepr(n.IPAddr))
	}
	if _, ok := netmaskBits(n.Netmask); !ok {
		return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetBadIPv4Netmask, vdsm.PyRepr(n.Netmask))
	}
	if n.Gateway != "" {
		if a, err := netip.ParseAddr(n.Gateway); err != nil || !a.Is4() {
			return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetBadIPv4Gateway, vdsm.PyRepr(n.Gateway))
		}
	}
	if n.BootProto == "dhcp" {
		return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetStaticWithDHCP)
	}
	return nil
}

func validateIPv6(n Network) error {
	if n.IPv6Addr == "" {
		if n.IPv6Gateway != "" {
			return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetIPv6GatewayNoAddr)
		}
		return nil
	}
	if _, err := parseIPv6(n.IPv6Addr); err != nil {
		return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetBadIPv6Addr, vdsm.PyRepr(n.IPv6Addr))
	}
	if n.IPv6Gateway != "" {
		if a, err := netip.ParseAddr(n.IPv6Gateway); err != nil || !a.Is6() {
			return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetBadIPv6Gateway, vdsm.PyRepr(n.IPv6Gateway))
		}
	}
	if n.DHCPv6 || n.IPv6Autoconf {
		return vdsm.NetError(vdsm.CodeNetBadAddr, vdsm.MsgNetIPv6StaticDynamic)
	}
	return nil
}

const maxNameLen = 15

func validateNetworks(cur Current, req Request) error {
	bonds := map[string]Bond{}
	for _, b := range req.Bonds {
		bonds[b.Name] = b
	}
	for _, n := range req.Networks {
		if n.Remove {
			if _, ok := cur.Networks[n.Name]; !ok {
				return vdsm.NetError(vdsm.CodeNetBadBridge, vdsm.MsgNetRemoveMissing, vdsm.PyRepr(n.Name))
			}
			continue
		}
		if n.HasVLAN && (n.VLAN < 0 || n.VLAN > 4094) {
			return vdsm.NetError(vdsm.CodeNetBadVLAN, vdsm.MsgNetVLANOutOfRange, vdsm.PyRepr(n.VLAN))
		}
		if n.NIC != "" && !cur.isNIC(n.NIC) {
			return vdsm.NetError(vdsm.CodeNetBadNIC, vdsm.MsgNetNoSuchNIC, n.NIC)
		}
		if n.Bond != "" {
			b, requested := bonds[n.Bond]
			_, running := cur.Bonds[n.Bond]
			if !(requested && !b.Remove) && !running {
				return vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetNoSuchBond, n.Bond)
			}
		}
		if n.Bridged && !validBridgeName(n.Name) {
			return vdsm.NetError(vdsm.CodeNetBadBridge, vdsm.MsgNetBadBridgeName, vdsm.PyRepr(n.Name))
		}
		if n.HasVLAN && len(n.Top()) > maxNameLen {
			return vdsm.NetError(vdsm.CodeNetBadVLAN, "VLAN device name %s is longer than %d characters", vdsm.PyRepr(n.Top()), maxNameLen)
		}
	}
	return nil
}

func validBridgeName(name string) bool {
	return name != "" && len(name) <= maxNameLen && !strings.ContainsAny(name, ":. \t") && !strings.HasPrefix(name, "-")
}

func validateBonds(cur Current, req Request) error {
	desired := desiredConfig(cur, req)
	for _, b := range req.Bonds {
		if b.Remove {
			users := map[string]bool{}
			for name, n := range desired.Networks {
				if n.Bond == b.Name {
					users[name] = true
				}
			}
			if len(users) > 0 {
				return vdsm.NetError(vdsm.CodeNetUsedBond, vdsm.MsgNetBondUsed, b.Name, pySet(users))
			}
			continue
		}
		for _, nic := range b.NICs {
			if !cur.isNIC(nic) {
				return vdsm.NetError(vdsm.CodeNetBadNIC, vdsm.MsgNetNoSuchNIC, nic)
			}
		}
		if err := validateBondOptions(cur, b); err != nil {
			return err
		}
	}
	return nil
}

func validateNICUsage(cur Current, req Request) error {
	desired := desiredConfig(cur, req)
	slaves := map[string]bool{}
	for _, b := range desired.Bonds {
		for _, nic := range b.NICs {
			slaves[nic] = true
		}
	}
	shared := map[string]bool{}
	for _, n := range desired.Networks {
		if n.NIC != "" && slaves[n.NIC] {
			shared[n.NIC] = true
		}
	}
	if len(shared) > 0 {
		return vdsm.NetError(vdsm.CodeNetUsedNIC, vdsm.MsgNetNICMultipleUsages, pySet(shared))
	}
	return nil
}

// validateSouthboundUsage refuses two networks on one device and tag. VDSM's message goes on
// with Python reprs of its whole kernel config; this one names the device and the networks.
func validateSouthboundUsage(cur Current, req Request) error {
	desired := desiredConfig(cur, req)
	users := map[string][]string{}
	for _, name := range sortedKeys(desired.Networks) {
		n := desired.Networks[name]
		if n.Southbound() == "" {
			if !n.Bridged {
				return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetNoSouthbound, name)
			}
			continue
		}
		users[n.Top()] = append(users[n.Top()], name)
	}
	for _, dev := range sortedKeys(users) {
		if len(users[dev]) > 1 {
			return vdsm.NetError(vdsm.CodeNetBadParams, vdsm.MsgNetSharedDevice, vdsm.PyRepr(dev), vdsm.PyRepr(strings.Join(users[dev], ", ")))
		}
	}
	return nil
}

// desiredConfig is the running configuration as it would be after the request.
func desiredConfig(cur Current, req Request) Config {
	c := Config{Networks: map[string]Network{}, Bonds: map[string]Bond{}}
	for k, v := range cur.Networks {
		c.Networks[k] = v
	}
	for k, v := range cur.Bonds {
		c.Bonds[k] = v
	}
	for _, n := range req.Networks {
		if n.Remove {
			delete(c.Networks, n.Name)
		} else {
			c.Networks[n.Name] = n
		}
	}
	for _, b := range req.Bonds {
		if b.Remove {
			delete(c.Bonds, b.Name)
		} else {
			c.Bonds[b.Name] = b
		}
	}
	return c
}

// pySet renders names as a Python set literal, as VDSM's messages embed sets.
func pySet(names map[string]bool) string {
	keys := sortedKeys(names)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = vdsm.PyRepr(k)
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

// bondingOptions are the kernel bonding driver's options (the files of
// /sys/class/net/<bond>/bonding that VDSM's defaults table lists): one bondOptionTable lacks is
// refused as unsupported here, any other name as no bonding option at all.
var bondingOptions = map[string]bool{
	"mode": true, "miimon": true, "updelay": true, "downdelay": true, "arp_interval": true,
	"arp_ip_target": true, "arp_validate": true, "arp_all_targets": true, "primary": true,
	"primary_reselect": true, "fail_over_mac": true, "xmit_hash_policy": true, "resend_igmp": true,
	"num_grat_arp": true, "num_unsol_na": true, "lacp_rate": true, "ad_select": true,
	"min_links": true, "all_slaves_active": true, "packets_per_slave": true, "tlb_dynamic_lb": true,
	"lp_interval": true, "use_carrier": true, "ad_actor_sys_prio": true, "ad_user_port_key": true,
	"ad_actor_system": true, "peer_notif_delay": true, "arp_missed_max": true, "active_slave": true,
}

// validateBondOptions is VDSM's parse of the option string (a pair without "=", an unknown mode)
// first, then this agent's check of every value against the kernel's, so that nothing the
// netlink adapter would refuse gets as far as the kernel.
func validateBondOptions(cur Current, b Bond) error {
	for _, opt := range strings.Fields(b.Options) {
		key, value, ok := strings.Cut(opt, "=")
		if !ok || (key == "mode" && !bondModes[value]) {
			return vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetBondParseOptions, vdsm.PyRepr(b.Options))
		}
	}
	for _, opt := range strings.Fields(b.Options) {
		key, _, _ := strings.Cut(opt, "=")
		if !bondingOptions[key] {
			return vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetBondBadOption, vdsm.PyRepr(key))
		}
	}
	_, err := parseBondOptions(b.Name, b.Options, func(name string) bool { _, ok := cur.link(name); return ok })
	return err
}

var bondModes = map[string]bool{
	"balance-rr": true, "active-backup": true, "balance-xor": true, "broadcast": true,
	"802.3ad": true, "balance-tlb": true, "balance-alb": true,
	"0": true, "1": true, "2": true, "3": true, "4": true, "5": true, "6": true,
}
