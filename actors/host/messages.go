package host

import (
	"encoding/json"

	"github.com/hostagent/hostagent/actors/system"
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

// SetMOMPolicy stores the engine's MOM policy parameters.
type SetMOMPolicy struct {
	Reply  *reply.Reply
	Values map[string]json.RawMessage
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
