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
	if s, ok := r.int64(dir + "speed"); ok && s > 0 {
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

// reportedState maps the kernel's RFC 2863 operstate onto up/down/unknown. Devices without a
// carrier notion (loopback, some virtual devices) say "unknown" even while they pass traffic;
// those count as up when they are administratively up with a carrier.
func reportedState(l linkAttrs) string {
	switch l.OperState {
	case "up":
		return "up"
	case "down", "lowerlayerdown", "notpresent", "dormant":
		return "down"
	case "":
		return "unknown" // no sysfs entry to ask
	}
	switch {
	case l.Up && l.Carrier:
		return "up"
	case !l.Up:
		return "down"
	}
	return "unknown"
}
