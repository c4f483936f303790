package hostnet

// Link kinds as the planner sees them. A fake NIC (a veth or dummy matching the fake-NIC
// pattern, VDSM's fake_nics) is KindNIC.
const (
	KindNIC    = "nic"
	KindBridge = "bridge"
	KindVLAN   = "vlan"
	KindBond   = "bond"
	KindOther  = "other"
)

// Link is one kernel link: what the planner needs to know to change it and to undo the change.
type Link struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"`
	MTU    int      `json:"mtu"`
	Master string   `json:"master,omitempty"`
	Up     bool     `json:"up"`
	Addrs  []string `json:"addrs,omitempty"` // "10.0.0.2/24", "fd00::2/64"; link-local ones left out
	// STP is the bridge's STP state, for recreating a removed bridge.
	STP bool `json:"stp,omitempty"`
	// VLANID and Parent describe a VLAN device, for recreating a removed one.
	VLANID int    `json:"vlanId,omitempty"`
	Parent string `json:"parent,omitempty"`
	// BondOptions are a bond's options as the kernel has them, in canonical form (bondopts.go).
	BondOptions string `json:"bondOptions,omitempty"`
	// IPv6Conf holds the link's IPv6 settings the agent manages (ipv6ConfKeys), as the kernel
	// has them; nil when unknown (a link a plan creates) or when the link has no IPv6.
	IPv6Conf map[string]string `json:"ipv6Conf,omitempty"`
}

// Route is a default route, IPv4 or IPv6 as its gateway is.
type Route struct {
	Gateway string `json:"gateway"`
	Dev     string `json:"dev"`
}

// Current is the host's network state before a change: the kernel's links and default routes
// (IPv4 and IPv6), and the running configuration (the networks and bonds this agent configured).
type Current struct {
	Links         []Link `json:"links"`
	DefaultRoute  *Route `json:"defaultRoute,omitempty"`
	DefaultRoute6 *Route `json:"defaultRoute6,omitempty"`
	// IPv6 says the kernel has IPv6: only then does a plan change IPv6 settings.
	IPv6     bool               `json:"ipv6,omitempty"`
	Networks map[string]Network `json:"networks,omitempty"`
	Bonds    map[string]Bond    `json:"bonds,omitempty"`
}

// named fills in the names of the running networks and bonds, which their JSON keeps only as
// map keys.
func (c Current) named() Current {
	nets := make(map[string]Network, len(c.Networks))
	for k, n := range c.Networks {
		n.Name = k
		nets[k] = n
	}
	bonds := make(map[string]Bond, len(c.Bonds))
	for k, b := range c.Bonds {
		b.Name = k
		bonds[k] = b
	}
	c.Networks, c.Bonds = nets, bonds
	return c
}

// link finds a link by name.
func (c Current) link(name string) (Link, bool) {
	for _, l := range c.Links {
		if l.Name == name {
			return l, true
		}
	}
	return Link{}, false
}

func (c Current) isNIC(name string) bool {
	l, ok := c.link(name)
	return ok && l.Kind == KindNIC
}

// Config is the running configuration: what setupNetworks configured, by name. It is what the
// network actor persists and what caps report as `networks`.
type Config struct {
	Networks map[string]Network `json:"networks"`
	Bonds    map[string]Bond    `json:"bonds"`
}
