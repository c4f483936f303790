package hostnet

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/vishvananda/netns"
)

// ipv6ConfKeys are the per-device IPv6 settings the agent manages, files of
// /proc/sys/net/ipv6/conf/<device>/. The kernel has no netlink call that sets them.
var ipv6ConfKeys = []string{"accept_ra", "autoconf", "disable_ipv6"}

// staticIPv6 is what a network's device gets when the network has an IPv6 address: the agent
// runs no SLAAC or DHCPv6 (it refuses ipv6autoconf and dhcpv6), so a router advertisement must
// not add addresses or routes the network does not have, and caps must not report
// ipv6autoconf, which the engine reads as the network's IPv6 boot protocol. VDSM's nmstate
// configuration (nmstate/ip.py _create_ipv6) turns autoconf off likewise.
var staticIPv6 = map[string]string{"accept_ra": "0", "autoconf": "0", "disable_ipv6": "0"}

// noIPv6 is what a network's device gets when the network has no IPv6 address: VDSM's
// _create_ipv6 then sets the device's IPv6 "enabled: false", which NetworkManager applies as
// disable_ipv6=1, so the device has not even a link-local address. Keys are written in order,
// so autoconfiguration is already off should anything turn IPv6 back on.
var noIPv6 = map[string]string{"accept_ra": "0", "autoconf": "0", "disable_ipv6": "1"}

// inNamespace runs fn where /proc/sys/net is the handle's namespace's. For another namespace
// that is a thread that entered it (which needs CAP_SYS_ADMIN, as a test running as root has);
// the thread is never unlocked, so the runtime discards it when fn returns rather than let
// another goroutine run in the wrong namespace. The agent's own namespace needs no entering, so
// an agent with CAP_NET_ADMIN alone can change it.
func (h *Handle) inNamespace(fn func() error) error {
	if h.own {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := netns.Set(h.ns); err != nil {
			errc <- fmt.Errorf("enter the network namespace: %w", err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// readIPv6Conf fills in the managed IPv6 settings of each link, and says whether the namespace
// has IPv6 at all (a kernel booted with ipv6.disable=1 has no /proc/sys/net/ipv6).
func (h *Handle) readIPv6Conf(links []Link) (bool, error) {
	has := false
	err := h.inNamespace(func() error {
		if _, err := os.Stat("/proc/sys/net/ipv6/conf"); err != nil {
			return nil
		}
		has = true
		for i := range links {
			conf := map[string]string{}
			for _, k := range ipv6ConfKeys {
				b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + links[i].Name + "/" + k)
				if errors.Is(err, fs.ErrNotExist) {
					continue // a link gone since it was listed, or one without IPv6
				}
				if err != nil {
					return err
				}
				conf[k] = strings.TrimSpace(string(b))
			}
			if len(conf) > 0 {
				links[i].IPv6Conf = conf
			}
		}
		return nil
	})
	return has, err
}

// confString renders settings as a step carries them: "key=value" pairs in key order.
func confString(conf map[string]string) string {
	pairs := make([]string, 0, len(conf))
	for k, v := range conf {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, " ")
}

// parseConf is confString's inverse. Only the managed keys are accepted: a step names files
// under /proc/sys, and a journal read from disk must not name any other.
func parseConf(s string) ([][2]string, error) {
	var out [][2]string
	for _, pair := range strings.Fields(s) {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || !slices.Contains(ipv6ConfKeys, k) || strings.ContainsAny(v, "/\x00") {
			return nil, fmt.Errorf("bad IPv6 setting %q", pair)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// setIPv6Conf writes settings of one link, in key order.
func (h *Handle) setIPv6Conf(link, conf string) error {
	pairs, err := parseConf(conf)
	if err != nil {
		return err
	}
	if strings.ContainsAny(link, "/") || link == "." || link == ".." {
		return fmt.Errorf("bad link name %q", link)
	}
	return h.inNamespace(func() error {
		for _, kv := range pairs {
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+link+"/"+kv[0], []byte(kv[1]), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

// setIPv6Conf gives a link the IPv6 settings in want. The undo puts back the values the link
// had; a link the plan created has none known, and deleting it undoes everything.
func (p *planner) setIPv6Conf(name string, want map[string]string) {
	l := p.links[name]
	if l == nil || !p.ipv6 {
		return
	}
	do, undo := map[string]string{}, map[string]string{}
	for k, v := range want {
		old, known := l.IPv6Conf[k]
		if known && old == v {
			continue
		}
		do[k] = v
		if known {
			undo[k] = old
		}
	}
	if len(do) == 0 {
		return
	}
	var undos []Step
	if len(undo) > 0 {
		undos = append(undos, Step{Op: OpSetIPv6Conf, Link: name, Conf: confString(undo)})
	}
	p.emit(Step{Op: OpSetIPv6Conf, Link: name, Conf: confString(do)}, undos...)
	if l.IPv6Conf == nil {
		l.IPv6Conf = map[string]string{}
	}
	maps.Copy(l.IPv6Conf, do)
}
