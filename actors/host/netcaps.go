package host

import (
	"bufio"
	"bytes"
	"path"
	"strconv"
	"strings"

	"github.com/hostagent/hostagent/hostnet"
	"github.com/hostagent/hostagent/protocol/vdsm"
)

// netCaps is the network part of the capabilities.
type netCaps struct {
	NICs         map[string]vdsm.NetInfoNIC
	Bridges      map[string]vdsm.NetInfoBridge
	Bondings     map[string]vdsm.NetInfoBond
	VLANs        map[string]vdsm.NetInfoVLAN
	Networks     map[string]vdsm.NetInfoNetwork
	Nameservers  []string
	SupportsIPv6 bool
}

// hiddenNICs are VDSM's default hidden_nics: wireless and USB adapters are never offered to the
// engine as host NICs.
var hiddenNICs = []string{"w*", "usb*"}

// defaultFakeNICs are VDSM's default fake_nics: virtual devices reported as NICs, so that test
// hosts and nested set-ups (a veth into another namespace, dummies for bonds) can carry networks.
// The network actor treats the same names as NICs (hostnet.DefaultFakeNICs); --fake-nics sets
// both.
var defaultFakeNICs = []string{"dummy_*", "veth_*"}

// vlanLink is a VLAN device's parent and tag.
type vlanLink struct {
	parent string
	id     int
}

// readNetCaps enumerates /sys/class/net into VDSM's device classes. Loopback and virtual
// devices that are none of bridge, bond or VLAN (dummy, ifb, tun/tap, veth) are not reported,
// as VDSM does not report them, except fake NICs. Networks stays empty here: the logical networks
// are the network actor's running configuration, laid over these devices by
// ApplyNetworkReport.
func readNetCaps(r fsRoot, addrs addrSource, fakeNICs []string) netCaps {
	if fakeNICs == nil {
		fakeNICs = defaultFakeNICs
	}
	nc := netCaps{
		NICs: map[string]vdsm.NetInfoNIC{}, Bridges: map[string]vdsm.NetInfoBridge{},
		Bondings: map[string]vdsm.NetInfoBond{}, VLANs: map[string]vdsm.NetInfoVLAN{},
		Networks:     map[string]vdsm.NetInfoNetwork{},
		Nameservers:  readNameservers(r),
		SupportsIPv6: r.exists("/proc/net/if_inet6"),
	}
	rt := readRoutes(r)
	vlans := readVLANConfig(r)
	for _, name := range r.names(netDir) {
		dir := netDir + "/" + name + "/"
		l := readLink(r, name)
		ip := ipConfig(r, name, addrs, rt)
		mtu := strconv.Itoa(l.MTU)
		switch {
		case r.exists(dir + "bridge"):
			nc.Bridges[name] = vdsm.NetInfoBridge{
				IPConfig: ip, MTU: mtu, Ports: r.names(dir + "brif"),
				STP: bridgeSTP(r.str(dir + "bridge/stp_state")), Opts: bridgeOpts(r, dir+"bridge"),
			}
		case r.exists(dir + "bonding"):
			nc.Bondings[name] = vdsm.NetInfoBond{
				IPConfig: ip, HWAddr: l.Address, MTU: mtu,
				Slaves:      fieldsOrEmpty(r.str(dir + "bonding/slaves")),
				ActiveSlave: r.str(dir + "bonding/active_slave"),
				Opts:        bondOpts(r, dir+"bonding/"), Switch: "legacy",
			}
		case isVLAN(r, name, vlans):
			v := vlans[name]
			if v.parent == "" {
				v = vlanFromSysfs(r, name)
			}
			nc.VLANs[name] = vdsm.NetInfoVLAN{IPConfig: ip, Iface: v.parent, VLANID: v.id, MTU: mtu}
		case (r.exists(dir+"device") || matches(fakeNICs, name)) && !hidden(name):
			nc.NICs[name] = vdsm.NetInfoNIC{
				IPConfig: ip, HWAddr: l.Address, MTU: mtu, Speed: l.Speed,
				PermHWAddr: r.str(dir + "bonding_slave/perm_hwaddr"),
			}
		}
	}
	return nc
}

