package host

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ifCounters are one interface's totals from /proc/net/dev.
type ifCounters struct {
	RxBytes, RxPackets, RxErrs, RxDrop uint64
	TxBytes, TxPackets, TxErrs, TxDrop uint64
}

// parseNetDev reads /proc/net/dev: two header lines, then "name: 8 receive and 8 transmit
// counters".
func parseNetDev(b []byte) (map[string]ifCounters, error) {
	out := map[string]ifCounters{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue // a header line
		}
		f := strings.Fields(rest)
		if len(f) < 12 {
			return nil, fmt.Errorf("/proc/net/dev %s: %d fields", strings.TrimSpace(name), len(f))
		}
		var v [16]uint64
		for i := 0; i < len(f) && i < len(v); i++ {
			n, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("/proc/net/dev %s: %w", strings.TrimSpace(name), err)
			}
			v[i] = n
		}
		out[strings.TrimSpace(name)] = ifCounters{
			RxBytes: v[0], RxPackets: v[1], RxErrs: v[2], RxDrop: v[3],
			TxBytes: v[8], TxPackets: v[9], TxErrs: v[10], TxDrop: v[11],
		}
	}
	return out, sc.Err()
}

func readNetDev(r fsRoot) (map[string]ifCounters, error) {
	b, err := r.read("/proc/net/dev")
	if err != nil {
		return nil, err
	}
	return parseNetDev(b)
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
