package vm

// VM.updateVmPolicy, VM.setCpuTuneQuota and VM.setCpuTunePeriod, as VDSM's vm.py serves them
// and MoM then enforces the CPU limit (cputune.go). Here the limit is enforced in the verb's
// turn, through libvirt's scheduler parameters, before it is recorded: a limit that libvirt
// refused is answered as a failure and never recorded as if it held.

import (
	"errors"
	"strings"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// UpdateVMPolicy is VM.updateVmPolicy. VCPULimit is the limit's text (nil: not asked); IoTune
// are the ioTune entries, each its keys and their values' Python reprs; Given says the params
// named anything at all besides vmId.
type UpdateVMPolicy struct {
	Reply     *reply.Reply
	VCPULimit *string
	IoTune    []map[string]string
	Given     bool
}

// SetCPUTune is VM.setCpuTuneQuota (Quota set) or VM.setCpuTunePeriod (Period set).
type SetCPUTune struct {
	Reply  *reply.Reply
	Quota  *int64
	Period *uint64
}

func (m *UpdateVMPolicy) Answer() *reply.Reply { return m.Reply }
func (m *SetCPUTune) Answer() *reply.Reply     { return m.Reply }

// doneStatus is the wire result of VDSM's status-only verbs (rpc/Bridge.py: ret['status']).
func doneStatus() map[string]any {
	return map[string]any{"code": vdsm.CodeDone, "message": vdsm.Message(vdsm.CodeDone)}
}

func (a *vmActor) updateVMPolicy(c actor.Context, m *UpdateVMPolicy) {
	if a.refuseWhileMigrating(m.Reply) { // vm.py guards updateVmPolicy with _not_migrating
		return
	}
	if !m.Given {
		fail(m.Reply, vdsm.EmptyPolicy())
		return
	}
	if a.state.Status == vdsm.StatusDown {
		// vm.py _getVmPolicy finds no domain to read the metadata of and returns None.
		fail(m.Reply, vdsm.NewError(vdsm.CodeUpdateVMPolicyFailed))
		return
	}
	if msg := ioTuneRefusal(m.IoTune); msg != "" {
		m.Reply.Error(vdsm.CodeUpdateVMPolicyFailed, msg)
		return
	}
	if m.VCPULimit == nil {
		// Nothing else is recorded (an empty ioTune list changes nothing in vm.py either).
		m.Reply.Result(doneStatus())
		return
	}
	limit, err := ParseVCPULimit(*m.VCPULimit)
	if err != nil {
		m.Reply.Error(vdsm.CodeUpdateVMPolicyFailed, err.Error())
		return
	}
	quota, period, err := VCPUBandwidthFor(limit, hostCPUs(), a.info.VCPUs)
	if err != nil {
		m.Reply.Error(vdsm.CodeUpdateVMPolicyFailed, err.Error())
		return
	}
	var qos string
	err = a.call(func(id string) error {
		var err error
		qos, err = a.lv.Metadata(id, TuneNamespace)
		return err
	})
	if err != nil {
		// vm.py _getVmPolicy logs any failed read (a vanished domain too) and returns None,
		// which updateVmPolicy answers bare.
		a.log.Warn().Err(err).Msg("updateVmPolicy: the qos metadata could not be read")
		fail(m.Reply, vdsm.NewError(vdsm.CodeUpdateVMPolicyFailed))
		return
	}
	if qos, err = WithVCPULimit(qos, *m.VCPULimit); err != nil {
		m.Reply.Error(vdsm.CodeUpdateVMPolicyFailed, err.Error())
		return
	}
	a.log.Info().Str("vcpuLimit", *m.VCPULimit).Int64("quota", quota).Uint64("period", period).Msg("CPU limit")
	if err := a.call(func(id string) error { return a.lv.SetVCPUBandwidth(id, quota, period) }); err != nil {
		a.policyFailed(m.Reply, err)
		return
	}
	if err := a.call(func(id string) error { return a.lv.SetMetadata(id, qos, TunePrefix, TuneNamespace) }); err != nil {
		a.policyFailed(m.Reply, err)
		return
	}
	a.refreshXML(c)
	m.Reply.Result(doneStatus())
}

// policyFailed answers a libvirt failure as vm.py updateVmPolicy's setMetadata does: a bare
// NoSuchVM() when the domain is gone, else updateVmPolicyErr with libvirt's words.
func (a *vmActor) policyFailed(r *reply.Reply, err error) {
	a.log.Warn().Err(err).Msg("updateVmPolicy failed")
	if errors.Is(err, virt.ErrNoDomain) {
		fail(r, vdsm.NewError(vdsm.CodeNoSuchVM))
		return
	}
	r.Error(vdsm.CodeUpdateVMPolicyFailed, virt.Reason(err))
}

// ioTuneRefusal is the answer to ioTune entries, "" when there are none. vm.py looks each entry
// that has no name or path up by its four storage IDs among the VM's storage-domain disks, and
// a failed lookup (or a missing ID: a KeyError is a LookupError) is updateVmPolicyErr with the
// lookup's words. This agent's VMs have no storage-domain disks, so every such lookup fails as
// on a VDSM host where the disk is not the VM's. An entry naming a disk by name or path VDSM
// records without looking, for MoM's ioTune rule, whose lookup among the same disks then fails
// (vm.py find_device_by_name_or_path); this agent answers that failure at once instead of
// recording a limit no one will apply.
func ioTuneRefusal(entries []map[string]string) string {
	for _, e := range entries {
		_, hasName := e["name"]
		_, hasPath := e["path"]
		if hasName || hasPath {
			return "No such disk " + pyOrNone(e, "name") + " with path " + pyOrNone(e, "path")
		}
		var b strings.Builder
		b.WriteString("No such drive: '{")
		for i, k := range []string{"domainID", "poolID", "imageID", "volumeID"} {
			v, ok := e[k]
			if !ok {
				return vdsm.PyRepr(k)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(vdsm.PyRepr(k) + ": " + v)
		}
		b.WriteString("}'")
		return b.String()
	}
	return ""
}

// pyOrNone is str() of an entry's value in a format string: the text itself, None when absent.
func pyOrNone(e map[string]string, k string) string {
	v, ok := e[k]
	if !ok {
		return "None"
	}
	if s, found := strings.CutPrefix(v, "'"); found {
		return strings.TrimSuffix(s, "'")
	}
	return v
}

// setCPUTune is VM.setCpuTuneQuota or VM.setCpuTunePeriod: libvirt's current state only, as
// vm.py sets it, and the domain re-read so its stats show what libvirt made of the value.
func (a *vmActor) setCPUTune(c actor.Context, m *SetCPUTune) {
	if a.state.Status == vdsm.StatusDown {
		// vm.py reaches a disconnected domain (api.method's NotConnectedError); the stopped
		// domain's definition, which a call without flags would change, is left alone.
		fail(m.Reply, vdsm.NotConnected(a.id))
		return
	}
	err := a.call(func(id string) error {
		if m.Quota != nil {
			return a.lv.SetVCPUQuota(id, *m.Quota)
		}
		return a.lv.SetVCPUPeriod(id, *m.Period)
	})
	if err != nil {
		a.log.Warn().Err(err).Msg("cpu tune failed")
		m.Reply.Error(vdsm.CodeCPUTuneError, virt.Reason(err))
		return
	}
	a.refreshXML(c)
	m.Reply.Result(doneStatus())
}

// policy runs the QoS verbs for the VM actor.
func (a *vmActor) policy(c actor.Context, msg any) {
	a.h.taken()
	switch m := msg.(type) {
	case *UpdateVMPolicy:
		a.updateVMPolicy(c, m)
	case *SetCPUTune:
		a.setCPUTune(c, m)
	}
}

// followVCPUCount re-applies the recorded CPU limit once the VM's vCPU count has changed, as
// MoM's next cycle would: the rule's quota is per vCPU, so the same limit over twice the vCPUs
// is half the quota each. A VM without a limit, or whose bandwidth already fits, is left alone;
// a refusal is logged, as MoM logs it, for the verb that changed the count has succeeded.
func (a *vmActor) followVCPUCount(c actor.Context) {
	if a.info.VCPULimit == "" {
		return
	}
	limit, err := ParseVCPULimit(a.info.VCPULimit)
	if err != nil {
		return
	}
	quota, period, err := VCPUBandwidthFor(limit, hostCPUs(), a.info.VCPUs)
	if err != nil || (quota == a.info.VCPUQuota && period == a.info.VCPUPeriod) {
		return
	}
	a.log.Info().Str("vcpuLimit", a.info.VCPULimit).Int("vcpus", a.info.VCPUs).Int64("quota", quota).Uint64("period", period).
		Msg("CPU limit follows the vCPU count")
	if err := a.call(func(id string) error { return a.lv.SetVCPUBandwidth(id, quota, period) }); err != nil {
		a.log.Warn().Err(err).Msg("the CPU limit could not follow the vCPU count")
		return
	}
	a.refreshXML(c)
}
