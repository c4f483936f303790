package hostnet

import (
	"maps"
	"reflect"
	"slices"
	"sort"
)

// Op is what one step does to the kernel.
type Op string

// The steps a plan is made of; each is one netlink call in the adapter.
const (
	OpCreateBridge   = Op("create-bridge")     // Link, MTU, STP
	OpCreateVLAN     = Op("create-vlan")       // Link, Parent, VLAN, MTU
	OpCreateBond     = Op("create-bond")       // Link, Options
	OpDeleteLink     = Op("delete-link")       // Link
	OpSetMaster      = Op("set-master")        // Link, Master
	OpSetNoMaster    = Op("set-nomaster")      // Link
	OpSetBondOptions = Op("set-bond-options")  // Link, Options (canonical values to set)
	OpSetMTU         = Op("set-mtu")           // Link, MTU
	OpLinkUp         = Op("link-up")           // Link
	OpLinkDown       = Op("link-down")         // Link
	OpAddAddr        = Op("add-addr")          // Link, Addr
	OpDelAddr        = Op("del-addr")          // Link, Addr
	OpSetIPv6Conf    = Op("set-ipv6-conf")     // Link, Conf
	OpAddRoute       = Op("add-default-route") // Link, Gateway (IPv4 or IPv6)
	OpDelRoute       = Op("del-default-route") // Link, Gateway
)

// Step is one kernel change.
type Step struct {
	Op      Op     `json:"op"`
	Link    string `json:"link"`
	Master  string `json:"master,omitempty"`
	Parent  string `json:"parent,omitempty"`
	VLAN    int    `json:"vlan,omitempty"`
	MTU     int    `json:"mtu,omitempty"`
	STP     bool   `json:"stp,omitempty"`
	Addr    string `json:"addr,omitempty"`
	Gateway string `json:"gateway,omitempty"`
	Options string `json:"options,omitempty"`
	// Conf are IPv6 settings of the link (/proc/sys/net/ipv6/conf/<link>/<key>), as
	// "key=value" pairs in key order.
	Conf string `json:"conf,omitempty"`
}

// Change is a step and the steps that undo it, computed from the state the step found. The
// inverse is known before the step runs, so a failure half-way can always be rolled back.
type Change struct {
	Do   Step   `json:"do"`
	Undo []Step `json:"undo,omitempty"`
}

// Plan is an ordered list of changes and the running configuration once they are applied.
type Plan struct {
	Changes []Change `json:"changes"`
	Config  Config   `json:"config"`
}

// Rollback is the steps that undo the first applied changes, newest first.
func (p Plan) Rollback(applied int) []Step {
	var steps []Step
	for i := applied - 1; i >= 0; i-- {
		steps = append(steps, p.Changes[i].Undo...)
	}
	return steps
}

// PlanSetup validates req against cur and turns it into a plan. Like VDSM's legacy switch it
// removes networks (those to remove and those that change), then bonds, then sets up bonds,
// then networks; a changed network is removed and added again.
func PlanSetup(cur Current, req Request) (Plan, error) {
	if err := Validate(cur, req); err != nil {
		return Plan{}, err
	}
	cur = cur.named()
	req = handOverDefaultRoute(cur, req)
	desired := desiredConfig(cur, req)
	p := newPlanner(cur)

	var removeNets, routeNets, addNets []Network
	for _, n := range req.Networks {
		old, running := cur.Networks[n.Name]
		switch {
		case n.Remove:
			removeNets = append(removeNets, old)
		case running && reflect.DeepEqual(old, n):
		case running && onlyDefaultRouteDiffers(old, n):
			routeNets = append(routeNets, n)
		case running:
			removeNets = append(removeNets, old)
			addNets = append(addNets, n)
		default:
			addNets = append(addNets, n)
		}
	}
	for _, n := range removeNets {
		p.removeNetwork(n)
		if baseIPOffOnRemoval(req, n) {
			p.disableIPStacks(n.Southbound())
		}
	}
	for _, b := range req.Bonds {
		if b.Remove {
			p.removeBond(b.Name)
		}
	}
	for _, b := range req.Bonds {
		if !b.Remove {
			p.setupBond(b)
		}
	}
	for _, n := range routeNets {
		p.setRoutes(n)
	}
	for _, n := range addNets {
		p.addNetwork(n, southboundMTU(desired, n.Southbound()), baseIPOff(cur, req, n))
	}
	return Plan{Changes: p.changes, Config: desired}, nil
}

// southboundMTU is the MTU a shared device needs: the largest of its networks'.
func southboundMTU(c Config, dev string) int {
	mtu := 0
	for _, n := range c.Networks {
		if n.Southbound() == dev && n.MTU > mtu {
			mtu = n.MTU
		}
	}
	return mtu
}

