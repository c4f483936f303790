package host

import (
	"sort"
	"strings"
)

// NetworksChanged is the network actor telling the host actor its running configuration or its
// dirtiness changed: Host.getStats reports netConfigDirty from it without asking, and the host
// actor, the one making host-wide libvirt calls, keeps a libvirt network vdsm-<name> (forward
// mode bridge) for each VM network, as VDSM does, since the engine's domain XML points at it.
type NetworksChanged struct {
	Dirty bool
	// VMNetworks maps each bridged logical network to its bridge.
	VMNetworks map[string]string
}

// libvirtNetPrefix names the libvirt networks that stand for logical networks; the others
// (libvirt's own "default") are not the agent's to remove.
const libvirtNetPrefix = "vdsm-"

// syncLibvirtNetworks makes a vdsm-* libvirt network for every VM network: missing ones are made,
// those over another bridge remade, and those of networks this agent configured and has since
// removed are removed. It runs on every change
// rather than applying a difference, so a failure, or a change made while libvirt was away,
// mends at the next one.
func (a *Actor) syncLibvirtNetworks(vmNets map[string]string) {
	lv := a.cfg.Libvirt
	if lv == nil {
		return
	}
	have, err := lv.Networks()
	if err != nil {
		a.cfg.Log.Warn().Err(err).Msg("list libvirt networks")
		return
	}
	present := map[string]bool{}
	for _, n := range have {
		logical, ok := strings.CutPrefix(n.Name, libvirtNetPrefix)
		if !ok {
			continue
		}
		br, want := vmNets[logical]
		if want && br == n.Bridge {
			present[logical] = true
			continue
		}
		if _, ours := a.vmNets[logical]; !want && !ours {
			// Not a network this agent configured (a host taken over from VDSM, a display
			// network made for a VM's display: domainnets.go): running VMs may use it, so it
			// stays.
			continue
		}
		if err := lv.RemoveNetwork(n.Name); err != nil {
			a.cfg.Log.Warn().Err(err).Str("network", n.Name).Msg("remove libvirt network")
		}
	}
	names := make([]string, 0, len(vmNets))
	for name := range vmNets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if present[name] {
			continue
		}
		if err := lv.EnsureBridgeNetwork(libvirtNetPrefix+name, vmNets[name]); err != nil {
			a.cfg.Log.Warn().Err(err).Str("network", libvirtNetPrefix+name).Msg("create libvirt network")
		}
	}
	a.vmNets = vmNets
}
