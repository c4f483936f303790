package vm

// Memory hotplug: VM.hotplugMemory and VM.hotunplugMemory, as VDSM's vm.py serves them. The
// device is the engine's <memory model='dimm'> XML, or built from its memory parameters
// (domxml.MemoryDeviceXML). libvirt plugs it; the domain's XML (with <memory> and
// <currentMemory> grown) is read again, so Host.dumpxmls, the devices hash and the balloon
// figures of the stats follow.
//
// An unplug is the guest's to grant, and VDSM does not wait for it: the answer comes once libvirt
// has asked (libvirt itself waits a few seconds for the guest), and the dimm leaves the domain's
// XML when libvirt's device-removed event says so (deviceRemoved in hotplug.go). A guest that
// never lets go keeps it, as the engine then sees in Host.dumpxmls; there is no time-out error.

import (
	"encoding/json"
	"errors"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// VDSM's codes (lib/vdsm/common/exception.py): HotplugMemFailed answered with libvirt's words
// (response.error('hotplugMem', str(e))), HotunplugMemFailed raised as a ContextException.
const (
	codeHotplugMemFailed   = 70
	codeHotunplugMemFailed = 85
	msgHotunplugMemFailed  = "Failed to hotunplug memory"
)

// HotplugMemory is VM.hotplugMemory. XML is params.xml; when it is "", the device is built from
// Memory (params.memory, empty when absent). MinGuaranteedMiB is params.memGuaranteedSize.
type HotplugMemory struct {
	Reply            *reply.Reply
	XML              string
	Memory           map[string]json.RawMessage
	MinGuaranteedMiB *int64
}

// HotunplugMemory is VM.hotunplugMemory, its fields as HotplugMemory's; without XML, Memory is
// required (nil when absent).
type HotunplugMemory struct {
	Reply            *reply.Reply
	XML              string
	Memory           map[string]json.RawMessage
	MinGuaranteedMiB *int64
}

func (m *HotplugMemory) Answer() *reply.Reply   { return m.Reply }
func (m *HotunplugMemory) Answer() *reply.Reply { return m.Reply }

func (a *vmActor) hotplugMemory(c actor.Context, m *HotplugMemory) {
	if a.refuseWhileMigrating(m.Reply) {
		return
	}
	dev := m.XML
	if dev == "" {
		var err error
		if dev, err = domxml.MemoryDeviceXML(m.Memory); err != nil {
			fail(m.Reply, vdsm.GeneralException(err.Error()))
			return
		}
	}
	// The device is built before the domain is touched: a Down VM's is not there (VDSM's
	// NotConnectedError, code 100 through api.method).
	if a.state.Status == vdsm.StatusDown {
		fail(m.Reply, vdsm.NotConnected(a.id))
		return
	}
	a.log.Info().Str("xml", dev).Msg("hotplug memory")
	if err := a.call(func(id string) error { return a.lv.AttachDevice(id, dev) }); err != nil {
		a.log.Warn().Err(err).Msg("hotplugMemory failed")
		if errors.Is(err, virt.ErrNoDomain) {
			fail(m.Reply, vdsm.NewError(vdsm.CodeNoSuchVM)) // vm.py raises a bare NoSuchVM()
			return
		}
		m.Reply.Error(codeHotplugMemFailed, virt.Reason(err))
		return
	}
	a.setMinGuaranteedMemory(m.MinGuaranteedMiB)
	a.refreshXML(c)
	// Bridge.py answers the 'vmList' member of {'status': doneCode, 'vmList': {}}.
	m.Reply.Result(map[string]any{})
}

func (a *vmActor) hotunplugMemory(c actor.Context, m *HotunplugMemory) {
	if a.refuseWhileMigrating(m.Reply) {
		return
	}
	dev := m.XML
	if dev == "" {
		if m.Memory == nil {
			fail(m.Reply, vdsm.GeneralException("'memory'")) // params['memory']: a KeyError
			return
		}
		var err error
		if dev, err = domxml.MemoryDeviceXML(m.Memory); err != nil {
			fail(m.Reply, vdsm.GeneralException(err.Error()))
			return
		}
	}
	if a.state.Status == vdsm.StatusDown {
		fail(m.Reply, vdsm.NotConnected(a.id))
		return
	}
	a.log.Info().Str("xml", dev).Str("alias", domxml.MemoryAlias(dev)).Msg("hotunplug memory")
	if err := a.call(func(id string) error { return a.lv.DetachDevice(id, dev) }); err != nil {
		a.log.Warn().Err(err).Msg("hotunplugMemory failed")
		if errors.Is(err, virt.ErrNoDomain) {
			fail(m.Reply, vdsm.NoSuchVM(a.id))
			return
		}
		m.Reply.Error(codeHotunplugMemFailed, vdsm.WithContext(msgHotunplugMemFailed, "vmId", a.id, "reason", virt.Reason(err)))
		return
	}
	a.setMinGuaranteedMemory(m.MinGuaranteedMiB)
	// libvirt may have seen the guest release the dimm already; if not, its event will come.
	a.refreshXML(c)
	// hotunplugMemory returns None: api.method makes it a plain success, which has no member
	// for Bridge.py to answer, and the JSON-RPC server answers None as true.
	m.Reply.Result(true)
}

// setMinGuaranteedMemory is VDSM's _update_mem_guaranteed_size: the engine's new guaranteed
// memory goes into the VM's metadata, where the balloon's minimum in the stats is read from.
func (a *vmActor) setMinGuaranteedMemory(mib *int64) {
	if mib == nil {
		return
	}
	a.editDeviceMetadata("guaranteed memory", func(live string) (string, bool, error) {
		elem, err := domxml.SetMinGuaranteedMemory(live, *mib)
		return elem, true, err
	})
}
