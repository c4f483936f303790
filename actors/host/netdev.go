package host

import (
	"strconv"
	"strings"
)

// ifCounters are one interface's totals, the sysfs statistics VDSM reads (link/iface.py
// statistics). /proc/net/dev would not do: its receive "drop" adds rx_missed_errors.
type ifCounters struct {
	RxBytes, RxErrs, RxDrop uint64
	TxBytes, TxErrs, TxDrop uint64
}

// readCounters reads one interface's statistics; false when a file is missing or unreadable,
// as for a device removed meanwhile, which VDSM leaves out too (ENODEV).
func readCounters(r fsRoot, name string) (ifCounters, bool) {
	dir := netDir + "/" + name + "/statistics/"
	var c ifCounters
	for _, f := range []struct {
		file string
		to   *uint64
	}{
		{"rx_bytes", &c.RxBytes}, {"rx_errors", &c.RxErrs}, {"rx_dropped", &c.RxDrop},
		{"tx_bytes", &c.TxBytes}, {"tx_errors", &c.TxErrs}, {"tx_dropped", &c.TxDrop},
	} {
		n, err := strconv.ParseUint(r.str(dir+f.file), 10, 64)
		if err != nil {
			return ifCounters{}, false
		}
		*f.to = n
	}
	return c, true
}

// duplex is VDSM's nic.duplex: the sysfs value ("full", "half", "unknown"), "unknown" when the
// file cannot be read (no such attribute, or EINVAL from a link that is down).
func duplex(r fsRoot, name string) string {
	if d := r.str(netDir + "/" + name + "/duplex"); d != "" {
		return d
	}
	return "unknown"
}

// linkAttrs are the /sys/class/net/<name> attributes the agent reports.
type linkAttrs struct {
	OperState string
	Speed     int // Mb/s; 0 when the kernel does not know (link down, virtual device)
	Address   string
	MTU       int
	Up        bool // administratively up (IFF_UP)
	Carrier   bool
}

const netDir = "/sys/class/net"

func readLink(r fsRoot, name string) linkAttrs {
	dir := netDir + "/" + name + "/"
	l := linkAttrs{OperState: r.str(dir + "operstate"), Address: r.str(dir + "address")}
	// VDSM's read_speed_using_sysfs (link/nic.py) refuses the values drivers give for "no link"
	// as well as the kernel's SPEED_UNKNOWN (-1).
	if s, ok := r.int64(dir + "speed"); ok && s > 0 && s != 1<<16-1 && s != 1<<32-1 {
		l.Speed = int(s)
	}
	if m, ok := r.int64(dir + "mtu"); ok {
		l.MTU = int(m)
	}
	if f, err := strconv.ParseUint(strings.TrimPrefix(r.str(dir+"flags"), "0x"), 16, 64); err == nil {
		l.Up = f&0x1 != 0
	}
	l.Carrier = r.str(dir+"carrier") == "1"
	return l
}

// operUp is the kernel's IFF_UP && IFF_RUNNING, which VDSM's statistics report as the
// interface's state (link/iface.py statistics, is_oper_up): IFF_RUNNING is set when the
// operstate is up or unknown (netif_oper_up), the latter for devices without a carrier notion
// such as loopback. sysfs' flags file does not carry IFF_RUNNING, hence the operstate.
func operUp(l linkAttrs) bool {
	return l.Up && (l.OperState == "up" || l.OperState == "unknown")
}

func reportedState(l linkAttrs) string {
	if operUp(l) {
		return "up"
	}
	return "down"
}

// statsSpeed is an interface's speed as VDSM's statistics report it (link/stats.py
// _generate_iface_stats): the kernel's figure for NICs, a bond's from its slaves, a VLAN's from
// the device under it, 0 for every other kind (bridge, veth, dummy, loopback, SR-IOV VF), and
// 0 for a link that is not operationally up. netstats.py then reports 0 as 1000.
func statsSpeed(r fsRoot, name string, vlans map[string]vlanLink) int {
	dir := netDir + "/" + name + "/"
	switch {
	case r.exists(dir + "bonding"):
		return bondSpeed(r, name)
	case isVLAN(r, name, vlans):
		parent := vlans[name].parent
		if parent == "" {
			parent = vlanFromSysfs(r, name).parent
		}
		// vlan.py speed: over a NIC the VLAN's own figure (the kernel passes its parent's
		// through), over a bond the bond's.
		switch {
		case isStatsNIC(r, parent):
			return nicSpeed(r, name)
		case r.exists(netDir + "/" + parent + "/bonding"):
			return bondSpeed(r, parent)
		}
		return 0
	case isStatsNIC(r, name):
		return nicSpeed(r, name)
	}
	return 0
}

// isStatsNIC says VDSM would type the link a NIC: a device with no rtnetlink kind that has a
// driver, which in sysfs is a device link. A VF (device/physfn) is a type of its own.
func isStatsNIC(r fsRoot, name string) bool {
	dir := netDir + "/" + name + "/"
	return name != "" && r.exists(dir+"device") && !r.exists(dir+"device/physfn")
}

// nicSpeed is VDSM's nic.speed: the sysfs speed of a link that is operationally up, else 0.
func nicSpeed(r fsRoot, name string) int {
	l := readLink(r, name)
	if !operUp(l) {
		return 0
	}
	return l.Speed
}

// bondSpeed is VDSM's bond_speed.speed: by mode number, the active slave's speed
// (active-backup), the slowest slave's (broadcast) or the slaves' sum (the load-balancing
// modes); 0 without slaves or for another mode.
func bondSpeed(r fsRoot, name string) int {
	dir := netDir + "/" + name + "/bonding/"
	slaves := strings.Fields(r.str(dir + "slaves"))
	mode := strings.Fields(r.str(dir + "mode")) // "active-backup 1"
	if len(slaves) == 0 || len(mode) != 2 {
		return 0
	}
	switch mode[1] {
	case "1":
		if active := r.str(dir + "active_slave"); active != "" {
			return nicSpeed(r, active)
		}
		return 0
	case "3":
		low := nicSpeed(r, slaves[0])
		for _, s := range slaves[1:] {
			low = min(low, nicSpeed(r, s))
		}
		return low
	case "0", "2", "4", "5", "6":
		sum := 0
		for _, s := range slaves {
			sum += nicSpeed(r, s)
		}
		return sum
	}
	return 0
}
