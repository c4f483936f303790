package hostnet

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
)

// apply runs one step on the planner's link model, the way the kernel would, and refuses what
// the kernel refuses.
func (p *planner) apply(s Step) error {
	l := p.links[s.Link]
	switch s.Op {
	case OpCreateBridge:
		p.links[s.Link] = &Link{Name: s.Link, Kind: KindBridge, MTU: s.MTU, STP: s.STP}
	case OpCreateVLAN:
		p.links[s.Link] = &Link{Name: s.Link, Kind: KindVLAN, MTU: s.MTU, Parent: s.Parent, VLANID: s.VLAN}
	case OpCreateBond:
		p.links[s.Link] = &Link{Name: s.Link, Kind: KindBond, MTU: DefaultMTU, BondOptions: parseCanonical(s.Options).String()}
	case OpSetBondOptions:
		return p.setBondOpts(l, parseCanonical(s.Options))
	case OpDeleteLink:
		gone := p.links[s.Link]
		delete(p.links, s.Link)
		for _, o := range p.links {
			if o.Master == s.Link {
				o.Master = ""
				o.Up = o.Up && gone.Kind != KindBond
			}
		}
		for f, r := range p.routes {
			if r != nil && r.Dev == s.Link {
				p.routes[f] = nil
			}
		}
	// The bonding driver opens a slave it enslaves and closes one it releases.
	case OpSetMaster:
		l.Master = s.Master
		l.Up = l.Up || p.links[s.Master].Kind == KindBond
	case OpSetNoMaster:
		l.Up = l.Up && p.links[l.Master].Kind != KindBond
		l.Master = ""
	case OpSetMTU:
		l.MTU = s.MTU
	case OpLinkUp:
		l.Up = true
	case OpLinkDown:
		l.Up = false
	case OpAddAddr:
		if family(s.Addr) == ipv6 && l.IPv6Conf["disable_ipv6"] == "1" {
			return fmt.Errorf("%s: IPv6 address %s on a link with IPv6 disabled", s.Link, s.Addr)
		}
		l.Addrs = append(l.Addrs, s.Addr)
	case OpDelAddr:
		if !slices.Contains(l.Addrs, s.Addr) {
			return fmt.Errorf("%s: no address %s to delete", s.Link, s.Addr)
		}
		l.Addrs = slices.DeleteFunc(l.Addrs, func(a string) bool { return a == s.Addr })
	case OpSetIPv6Conf:
		if l.IPv6Conf == nil {
			l.IPv6Conf = map[string]string{}
		}
		pairs, _ := parseConf(s.Conf)
		for _, kv := range pairs {
			l.IPv6Conf[kv[0]] = kv[1]
		}
		// Disabling IPv6 takes every IPv6 address of the link away, and the routes through it.
		if l.IPv6Conf["disable_ipv6"] == "1" {
			l.Addrs = slices.DeleteFunc(l.Addrs, func(a string) bool { return family(a) == ipv6 })
			if r := p.routes[ipv6]; r != nil && r.Dev == s.Link {
				p.routes[ipv6] = nil
			}
		}
	case OpAddRoute:
		if family(s.Gateway) == ipv6 && l.IPv6Conf["disable_ipv6"] == "1" {
			return fmt.Errorf("%s: IPv6 route on a link with IPv6 disabled", s.Link)
		}
		p.routes[family(s.Gateway)] = &Route{Gateway: s.Gateway, Dev: s.Link}
	case OpDelRoute:
		p.routes[family(s.Gateway)] = nil
	}
	return nil
}

// setBondOpts is the kernel's bond_changelink: the mode and the disruptive options only on a
// bond that is down with no slaves; a new mode resets what bond_option_mode_set resets, then
// the other values are set, each only in a mode that takes it.
func (p *planner) setBondOpts(l *Link, set bondOpts) error {
	cur := parseCanonical(l.BondOptions).full()
	busy := l.Up || len(p.ports(l.Name)) > 0
	for _, o := range bondOptionTable {
		if v, ok := set[o.name]; ok && o.disruptive && v != cur[o.name] && busy {
			return fmt.Errorf("%s: %s changed on a bond that is up or has slaves", l.Name, o.name)
		}
	}
	if m, ok := set["mode"]; ok {
		next := bondOpts{"mode": m}
		for k, v := range cur {
			if k != "arp_validate" && k != "mode" {
				next[k] = v
			}
		}
		cur = next.full()
		switch cur.mode() {
		case mode8023AD, modeTLB, modeALB:
			if cur["miimon"] == "0" {
				cur["miimon"] = "100"
			}
		}
		if cur.mode() == modeALB {
			cur["tlb_dynamic_lb"] = "1"
		}
	}
	mode := cur.mode()
	for _, o := range bondOptionTable[1:] {
		if v, ok := set[o.name]; ok {
			if !o.inMode(mode) {
				return fmt.Errorf("%s: %s not accepted in mode %d", l.Name, o.name, mode)
			}
			cur[o.name] = v
		}
	}
	l.BondOptions = cur.String()
	return nil
}

// snapshot renders the model with sorted addresses, for comparing two states.
func (p *planner) snapshot() string {
	var links []Link
	for _, l := range p.links {
		c := *l
		c.Addrs = slices.Clone(c.Addrs)
		c.IPv6Conf = maps.Clone(c.IPv6Conf)
		sort.Strings(c.Addrs)
		if len(c.Addrs) == 0 {
			c.Addrs = nil
		}
		links = append(links, c)
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Name < links[j].Name })
	b, _ := json.Marshal(struct {
		Links  []Link
		Routes [2]*Route
	}{links, p.routes})
	return string(b)
}
