package vm

// CPU hotplug: VM.setNumberOfCpus, as VDSM's vm.py setNumberOfCpus serves it. libvirt plugs or
// unplugs the vCPUs; the domain's XML (<vcpu current>) is read again, and the next stats sample
// reports the new vcpuCount. VDSM sends no event for it: the engine learns it from its answer.

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// VDSM's codes (lib/vdsm/common/exception.py): SetNumberOfCpusFailed, whose message is then
// libvirt's words (response.error('setNumberOfCpusErr', str(e))); MigrationInProgress, the
// _not_migrating guard of the hotplug verbs.
const (
	codeSetNumberOfCpusFailed = 60
	codeMigrationInProgress   = 51
	msgMigrationInProgress    = "Command not supported during migration"
)

// SetNumberOfCpus is VM.setNumberOfCpus: Count is the engine's number as Python's int() reads
// it; libvirt judges it (0, negative, or over the domain's maximum is libvirt's refusal).
type SetNumberOfCpus struct {
	Reply *reply.Reply
	Count int64
}

func (m *SetNumberOfCpus) Answer() *reply.Reply { return m.Reply }

// hotplugResources runs the CPU and memory hotplug verbs for the VM actor.
func (a *vmActor) hotplugResources(c actor.Context, msg any) {
	a.h.taken()
	switch m := msg.(type) {
	case *SetNumberOfCpus:
		a.setNumberOfCpus(c, m)
	case *HotplugMemory:
		a.hotplugMemory(c, m)
	case *HotunplugMemory:
		a.hotunplugMemory(c, m)
	}
}

func (a *vmActor) setNumberOfCpus(c actor.Context, m *SetNumberOfCpus) {
	if a.refuseWhileMigrating(m.Reply) {
		return
	}
	if a.state.Status == vdsm.StatusDown {
		// setNumberOfCpus is no api.method: the NotConnectedError of a Down VM's domain reaches
		// the JSON-RPC server, which answers it as an internal error with its text.
		fail(m.Reply, vdsm.Internal(notDefinedText(a.id)))
		return
	}
	a.log.Info().Int64("cpus", m.Count).Msg("setting the number of vCPUs")
	// uint32 as libvirt's binding converts Python's int: unchecked (see virt.SetVCPUs).
	err := a.call(func(id string) error { return a.lv.SetVCPUs(id, uint32(m.Count)) })
	if err != nil {
		a.log.Warn().Err(err).Int64("cpus", m.Count).Msg("setNumberOfCpus failed")
		if errors.Is(err, virt.ErrNoDomain) {
			fail(m.Reply, vdsm.NewError(vdsm.CodeNoSuchVM)) // vm.py raises a bare NoSuchVM()
			return
		}
		m.Reply.Error(codeSetNumberOfCpusFailed, virt.Reason(err))
		return
	}
	a.refreshXML(c)
	a.followVCPUCount(c) // policy.go
	// Bridge.py answers the 'vmList' member of {'status': doneCode, 'vmList': {}}.
	m.Reply.Result(map[string]any{})
}

// refuseWhileMigrating is VDSM's _not_migrating guard: no hotplug while the VM migrates out.
func (a *vmActor) refuseWhileMigrating(r *reply.Reply) bool {
	if a.mig == nil || !a.mig.running {
		return false
	}
	r.Error(codeMigrationInProgress, vdsm.WithContext(msgMigrationInProgress, "vmId", a.id))
	return true
}

// notDefinedText is the text of the NotConnectedError a Down VM's domain raises in VDSM.
func notDefinedText(id string) string {
	return "VM " + vdsm.PyRepr(id) + " was not defined yet or was undefined"
}
