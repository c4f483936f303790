package net

import (
	"encoding/json"

	"github.com/hostagent/hostagent/reply"
)

// SetupNetworks is Host.setupNetworks with its three parameters as sent.
type SetupNetworks struct {
	Reply    *reply.Reply
	Networks json.RawMessage
	Bondings json.RawMessage
	Options  json.RawMessage
}

// SetSafeNetworkConfig is Host.setSafeNetworkConfig: the running configuration becomes the one
// restored at start.
type SetSafeNetworkConfig struct{ Reply *reply.Reply }

// ClientSeen says a client reached the agent (Host.confirmConnectivity, Host.ping2): it confirms a
// setupNetworks waiting for its connectivity check. It is answered by whoever sends it.
type ClientSeen struct{}

// GetCapabilities is Host.getCapabilities on its way to the host actor: the network actor adds
// its running networks and passes it on.
type GetCapabilities struct {
	Reply       *reply.Reply
	ClientIface string
}

// GetNetworkCapabilities is Host.getNetworkCapabilities, passed on to the host actor like
// GetCapabilities.
type GetNetworkCapabilities struct{ Reply *reply.Reply }

// EnsureDummyBridge asks for VDSM's dummy bridge (domxml.DummyBridge), the bridge a vNIC with no
// network is plugged into, made unless it exists. A VM actor sends it with RequestFuture before
// it defines a domain or puts a NIC on that bridge; it is answered with a *DummyBridgeEnsured.
type EnsureDummyBridge struct{}

// DummyBridgeEnsured answers EnsureDummyBridge: Created says this request made the bridge.
type DummyBridgeEnsured struct {
	Created bool
	Err     error
}

// connectivityTimeout is the actor's own timer message: the setupNetworks numbered gen was not
// confirmed in time.
type connectivityTimeout struct{ gen int }

func (m *SetupNetworks) Answer() *reply.Reply          { return m.Reply }
func (m *SetSafeNetworkConfig) Answer() *reply.Reply   { return m.Reply }
func (m *GetCapabilities) Answer() *reply.Reply        { return m.Reply }
func (m *GetNetworkCapabilities) Answer() *reply.Reply { return m.Reply }
