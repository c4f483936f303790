package net

// VDSM's dummy bridge, made here because this actor is the one owner of the host's links
// (DESIGN §8b): a VM actor whose domain plugs a vNIC into no network asks for it rather than
// changing links itself. VDSM makes it when the host is configured (`vdsm-tool dummybr`: `ip
// link add ;vdsmdummy; type bridge`, nothing more: no ports, no addresses, left down); the agent
// has no such step, so it makes it when a VM first needs it, through the actor's own handle, so
// --net-namespace puts it where the managed networks are.
//
// The bridge is no network: it is not in the running or safe configuration, and no plan has a
// step for it. A rollback replays only the inverse of the plan it undoes, and a plan deletes
// only the links of networks and bonds it removes, so neither an unconfirmed change nor the
// restore at start deletes it.
//
// It runs in the actor's turn like a setupNetworks: one netlink lookup and at most one link
// added. A setupNetworks waiting for its connectivity check does not hold the turn (it waits as
// pending state, ClientSeen and the timer are messages), so the wait a VM actor sees is at most
// one setupNetworks' or start's netlink steps, and the VM actor bounds it anyway.

import (
	"fmt"

	"github.com/hostagent/hostagent/engine/domxml"
)

func (a *Actor) ensureDummyBridge() *DummyBridgeEnsured {
	if a.h == nil {
		return &DummyBridgeEnsured{Err: fmt.Errorf("network configuration unavailable: %v", a.openErr)}
	}
	created, err := a.h.EnsureBridge(domxml.DummyBridge)
	if err != nil {
		return &DummyBridgeEnsured{Err: err} // the VM actor reports it, with the VM it fails
	}
	if created {
		a.cfg.Log.Info().Msg("created the dummy bridge " + domxml.DummyBridge)
	}
	return &DummyBridgeEnsured{Created: created}
}
