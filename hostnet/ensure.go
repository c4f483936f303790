package hostnet

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// EnsureBridge makes the bridge name in the handle's namespace unless it is there, as VDSM's
// `vdsm-tool dummybr` makes ";vdsmdummy;" for vNICs with no network: `ip link add NAME type
// bridge`, nothing more. The bridge gets no ports and stays down, so a NIC on it reaches nothing.
// It is not Apply's OpCreateBridge: no network owns this bridge, it is no step of a plan, and it
// outlives the VMs that use it as VDSM's does. The network actor is its one caller.
func (h *Handle) EnsureBridge(name string) (created bool, err error) {
	l, err := h.nl.LinkByName(name)
	switch {
	case err == nil && l.Type() == "bridge":
		return false, nil
	case err == nil:
		return false, fmt.Errorf("bridge %s: the link exists and is a %s", name, l.Type())
	case !errors.As(err, new(netlink.LinkNotFoundError)):
		return false, fmt.Errorf("bridge %s: %w", name, err)
	}
	if err := h.nl.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		if l, lerr := h.nl.LinkByName(name); lerr == nil && l.Type() == "bridge" {
			return false, nil // made meanwhile, by another VM's start or by hand
		}
		return false, fmt.Errorf("create bridge %s: %w", name, err)
	}
	return true, nil
}
