package hostnet

import (
	"fmt"
	"math"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// A bond's options travel in the kernel's canonical form: "key=value" pairs in bondOptionTable
// order, enum values as the kernel's numbers (xmit_hash_policy=2, not layer2+3), and only the
// mode and the values that differ from what the kernel gives a bond of that mode by itself.
// Two option strings mean the same bond exactly when their canonical forms are equal, which is
// how the planner compares a request with what it reads from the kernel.

// bondOption is one bonding option the agent carries through netlink's Bond. The kernel takes
// some only in certain modes (modes), some only on a bond that is down or has no slaves
// (disruptive): a change of those goes the way of a mode change.
type bondOption struct {
	name       string
	field      string         // the netlink.Bond field; "" for the three with their own encoding
	enum       map[string]int // the kernel's names for the values
	min, max   int
	def        string
	modes      []int // nil: every mode
	disruptive bool
}

const (
	modeActiveBackup = 1
	mode8023AD       = 4
	modeTLB          = 5
	modeALB          = 6
)

var bondModeNames = map[string]int{"balance-rr": 0, "active-backup": 1, "balance-xor": 2, "broadcast": 3,
	"802.3ad": 4, "balance-tlb": 5, "balance-alb": 6}

// bondOptionTable follows the kernel's bond_options.c for ranges, defaults and the modes each
// option is accepted in.
var bondOptionTable = []bondOption{
	{name: "mode", field: "Mode", enum: bondModeNames, max: 6, def: "0", disruptive: true},
	{name: "miimon", field: "Miimon", max: math.MaxInt32, def: "0"},
	{name: "updelay", field: "UpDelay", max: math.MaxInt32, def: "0"},
	{name: "downdelay", field: "DownDelay", max: math.MaxInt32, def: "0"},
	{name: "use_carrier", field: "UseCarrier", max: 1, def: "1"},
	{name: "arp_interval", field: "ArpInterval", max: math.MaxInt32, def: "0", modes: []int{0, 1, 2, 3}},
	{name: "arp_ip_target", def: ""},
	{name: "arp_validate", field: "ArpValidate", enum: map[string]int{"none": 0, "active": 1, "backup": 2, "all": 3,
		"filter": 4, "filter_active": 5, "filter_backup": 6}, max: 6, def: "0", modes: []int{0, 1, 2, 3}},
	{name: "arp_all_targets", field: "ArpAllTargets", enum: map[string]int{"any": 0, "all": 1}, max: 1, def: "0"},
	{name: "primary", def: "", modes: []int{modeActiveBackup, modeTLB, modeALB}},
	{name: "primary_reselect", field: "PrimaryReselect", enum: map[string]int{"always": 0, "better": 1, "failure": 2}, max: 2, def: "0"},
	{name: "fail_over_mac", field: "FailOverMac", enum: map[string]int{"none": 0, "active": 1, "follow": 2}, max: 2, def: "0", disruptive: true},
	{name: "xmit_hash_policy", field: "XmitHashPolicy", enum: map[string]int{"layer2": 0, "layer3+4": 1, "layer2+3": 2,
		"encap2+3": 3, "encap3+4": 4, "vlan+srcmac": 5}, max: 5, def: "0"},
	{name: "resend_igmp", field: "ResendIgmp", max: 255, def: "1"},
	{name: "num_grat_arp", field: "NumPeerNotif", max: 255, def: "1"},
	{name: "all_slaves_active", field: "AllSlavesActive", max: 1, def: "0"},
	{name: "min_links", field: "MinLinks", max: math.MaxInt32, def: "0"},
	{name: "lp_interval", field: "LpInterval", min: 1, max: math.MaxInt32, def: "1"},
	{name: "packets_per_slave", field: "PacketsPerSlave", max: 65535, def: "1", modes: []int{0}},
	{name: "lacp_rate", field: "LacpRate", enum: map[string]int{"slow": 0, "fast": 1}, max: 1, def: "0", modes: []int{mode8023AD},
		disruptive: true},
	{name: "ad_select", field: "AdSelect", enum: map[string]int{"stable": 0, "bandwidth": 1, "count": 2}, max: 2, def: "0",
		disruptive: true},
	{name: "ad_actor_sys_prio", field: "AdActorSysPrio", min: 1, max: 65535, def: "65535", modes: []int{mode8023AD}, disruptive: true},
	{name: "ad_user_port_key", field: "AdUserPortKey", max: 1023, def: "0", modes: []int{mode8023AD}, disruptive: true},
	{name: "ad_actor_system", def: "00:00:00:00:00:00", modes: []int{mode8023AD}, disruptive: true},
	{name: "tlb_dynamic_lb", field: "TlbDynamicLb", max: 1, def: "1", modes: []int{modeTLB, modeALB}, disruptive: true},
}

// bondAliases are second names the kernel gives one option.
var bondAliases = map[string]string{"num_unsol_na": "num_grat_arp"}

func (o bondOption) inMode(mode int) bool { return o.modes == nil || slices.Contains(o.modes, mode) }

// defaultIn is the value a bond of mode has when nobody set the option: the kernel starts MII
// monitoring at 100 ms by itself in the modes that cannot monitor by ARP.
func (o bondOption) defaultIn(mode int) string {
	if o.name == "miimon" && (mode == mode8023AD || mode == modeTLB || mode == modeALB) {
		return "100"
	}
	return o.def
}

func lookupBondOption(name string) (bondOption, bool) {
	if n, ok := bondAliases[name]; ok {
		name = n
	}
	for _, o := range bondOptionTable {
		if o.name == name {
			return o, true
		}
	}
	return bondOption{}, false
}

// bondOpts are a bond's option values by canonical name.
type bondOpts map[string]string

func (b bondOpts) mode() int {
	m, _ := strconv.Atoi(b["mode"])
	return m
}

// parseBondOptions reads a request's option string into canonical values, with VDSM's code 25
// and a message naming what is wrong. links are the links that may be named as primary.
func parseBondOptions(bond, opts string, links func(string) bool) (bondOpts, error) {
	out := bondOpts{"mode": "0"}
	parseErr := vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetBondParseOptions, vdsm.PyRepr(opts))
	for _, kv := range strings.Fields(opts) {
		key, value, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, parseErr
		}
		o, known := lookupBondOption(key)
		if !known {
			if bondingOptions[key] {
				return nil, vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetBondOptionUnsupported, bond, key)
			}
			return nil, vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetBondBadOption, vdsm.PyRepr(key))
		}
		v, err := o.canonical(value, links)
		if err != nil {
			return nil, parseErr
		}
		if prev, dup := out[o.name]; dup && prev != v && o.name != "mode" {
			return nil, parseErr
		}
		out[o.name] = v
	}
	mode := out.mode()
	for _, o := range bondOptionTable {
		if _, set := out[o.name]; set && !o.inMode(mode) && out[o.name] != o.defaultIn(mode) {
			return nil, vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetBondOptionMode, bond, o.name, mode)
		}
	}
	// The kernel's bond_changelink refuses ARP monitoring or validation beside MII monitoring.
	full := out.full()
	for _, arp := range []string{"arp_interval", "arp_validate"} {
		if full["miimon"] != "0" && full[arp] != "" && full[arp] != "0" {
			return nil, vdsm.NetError(vdsm.CodeNetBadBonding, vdsm.MsgNetBondOptionConflict, bond, "miimon", arp)
		}
	}
	return out, nil
}

