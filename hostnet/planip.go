package hostnet

// The IP stacks of the devices under a network, as VDSM's nmstate configurator has them
// (lib/vdsm/network/nmstate/linux_bridge.py and bond.py): a device that only carries frames for
// something above it holds no address and has IPv6 off, so that neither a link-local address nor
// a router advertisement's SLAAC address and route turn up where no network is. NetworkManager
// applies VDSM's "ipv6 enabled: false" as disable_ipv6=1, so the kernel drops the device's IPv6
// addresses and routes and makes none when it comes up.

// disableIPStacks takes a device's addresses away (and the default routes through it), then
// turns its IPv6 off. In that order: disable_ipv6=1 deletes the IPv6 addresses itself, after
// which deleting them as recorded steps would fail, and their undo (adding them back) could only
// run once the undo of the setting has turned IPv6 on again, which a rollback's newest-first
// order does.
func (p *planner) disableIPStacks(name string) {
	p.flushAddrs(name, nil, nil)
	p.setIPv6Conf(name, noIPv6)
}

// baseIPOff is VDSM's _disable_base_iface_ip_stack for a network being set up: a VLAN network's
// base device (the VLAN's parent NIC or bond) has its IP stacks disabled when it was not up
// before this setupNetworks (a new bond was not there at all) and no untagged network of the
// request sits on it, which would give it addresses (bridgeless) or disable them itself (as its
// bridge port). A base device that is up already carries something the request does not
// describe, and is left alone.
func baseIPOff(cur Current, req Request, n Network) bool {
	if n.Remove || !n.HasVLAN || n.Southbound() == "" {
		return false
	}
	if l, ok := cur.link(n.Southbound()); ok && l.Up {
		return false
	}
	return !untaggedOn(req, n.Southbound())
}

// baseIPOffOnRemoval is VDSM's _init_base_iface: an untagged network that is removed leaves its
// device (the bridge port, or the bridgeless network's own device) up with its IP stacks
// disabled, unless a network of the same request sits on the device and decides for it, or the
// request removes the device (a bond) as well. VDSM does not give the device back the IPv6
// settings it had before the network came; neither does the agent, which does not know them
// once the change that installed the network is saved: off, nothing configures the device from
// router advertisements behind the engine's back.
func baseIPOffOnRemoval(req Request, old Network) bool {
	sb := old.Southbound()
	if old.HasVLAN || sb == "" {
		return false
	}
	removed := false
	for _, n := range req.Networks {
		if n.Name == old.Name {
			// A changed network is removed and set up again: VDSM sets it up, and removes nothing.
			removed = n.Remove
		} else if !n.Remove && n.Southbound() == sb {
			return false
		}
	}
	if !removed {
		return false
	}
	for _, b := range req.Bonds {
		if b.Remove && b.Name == sb {
			return false
		}
	}
	return true
}

// untaggedOn says whether the request sets up an untagged network on dev.
func untaggedOn(req Request, dev string) bool {
	for _, n := range req.Networks {
		if !n.Remove && !n.HasVLAN && n.Southbound() == dev {
			return true
		}
	}
	return false
}
