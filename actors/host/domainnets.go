package host

// The host's networking as a domain's XML names it. The host actor owns the host's libvirt
// networks (syncLibvirtNetworks keeps the vdsm-<net> networks of configured networks), so a VM
// actor about to define a domain asks it what exists and has it make what is missing, rather
// than listing and creating networks itself: two VM actors making the same display network at
// once would race (one finding it defined by the other and not yet started), and a VM actor's
// business is its own domain, not the host's networks. The host actor takes one request at a
// time, which is what removes the race. Links are not made here: the dummy bridge a domain may
// name is the network actor's (actors/net/dummybridge.go).
//
// These calls run in the host actor's turn, as its capabilities and syncLibvirtNetworks already
// do. They go to libvirtd's network driver, never to a guest's QEMU monitor, so whatever would
// hang them (libvirtd itself) already holds up Host.getCapabilities; and moving them off the turn
// would mean building again, outside the actor, the serialization the actor gives for free. The
// VM actor waits for the answer with a bound (vm.Config.HostWait): a host actor held up costs
// the VMs being defined meanwhile a start failure, and the host verbs behind it their deadline,
// never a worker held for ever.

import (
	"errors"
	"fmt"
	"strings"
)

var errNoLibvirt = errors.New("no libvirt connection")

// domainNetworks lists the libvirt networks and the bridges a display network can be made on.
func (a *Actor) domainNetworks() *DomainNetworksFound {
	lv := a.cfg.Libvirt
	if lv == nil {
		return &DomainNetworksFound{Err: errNoLibvirt}
	}
	out := &DomainNetworksFound{}
	nets, err := lv.Networks()
	out.Err = err
	for _, n := range nets {
		out.Networks = append(out.Networks, n.Name)
		if n.Bridge != "" {
			out.Bridges = append(out.Bridges, n.Bridge)
		}
	}
	if !strings.HasPrefix(lv.URI(), "test:") {
		// The test driver's host is a file: the machine's own bridges are not on it.
		out.Bridges = append(out.Bridges, linuxBridges(fsRoot(a.cfg.Root))...)
	}
	return out
}

// provideDomainNetworks makes the display networks that are absent.
func (a *Actor) provideDomainNetworks(m *ProvideDomainNetworks) *DomainNetworksProvided {
	out := &DomainNetworksProvided{}
	lv := a.cfg.Libvirt
	if len(m.Display) > 0 {
		if lv == nil {
			out.Err = fmt.Errorf("display network: %w", errNoLibvirt)
			return out
		}
		// Only what libvirt lacks is made. Without the list, EnsureBridgeNetwork's own lookup
		// still leaves an existing network alone; the answer then just cannot tell which it made.
		have, err := lv.Networks()
		listed := err == nil
		present := map[string]bool{}
		for _, n := range have {
			present[n.Name] = true
		}
		for _, n := range m.Display {
			if present[n.Name] {
				continue
			}
			if err := lv.EnsureBridgeNetwork(n.Name, n.Bridge); err != nil {
				out.Err = fmt.Errorf("display network: %w", err)
				return out
			}
			present[n.Name] = true
			if listed {
				out.Created = append(out.Created, n.Name)
			}
		}
	}
	return out
}

// linuxBridges lists the machine's bridges, the devices a display network can be made on.
func linuxBridges(r fsRoot) []string {
	var out []string
	for _, name := range r.names(netDir) {
		if r.exists(netDir + "/" + name + "/bridge") {
			out = append(out, name)
		}
	}
	return out
}