// canonical checks one value and writes it as the kernel reports it.
func (o bondOption) canonical(value string, links func(string) bool) (string, error) {
	switch o.name {
	case "arp_ip_target":
		if value == "" {
			return "", nil
		}
		var ips []string
		for _, s := range strings.Split(value, ",") {
			ip := net.ParseIP(s).To4()
			if ip == nil {
				return "", fmt.Errorf("arp_ip_target %q", s)
			}
			ips = append(ips, ip.String())
		}
		if len(ips) > 16 { // the kernel's BOND_MAX_ARP_TARGETS
			return "", fmt.Errorf("more than 16 ARP targets")
		}
		return strings.Join(ips, ","), nil
	case "primary":
		if value != "" && !links(value) {
			return "", fmt.Errorf("no link %s", value)
		}
		return value, nil
	case "ad_actor_system":
		mac, err := net.ParseMAC(value)
		if err != nil || len(mac) != 6 || mac[0]&1 != 0 {
			return "", fmt.Errorf("ad_actor_system %q", value)
		}
		return mac.String(), nil
	}
	n, ok := o.enum[value]
	if !ok {
		var err error
		if n, err = strconv.Atoi(value); err != nil {
			return "", err
		}
	}
	if n < o.min || n > o.max {
		return "", fmt.Errorf("%s %d out of range", o.name, n)
	}
	return strconv.Itoa(n), nil
}

