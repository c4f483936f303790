package hostnet

import "slices"

func (p *planner) removeBond(name string) {
	for _, slave := range p.ports(name) {
		p.setNoMaster(slave)
	}
	p.deleteLink(name)
}

// setupBond creates a bond or changes its options and slaves. The kernel enslaves only links
// that are down, so each new slave is taken down first and brought up once enslaved.
func (p *planner) setupBond(b Bond) {
	// Validation parsed the options already.
	want, _ := parseBondOptions(b.Name, b.Options, func(string) bool { return true })
	if l, ok := p.links[b.Name]; !ok {
		p.emit(Step{Op: OpCreateBond, Link: b.Name, Options: want.String()}, Step{Op: OpDeleteLink, Link: b.Name})
		p.links[b.Name] = &Link{Name: b.Name, Kind: KindBond, MTU: DefaultMTU, BondOptions: want.String()}
		// VDSM's Bond.generate_state: a new bond's IP stacks are disabled; a network set up on
		// it gives it the addresses and the IPv6 settings it has. Before the bond comes up, so
		// that it makes no link-local address.
		p.setIPv6Conf(b.Name, noIPv6)
	} else if l.BondOptions != want.String() {
		p.setBondOptions(l, want, b.NICs)
	}
	for _, slave := range p.ports(b.Name) {
		if !slices.Contains(b.NICs, slave) {
			p.setNoMaster(slave)
		}
	}
	for _, nic := range b.NICs {
		if p.links[nic].Master == b.Name {
			continue
		}
		p.flushAddrs(nic, nil, nil)
		p.setUp(nic, false)
		p.setMaster(nic, b.Name)
		p.setUp(nic, true)
	}
	p.setUp(b.Name, true)
}

// setBondOptions changes a running bond's options to want. The kernel changes most of them on a
// live bond, and only the values that differ are set; it changes the mode (and the few options
// marked disruptive) only on a bond that is down and has no slaves, so then the slaves are
// released, the bond taken down and every option of the new mode set, as VDSM's ifcfg
// configurator rewrote the whole bond; setupBond enslaves the slaves again and brings it up.
// Each step's undo sets back the values it changed, so a rollback leaves the bond as it was.
func (p *planner) setBondOptions(l *Link, want bondOpts, nics []string) {
	have := parseCanonical(l.BondOptions).full()
	next := want.full()
	disruptive := false
	changed := bondOpts{}
	for _, o := range bondOptionTable {
		if v, ok := next[o.name]; ok && v != have[o.name] {
			changed[o.name] = v
			disruptive = disruptive || o.disruptive
		}
	}
	if !disruptive {
		undo := bondOpts{}
		for k := range changed {
			undo[k] = have[k]
		}
		p.emit(Step{Op: OpSetBondOptions, Link: l.Name, Options: changed.list()}, Step{Op: OpSetBondOptions, Link: l.Name, Options: undo.list()})
		l.BondOptions = want.String()
		return
	}
	// Released last to first, so that a rollback enslaves them again first to last: the bond
	// takes the address of the first slave it gets.
	ports := p.ports(l.Name)
	slices.Reverse(ports)
	for _, slave := range ports {
		if slices.Contains(nics, slave) {
			p.releaseSlave(slave)
		} else {
			p.setNoMaster(slave)
		}
	}
	p.setUp(l.Name, false)
	p.emit(Step{Op: OpSetBondOptions, Link: l.Name, Options: next.list()}, Step{Op: OpSetBondOptions, Link: l.Name, Options: have.list()})
	l.BondOptions = want.String()
}

// releaseSlave takes a slave out of its bond and leaves it down, as the bonding driver does:
// it is to be enslaved again.
func (p *planner) releaseSlave(name string) {
	l := p.links[name]
	undo := []Step{{Op: OpSetMaster, Link: name, Master: l.Master}}
	if !l.Up {
		undo = append(undo, Step{Op: OpLinkDown, Link: name})
	}
	p.emit(Step{Op: OpSetNoMaster, Link: name}, undo...)
	l.Master, l.Up = "", false
}