func hidden(name string) bool { return matches(hiddenNICs, name) }

func matches(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// ConfiguredNetwork is one logical network of the running configuration, as caps report it.
type ConfiguredNetwork struct {
	Bridged bool
	// Device carries the network's addresses: its bridge when bridged, else the NIC, bond or VLAN
	// device it sits on.
	Device string
	MTU    int
	STP    bool
}

// NetworkReport is what the network actor adds to the capabilities: its running networks and
// whether they changed since the last Host.setSafeNetworkConfig.
type NetworkReport struct {
	Networks map[string]ConfiguredNetwork
	Dirty    bool
}

// ApplyNetworkReport fills caps' networks from the running configuration, with addresses, ports
// and MTU read from the devices caps already hold, so a network reports what the kernel has. A
// network whose device is gone is left out rather than reported from memory.
func ApplyNetworkReport(c *vdsm.HostCapabilities, rep *NetworkReport) {
	if rep == nil {
		return
	}
	c.NetConfigDirty = "False"
	if rep.Dirty {
		c.NetConfigDirty = "True"
	}
	for name, n := range rep.Networks {
		if n.Bridged {
			br, ok := c.Bridges[n.Device]
			if !ok {
				continue
			}
			net := vdsm.NetInfoNetwork{IPConfig: br.IPConfig, Bridged: true, Iface: n.Device,
				MTU: br.MTU, Ports: br.Ports, STP: br.STP, Switch: "legacy"}
			net.Southbound = bridgeSouthbound(c, br.Ports)
			net.VLANID = southboundVLAN(c, net.Southbound)
			c.Networks[name] = net
			continue
		}
		var ip vdsm.IPConfig
		var mtu string
		if d, ok := c.NICs[n.Device]; ok {
			ip, mtu = d.IPConfig, d.MTU
		} else if d, ok := c.VLANs[n.Device]; ok {
			ip, mtu = d.IPConfig, d.MTU
		} else if d, ok := c.Bondings[n.Device]; ok {
			ip, mtu = d.IPConfig, d.MTU
		} else {
			continue
		}
		sb := n.Device
		c.Networks[name] = vdsm.NetInfoNetwork{IPConfig: ip, Bridged: false, Iface: n.Device, Interface: n.Device, MTU: mtu,
			Switch: "legacy", Southbound: &sb, VLANID: southboundVLAN(c, &sb)}
	}
}

// bridgeSouthbound is VDSM's rule: the bridge's one port that is a bond, else its one NIC, else its
// one VLAN; none (or several of the first kind found) is null.
func bridgeSouthbound(c *vdsm.HostCapabilities, ports []string) *string {
	kinds := []func(string) bool{
		func(p string) bool { _, ok := c.Bondings[p]; return ok },
		func(p string) bool { _, ok := c.NICs[p]; return ok },
		func(p string) bool { _, ok := c.VLANs[p]; return ok },
	}
	for _, is := range kinds {
		var found []string
		for _, p := range ports {
			if is(p) {
				found = append(found, p)
			}
		}
		if len(found) == 1 {
			return &found[0]
		}
	}
	return nil
}

func southboundVLAN(c *vdsm.HostCapabilities, sb *string) *int {
	if sb == nil {
		return nil
	}
	v, ok := c.VLANs[*sb]
	if !ok {
		return nil
	}
	id := v.VLANID
	return &id
}

func fieldsOrEmpty(s string) []string {
	f := strings.Fields(s)
	if f == nil {
		return []string{}
	}
	return f
}

func bridgeSTP(state string) string {
	if state == "" || state == "0" {
		return "off"
	}
	return "on"
}

// bridgeOpts is every readable attribute of the bridge directory, as VDSM reports them.
func bridgeOpts(r fsRoot, dir string) map[string]string {
	opts := map[string]string{}
	for _, n := range r.names(dir) {
		b, err := r.read(dir + "/" + n)
		if err != nil {
			continue // write-only knobs (flush) and subdirectories
		}
		opts[n] = strings.TrimSpace(string(b))
	}
	return opts
}

// bondOpts reports, as VDSM does, the mode and the options that differ from the mode's kernel
// defaults, by number where sysfs prints "name number" (mode "active-backup 1" is "1").
func bondOpts(r fsRoot, dir string) map[string]string {
	values := map[string]string{}
	for _, n := range hostnet.BondOptionNames() {
		b, err := r.read(dir + n)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		v := strings.Join(f, " ")
		switch {
		case n == "arp_ip_target":
			v = strings.Join(f, ",") // as the engine writes it
		case len(f) == 2:
			if _, err := strconv.Atoi(f[1]); err == nil {
				v = f[1]
			}
		}
		values[n] = v
	}
	return hostnet.NonDefaultBondOptions(values)
}

// readVLANConfig reads /proc/net/vlan/config (present once the 8021q module is loaded):
// "name | id | parent" after two header lines.
func readVLANConfig(r fsRoot) map[string]vlanLink {
	out := map[string]vlanLink{}
	b, err := r.read("/proc/net/vlan/config")
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) != 3 {
			continue
		}
		id, err := strconv.Atoi(strings.TrimSpace(f[1]))
		if err != nil {
			continue // the "Name-Type" header
		}
		out[strings.TrimSpace(f[0])] = vlanLink{parent: strings.TrimSpace(f[2]), id: id}
	}
	return out
}