// full is every option of the bond's mode, with the kernel's value where opts has none.
func (b bondOpts) full() bondOpts {
	mode := b.mode()
	out := bondOpts{}
	for _, o := range bondOptionTable {
		if !o.inMode(mode) {
			continue
		}
		if v, ok := b[o.name]; ok {
			out[o.name] = v
		} else {
			out[o.name] = o.defaultIn(mode)
		}
	}
	return out
}

// String is the canonical form: the mode, then the options that differ from the mode's defaults.
func (b bondOpts) String() string {
	mode := b.mode()
	parts := []string{"mode=" + strconv.Itoa(mode)}
	for _, o := range bondOptionTable[1:] {
		if v, ok := b[o.name]; ok && o.inMode(mode) && v != o.defaultIn(mode) {
			parts = append(parts, o.name+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// list renders chosen values in table order, for a step.
func (b bondOpts) list() string {
	var parts []string
	for _, o := range bondOptionTable {
		if v, ok := b[o.name]; ok {
			parts = append(parts, o.name+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// parseCanonical reads back an option string the agent wrote itself; a missing mode is 0.
func parseCanonical(s string) bondOpts {
	out := bondOpts{}
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// toNetlink fills a netlink Bond with the given canonical values; index resolves a primary's name.
func toNetlink(b *netlink.Bond, opts bondOpts, index func(string) (int, error)) error {
	v := reflect.ValueOf(b).Elem()
	for _, o := range bondOptionTable {
		val, ok := opts[o.name]
		if !ok {
			continue
		}
		switch o.name {
		case "arp_ip_target":
			b.ArpIpTargets = []net.IP{}
			for _, s := range strings.Split(val, ",") {
				if s != "" {
					b.ArpIpTargets = append(b.ArpIpTargets, net.ParseIP(s).To4())
				}
			}
		case "primary":
			b.Primary = 0 // the kernel clears the primary for an index it does not know
			if val != "" {
				i, err := index(val)
				if err != nil {
					return fmt.Errorf("primary %s: %w", val, err)
				}
				b.Primary = i
			}
		case "ad_actor_system":
			mac, err := net.ParseMAC(val)
			if err != nil {
				return err
			}
			b.AdActorSystem = mac
		default:
			n, err := strconv.Atoi(val)
			if err != nil {
				return fmt.Errorf("bond option %s=%q", o.name, val)
			}
			v.FieldByName(o.field).SetInt(int64(n))
		}
	}
	return nil
}

// fromNetlink is the options of the bond's mode the kernel reported; name resolves a primary's
// index.
func fromNetlink(b *netlink.Bond, name func(int) string) bondOpts {
	out := bondOpts{"mode": strconv.Itoa(int(b.Mode))}
	v := reflect.ValueOf(b).Elem()
	mode := out.mode()
	for _, o := range bondOptionTable[1:] {
		if !o.inMode(mode) {
			continue
		}
		switch o.name {
		case "arp_ip_target":
			var ips []string
			for _, ip := range b.ArpIpTargets {
				ips = append(ips, ip.String())
			}
			out[o.name] = strings.Join(ips, ",")
		case "primary":
			if b.Primary > 0 {
				out[o.name] = name(b.Primary)
			}
		case "ad_actor_system":
			if len(b.AdActorSystem) == 6 {
				out[o.name] = b.AdActorSystem.String()
			}
		default:
			if n := v.FieldByName(o.field).Int(); n >= 0 {
				out[o.name] = strconv.FormatInt(n, 10)
			}
		}
	}
	return out
}

// BondOptionNames are the bonding options this agent carries, as the kernel names them in
// /sys/class/net/<bond>/bonding.
func BondOptionNames() []string {
	names := make([]string, len(bondOptionTable))
	for i, o := range bondOptionTable {
		names[i] = o.name
	}
	return names
}

// NonDefaultBondOptions is what VDSM reports as a bond's opts: the mode, and the options of
// that mode whose value differs from what the kernel gives a bond of the mode by itself. values
// are by option name, enums as numbers; an option missing from values is not reported.
func NonDefaultBondOptions(values map[string]string) map[string]string {
	b := bondOpts{"mode": values["mode"]}
	mode := b.mode()
	out := map[string]string{"mode": strconv.Itoa(mode)}
	for _, o := range bondOptionTable[1:] {
		if v, ok := values[o.name]; ok && o.inMode(mode) && v != o.defaultIn(mode) {
			out[o.name] = v
		}
	}
	return out
}
