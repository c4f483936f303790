package hostnet

// The default routes: one per family, set by the default route network through its device.

import (
	"reflect"
	"slices"
	"sort"
	"strings"
)

const (
	ipv4 = 0
	ipv6 = 1
)

// family is the index in planner.routes of a route through gateway.
func family(gateway string) int {
	if strings.Contains(gateway, ":") {
		return ipv6
	}
	return ipv4
}

func (p *planner) delRoute(f int) {
	r := *p.routes[f]
	p.emit(Step{Op: OpDelRoute, Link: r.Dev, Gateway: r.Gateway}, Step{Op: OpAddRoute, Link: r.Dev, Gateway: r.Gateway})
	p.routes[f] = nil
}

// setRoute makes r the default route of its family, in place of the one there was.
func (p *planner) setRoute(r Route) {
	f := family(r.Gateway)
	if p.routes[f] != nil && *p.routes[f] == r {
		return
	}
	if p.routes[f] != nil {
		p.delRoute(f)
	}
	p.emit(Step{Op: OpAddRoute, Link: r.Dev, Gateway: r.Gateway}, Step{Op: OpDelRoute, Link: r.Dev, Gateway: r.Gateway})
	p.routes[f] = &r
}

// setRoutes gives a running network the default routes it now should have: those through its
// device that it no longer sets go, the ones it sets come.
func (p *planner) setRoutes(n Network) {
	want := n.routes()
	for f, r := range p.routes {
		if r != nil && r.Dev == n.L3() && !slices.Contains(want, *r) {
			p.delRoute(f)
		}
	}
	for _, r := range want {
		p.setRoute(r)
	}
}

// handOverDefaultRoute is VDSM's _canonicalize_ip_default_route: when the request gives the
// default route to a network, the running network that has it, unless the request names it too,
// joins the request without it.
func handOverDefaultRoute(cur Current, req Request) Request {
	named, taken := map[string]bool{}, false
	for _, n := range req.Networks {
		named[n.Name] = true
		taken = taken || (!n.Remove && n.DefaultRoute)
	}
	if !taken {
		return req
	}
	nets := slices.Clone(req.Networks)
	for _, name := range sortedKeys(cur.Networks) {
		if n := cur.Networks[name]; n.DefaultRoute && !named[name] {
			n.DefaultRoute = false
			nets = append(nets, n)
		}
	}
	sort.Slice(nets, func(i, j int) bool { return nets[i].Name < nets[j].Name })
	req.Networks = nets
	return req
}

// onlyDefaultRouteDiffers says a running network changes in whether it is the default route
// network and nothing else: its routes change, its devices and addresses stay.
func onlyDefaultRouteDiffers(old, n Network) bool {
	old.DefaultRoute = n.DefaultRoute
	return reflect.DeepEqual(old, n)
}

// routes are the default routes the network sets: through its IPv4 and its IPv6 gateway when
// it is the default route network. Like VDSM's (nmstate's Routes), a gateway of a network without
// defaultRoute sets no route.
func (n Network) routes() []Route {
	if !n.DefaultRoute {
		return nil
	}
	var out []Route
	for _, gw := range []string{n.Gateway, n.IPv6Gateway} {
		if gw != "" {
			out = append(out, Route{Gateway: gw, Dev: n.L3()})
		}
	}
	return out
}