func isVLAN(r fsRoot, name string, known map[string]vlanLink) bool {
	if _, ok := known[name]; ok {
		return true
	}
	return ueventDevType(r, name) == "vlan"
}

func ueventDevType(r fsRoot, name string) string {
	b, _ := r.read(netDir + "/" + name + "/uevent")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "DEVTYPE="); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// vlanFromSysfs recovers a VLAN's parent from its lower_<parent> link and its tag from a
// "<parent>.<tag>" name, for hosts where /proc/net/vlan is not there to ask.
func vlanFromSysfs(r fsRoot, name string) vlanLink {
	var v vlanLink
	for _, n := range r.names(netDir + "/" + name) {
		if p, ok := strings.CutPrefix(n, "lower_"); ok {
			v.parent = p
		}
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		v.id, _ = strconv.Atoi(name[i+1:])
	}
	return v
}

// readNameservers lists the resolver's servers from /etc/resolv.conf, in order.
func readNameservers(r fsRoot) []string {
	out := []string{}
	b, err := r.read("/etc/resolv.conf")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			out = append(out, f[1])
		}
	}
	return out
}

// NetworkCapabilities is Host.getNetworkCapabilities' answer: the network part of the
// capabilities (VDSM's network_caps plus netConfigDirty), read without asking libvirt.
type NetworkCapabilities struct {
	Networks       map[string]vdsm.NetInfoNetwork `json:"networks"`
	Bridges        map[string]vdsm.NetInfoBridge  `json:"bridges"`
	NICs           map[string]vdsm.NetInfoNIC     `json:"nics"`
	Bondings       map[string]vdsm.NetInfoBond    `json:"bondings"`
	VLANs          map[string]vdsm.NetInfoVLAN    `json:"vlans"`
	Nameservers    []string                       `json:"nameservers"`
	SupportsIPv6   bool                           `json:"supportsIPv6"`
	NetConfigDirty string                         `json:"netConfigDirty"`
}

func buildNetworkCapabilities(r fsRoot, fakeNICs []string, rep *NetworkReport) NetworkCapabilities {
	nc := readNetCaps(r, hostAddrs(r), fakeNICs)
	c := vdsm.HostCapabilities{Networks: nc.Networks, Bridges: nc.Bridges, NICs: nc.NICs, Bondings: nc.Bondings,
		VLANs: nc.VLANs, NetConfigDirty: "False"}
	ApplyNetworkReport(&c, rep)
	return NetworkCapabilities{Networks: c.Networks, Bridges: c.Bridges, NICs: c.NICs, Bondings: c.Bondings,
		VLANs: c.VLANs, Nameservers: nc.Nameservers, SupportsIPv6: nc.SupportsIPv6, NetConfigDirty: c.NetConfigDirty}
}
