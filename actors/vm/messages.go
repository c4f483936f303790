package vm

import (
	"encoding/json"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// Messages to the registry.

// Create is VM.create: admit a VM from its domain XML and start it.
type Create struct {
	Reply  *reply.Reply
	Params map[string]json.RawMessage // vmParams
}

// GetStats is VM.getStats (VMID set) or Host.getAllVmStats (VMID empty).
type GetStats struct {
	Reply *reply.Reply
	VMID  string
	All   bool
}

// List is Host.getVMList / Host.getVMFullList / VM.getInfo: short statuses, of VMIDs or of all.
type List struct {
	Reply *reply.Reply
	VMIDs []string
	// One answers with the single element rather than a list (VM.getInfo).
	One bool
}

// DumpXMLs is Host.dumpxmls.
type DumpXMLs struct {
	Reply *reply.Reply
	VMIDs []string
}

// Recover lists libvirt's domains and attaches a VM actor to each; the agent is ready once done.
type Recover struct{}

// stateChanged is a VM actor's report after every step: the registry's read model follows it,
// and it carries the events the step asked for.
type stateChanged struct {
	id     string
	state  State
	info   *DomainInfo // nil when unchanged
	xml    string      // "" when unchanged
	emit   []EmitStatus
	remove bool // the VM is gone: drop it
}

// samples is the sampler's bulk reading.
type samples struct{ stats []virt.DomainStats }

// libvirtEvent is a domain event from libvirt's event loop.
type libvirtEvent struct{ e virt.Event }

// Messages to a VM actor. Each verb carries its reply and is answered by the VM actor.

// Destroy is VM.destroy.
type Destroy struct{ Reply *reply.Reply }

// Shutdown is VM.shutdown.
type Shutdown struct {
	Reply   *reply.Reply
	Reboot  bool
	Timeout int64 // seconds
	Force   bool
}

// Reset is VM.reset.
type Reset struct{ Reply *reply.Reply }

// Pause is VM.pause.
type Pause struct{ Reply *reply.Reply }

// Cont is VM.cont.
type Cont struct{ Reply *reply.Reply }

// SetDestroyOnRebootVerb is VM.setDestroyOnReboot.
type SetDestroyOnRebootVerb struct{ Reply *reply.Reply }

// shutdownTimedOut is the forced-shutdown timer firing.
type shutdownTimedOut struct{ gen int }

func (m *Create) Answer() *reply.Reply                 { return m.Reply }
func (m *GetStats) Answer() *reply.Reply               { return m.Reply }
func (m *List) Answer() *reply.Reply                   { return m.Reply }
func (m *DumpXMLs) Answer() *reply.Reply               { return m.Reply }
func (m *Destroy) Answer() *reply.Reply                { return m.Reply }
func (m *Shutdown) Answer() *reply.Reply               { return m.Reply }
func (m *Reset) Answer() *reply.Reply                  { return m.Reply }
func (m *Pause) Answer() *reply.Reply                  { return m.Reply }
func (m *Cont) Answer() *reply.Reply                   { return m.Reply }
func (m *SetDestroyOnRebootVerb) Answer() *reply.Reply { return m.Reply }

// LibvirtLost and LibvirtBack tell the registry the libvirt connection went away and came back.
type LibvirtLost struct{ Reason string }

// LibvirtBack: the connection is back; events missed in the gap are made up by a resync.
type LibvirtBack struct{}

// resync gives a VM actor its domain as libvirt lists it after a reconnect (nil: the domain is
// gone).
type resync struct{ dom *virt.Domain }

// vmStopped is a VM actor's Terminated, looked at again once its earlier messages are in.
type vmStopped struct{ pid *actor.PID }