// planner emits changes while keeping a model of the links up to date, so each decision and
// each inverse sees the state left by the steps before it.
type planner struct {
	links   map[string]*Link
	routes  [2]*Route // the default routes, by family (ipv4, ipv6)
	ipv6    bool      // the kernel has IPv6 settings to change
	changes []Change
}

func newPlanner(cur Current) *planner {
	p := &planner{links: map[string]*Link{}, changes: []Change{}, ipv6: cur.IPv6}
	for _, l := range cur.Links {
		l.Addrs = slices.Clone(l.Addrs)
		l.IPv6Conf = maps.Clone(l.IPv6Conf)
		p.links[l.Name] = &l
	}
	for f, r := range []*Route{cur.DefaultRoute, cur.DefaultRoute6} {
		if r != nil {
			c := *r
			p.routes[f] = &c
		}
	}
	return p
}

func (p *planner) emit(do Step, undo ...Step) {
	p.changes = append(p.changes, Change{Do: do, Undo: undo})
}

func (p *planner) createBridge(name string, mtu int, stp bool) {
	p.emit(Step{Op: OpCreateBridge, Link: name, MTU: mtu, STP: stp}, Step{Op: OpDeleteLink, Link: name})
	p.links[name] = &Link{Name: name, Kind: KindBridge, MTU: mtu, STP: stp}
}

func (p *planner) createVLAN(name, parent string, id, mtu int) {
	p.emit(Step{Op: OpCreateVLAN, Link: name, Parent: parent, VLAN: id, MTU: mtu}, Step{Op: OpDeleteLink, Link: name})
	p.links[name] = &Link{Name: name, Kind: KindVLAN, MTU: mtu, Parent: parent, VLANID: id}
}

func (p *planner) deleteLink(name string) {
	l, ok := p.links[name]
	if !ok {
		return
	}
	var undo []Step
	switch l.Kind {
	case KindBridge:
		undo = append(undo, Step{Op: OpCreateBridge, Link: name, MTU: l.MTU, STP: l.STP})
	case KindVLAN:
		undo = append(undo, Step{Op: OpCreateVLAN, Link: name, Parent: l.Parent, VLAN: l.VLANID, MTU: l.MTU})
	case KindBond:
		undo = append(undo, Step{Op: OpCreateBond, Link: name, Options: l.BondOptions}, Step{Op: OpSetMTU, Link: name, MTU: l.MTU})
	}
	if len(l.IPv6Conf) > 0 {
		undo = append(undo, Step{Op: OpSetIPv6Conf, Link: name, Conf: confString(l.IPv6Conf)})
	}
	if l.Up {
		undo = append(undo, Step{Op: OpLinkUp, Link: name})
	}
	p.emit(Step{Op: OpDeleteLink, Link: name}, undo...)
	delete(p.links, name)
}

func (p *planner) setMaster(name, master string) {
	l := p.links[name]
	if l == nil || l.Master == master {
		return
	}
	undo := []Step{{Op: OpSetNoMaster, Link: name}}
	if l.Master != "" {
		undo = []Step{{Op: OpSetMaster, Link: name, Master: l.Master}}
		// Enslaving it to its bond again opens it: a slave that was down is put back down.
		if m := p.links[l.Master]; m != nil && m.Kind == KindBond && !l.Up {
			undo = append(undo, Step{Op: OpLinkDown, Link: name})
		}
	}
	p.emit(Step{Op: OpSetMaster, Link: name, Master: master}, undo...)
	l.Master = master
}

func (p *planner) setNoMaster(name string) {
	l := p.links[name]
	if l == nil || l.Master == "" {
		return
	}
	// The bonding driver closes a slave it releases and opens one it enslaves (a bridge does
	// neither): a released NIC is brought up again as it was, and put back down by the undo if
	// it was down.
	m := p.links[l.Master]
	bonded := m != nil && m.Kind == KindBond
	undo := []Step{{Op: OpSetMaster, Link: name, Master: l.Master}}
	if bonded && !l.Up {
		undo = append(undo, Step{Op: OpLinkDown, Link: name})
	}
	p.emit(Step{Op: OpSetNoMaster, Link: name}, undo...)
	l.Master = ""
	if bonded && l.Up {
		l.Up = false
		p.setUp(name, true)
	}
}

func (p *planner) setMTU(name string, mtu int) {
	l := p.links[name]
	if l == nil || mtu == 0 || l.MTU == mtu {
		return
	}
	p.emit(Step{Op: OpSetMTU, Link: name, MTU: mtu}, Step{Op: OpSetMTU, Link: name, MTU: l.MTU})
	l.MTU = mtu
}

