package vm

// VDSM's dummy bridge, the bridge a vNIC with no network is plugged into, must exist before a
// domain or a NIC names it. It is a link, and links are the network actor's (DESIGN §8b): with
// --manage-networks this actor asks it to make the bridge; without, nothing in the agent may
// make it, so the bridge must be there already (VDSM expects `vdsm-tool dummybr` to have made
// it), and a VM or NIC needing it fails with an error saying so instead of libvirt's "Cannot get
// interface MTU on ';vdsmdummy;'". On the test driver without a network actor nothing is
// checked: the domain is a file and the machine's bridges are none of its business.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/host"
	"github.com/hostagent/hostagent/actors/net"
	"github.com/hostagent/hostagent/engine/domxml"
)

// errNoDummyBridge is the failure of a VM or NIC needing the dummy bridge on a host whose links
// the agent does not manage.
var errNoDummyBridge = fmt.Errorf("bridge %s does not exist and this agent does not manage the host's networks (--manage-networks)", domxml.DummyBridge)

// provideDummyBridge has the dummy bridge made by the network actor, or checks it exists when
// there is none. The wait for either actor is bounded by hostWait, in this actor's turn: the
// domain cannot be defined, nor the NIC put on the bridge, before the bridge exists.
func (a *vmActor) provideDummyBridge(c actor.Context) error {
	if a.netActor == nil {
		if testDriver(a.lv.URI()) {
			return nil
		}
		found, err := askHost[*host.DomainNetworksFound](a, c, &host.DomainNetworks{})
		if err != nil {
			return fmt.Errorf("host networks: %w", err)
		}
		return dummyBridgeListed(found.Bridges)
	}
	res, err := c.RequestFuture(a.netActor, &net.EnsureDummyBridge{}, a.hostWait).Result()
	if err != nil {
		return fmt.Errorf("dummy bridge: the network actor did not answer within %s: %w", a.hostWait, err)
	}
	made, ok := res.(*net.DummyBridgeEnsured)
	if !ok {
		return fmt.Errorf("dummy bridge: the network actor answered %T", res)
	}
	if made.Err != nil {
		return fmt.Errorf("dummy bridge: %w", made.Err)
	}
	if made.Created {
		a.log.Info().Msg("the network actor created " + domxml.DummyBridge)
	}
	return nil
}

// dummyBridgeListed says whether the host's bridges, as the host actor lists them, include the
// dummy bridge.
func dummyBridgeListed(bridges []string) error {
	if slices.Contains(bridges, domxml.DummyBridge) {
		return nil
	}
	return errNoDummyBridge
}

// testDriver says whether uri is libvirt's test driver, local (test:///default) or through a
// daemon (test+unix:///default?socket=...).
func testDriver(uri string) bool {
	scheme, _, _ := strings.Cut(uri, ":")
	driver, _, _ := strings.Cut(scheme, "+")
	return driver == "test"
}
