package host

import (
	"encoding/json"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/reply"
)

// GetCapabilities asks for the host's VdsmCapabilities; ClientIface is the interface that owns
// the address the client connected to.
type GetCapabilities struct {
	Reply       *reply.Reply
	ClientIface string
	Networks    *NetworkReport // from the network actor; nil when it manages none
}

// GetNetworkCapabilities asks for the network part of the capabilities.
type GetNetworkCapabilities struct {
	Reply    *reply.Reply
	Networks *NetworkReport
}

// GetStats asks for HostStats from the latest samples.
type GetStats struct{ Reply *reply.Reply }

// GetHardwareInfo asks for the DMI hardware description.
type GetHardwareInfo struct{ Reply *reply.Reply }

// GetLldp asks for the LLDP state of Devices (every NIC when empty).
type GetLldp struct {
	Reply   *reply.Reply
	Devices []string
}

// SetMOMPolicy stores the engine's MOM policy parameters.
type SetMOMPolicy struct {
	Reply  *reply.Reply
	Values map[string]json.RawMessage
}

// ListHostDevices asks for Host.hostdevListByCaps: the node devices with one of Caps, every one
// when Caps is empty.
type ListHostDevices struct {
	Reply *reply.Reply
	Caps  []string
}

// VMCountsUpdate carries the VM counters HostStats reports, pushed by the VM registry when they
// change so Host.getStats never has to ask it.
type VMCountsUpdate struct{ Counts VMCounts }

// sampleTick is the host actor's own timer message: take a /proc sample. Coalesced: a host
// actor held up (a slow capabilities call) finds one tick waiting, not a backlog.
type sampleTick struct{ system.Coalesced }

func (m *GetCapabilities) Answer() *reply.Reply        { return m.Reply }
func (m *GetStats) Answer() *reply.Reply               { return m.Reply }
func (m *GetNetworkCapabilities) Answer() *reply.Reply { return m.Reply }
func (m *GetHardwareInfo) Answer() *reply.Reply        { return m.Reply }
func (m *SetMOMPolicy) Answer() *reply.Reply           { return m.Reply }
func (m *GetLldp) Answer() *reply.Reply                { return m.Reply }
func (m *ListHostDevices) Answer() *reply.Reply        { return m.Reply }

// DomainNetworks asks, for a domain about to be defined, what of the host's networking its XML
// may name (domxml.Host's Networks and Bridges). Sent with RequestFuture; answered with a
// *DomainNetworksFound through Respond.
type DomainNetworks struct{}

// DomainNetworksFound is the answer to DomainNetworks: the libvirt networks and the bridges a
// display network can be made on. Err says libvirt's networks could not be listed; the bridges
// outside libvirt are still there.
type DomainNetworksFound struct {
	Networks []string
	Bridges  []string
	Err      error
}

// ProvideDomainNetworks asks the host actor to make what a resolved domain XML needs of the
// host before it is defined: its display networks (domxml.Resolve's DisplayNetworks). Sent
// with RequestFuture; answered with a *DomainNetworksProvided.
type ProvideDomainNetworks struct {
	Display []domxml.DisplayNetwork
}

// DomainNetworksProvided is the answer to ProvideDomainNetworks: Err is the first failure, in
// the words VM.create's start failure reports; Created names what this request made (a
// display network that was there already is not in it).
type DomainNetworksProvided struct {
	Created []string
	Err     error
}