func (p *planner) setUp(name string, up bool) {
	l := p.links[name]
	if l == nil || l.Up == up {
		return
	}
	if up {
		p.emit(Step{Op: OpLinkUp, Link: name}, Step{Op: OpLinkDown, Link: name})
	} else {
		p.emit(Step{Op: OpLinkDown, Link: name}, Step{Op: OpLinkUp, Link: name})
	}
	l.Up = up
}

func (p *planner) addAddr(name, addr string) {
	l := p.links[name]
	if l == nil || slices.Contains(l.Addrs, addr) {
		return
	}
	p.emit(Step{Op: OpAddAddr, Link: name, Addr: addr}, Step{Op: OpDelAddr, Link: name, Addr: addr})
	l.Addrs = append(l.Addrs, addr)
}

// flushAddrs removes a device's addresses but those in keep, and first the default routes
// through it: the kernel drops an IPv4 one silently with the address, so its inverse could not
// restore it, and an IPv6 one would outlive the address and compete with the route the network
// sets on its bridge. A route in keepRoutes stays while an address stays.
func (p *planner) flushAddrs(name string, keep []string, keepRoutes []Route) {
	l := p.links[name]
	if l == nil {
		return
	}
	kept := slices.ContainsFunc(l.Addrs, func(a string) bool { return slices.Contains(keep, a) })
	for f, r := range p.routes {
		if r != nil && r.Dev == name && !(kept && slices.Contains(keepRoutes, *r)) {
			p.delRoute(f)
		}
	}
	var left []string
	for _, a := range l.Addrs {
		if slices.Contains(keep, a) {
			left = append(left, a)
			continue
		}
		p.emit(Step{Op: OpDelAddr, Link: name, Addr: a}, Step{Op: OpAddAddr, Link: name, Addr: a})
	}
	l.Addrs = left
}

// ports are the links enslaved to master, in name order.
func (p *planner) ports(master string) []string {
	var names []string
	for name, l := range p.links {
		if l.Master == master {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func (p *planner) removeNetwork(n Network) {
	p.flushAddrs(n.L3(), nil, nil)
	if n.Bridged {
		for _, port := range p.ports(n.Name) {
			p.setNoMaster(port)
		}
		p.deleteLink(n.Name)
	}
	if n.HasVLAN {
		p.deleteLink(n.Top())
	}
}

// addNetwork sets up a network on its devices. baseOff disables the IP stacks of a VLAN
// network's base device (baseIPOff).
func (p *planner) addNetwork(n Network, sbMTU int, baseOff bool) {
	sb, top := n.Southbound(), n.Top()
	if baseOff {
		p.disableIPStacks(sb)
	}
	if !n.HasVLAN {
		p.claimTop(n)
	}
	p.setMTU(sb, sbMTU)
	p.setUp(sb, true)
	if n.HasVLAN {
		if _, ok := p.links[top]; !ok {
			p.createVLAN(top, sb, n.VLAN, n.MTU)
		}
		p.claimTop(n)
		p.setMTU(top, n.MTU)
		p.setUp(top, true)
	}
	if n.Bridged {
		if _, ok := p.links[n.Name]; !ok {
			p.createBridge(n.Name, n.MTU, n.STP)
		}
		// Before the bridge comes up and solicits routers, so no advertisement is taken.
		p.setIPv6Conf(n.Name, n.ipv6Conf())
		p.setMaster(top, n.Name)
		p.setMTU(n.Name, n.MTU)
		p.setUp(n.Name, true)
	}
	l3 := n.L3()
	for _, a := range n.addrs() {
		p.addAddr(l3, a)
	}
	for _, r := range n.routes() {
		p.setRoute(r)
	}
}

// claimTop readies the network's top device before it comes up, so that it makes no address and
// takes no router advertisement the network does not have. The device gives up its own
// addresses (VDSM's ifacquire); they come back only from the network's own configuration. A
// bridge port has its IP stacks disabled, as VDSM's _add_ip has them. A bridgeless network's
// device keeps what the network would add again, so its host does not lose the address for a
// moment, and takes the network's IPv6 settings.
func (p *planner) claimTop(n Network) {
	if n.Bridged {
		p.disableIPStacks(n.Top())
		return
	}
	p.flushAddrs(n.Top(), n.addrs(), n.routes())
	p.setIPv6Conf(n.Top(), n.ipv6Conf())
}

// ipv6Conf is the IPv6 settings of the network's L3 device: IPv6 off entirely without an IPv6
// address, as VDSM has it.
func (n Network) ipv6Conf() map[string]string {
	if _, ok := n.IPv6(); ok {
		return staticIPv6
	}
	return noIPv6
}

// addrs are the static addresses the network puts on its L3 device, as the kernel prints them.
func (n Network) addrs() []string {
	var out []string
	if a, ok := n.IPv4(); ok {
		out = append(out, a.String())
	}
	if a, ok := n.IPv6(); ok {
		out = append(out, a.String())
	}
	return out
}
