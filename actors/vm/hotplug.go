package vm

// NIC hotplug: VM.hotplugNic, VM.hotunplugNic and VM.updateDevice with deviceType interface, as
// VDSM's vm.py serves them (hotplugNic, hotunplugNic, _updateInterfaceDevice).
//
// An unplug is asynchronous in the guest: libvirt's detach returns once QEMU has asked, and the
// device is gone when libvirt's device-removed event says so. The VM actor does not wait in its
// turn (the event is a message to this same actor): it keeps the pending unplug's reply and
// answers it on the event, or with VDSM's time-out error when the guest never lets go.

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// VDSM's error codes of the NIC verbs (lib/vdsm/common/exception.py); their messages are
// libvirt's words where VDSM passes them (response.error with a message).
const (
	codeHotplugNicFailed   = 49
	codeHotunplugNicFailed = 50
)

// HotunplugTimeout is VDSM's vars.hotunplug_timeout: how long an unplug waits for the guest.
const HotunplugTimeout = 30 * time.Second

// HotplugNic is VM.hotplugNic: XML is the engine's <hotplug><devices><interface/></devices>
// <metadata/></hotplug>; the first device is plugged.
type HotplugNic struct {
	Reply *reply.Reply
	XML   string
}

// HotunplugNic is VM.hotunplugNic, the NIC named by the XML's alias, else its MAC.
type HotunplugNic struct {
	Reply *reply.Reply
	XML   string
}

// UpdateNic is VM.updateDevice with deviceType interface: the NIC of Alias gets the link state
// (LinkActive) and bridge (Network) asked for; nil keeps what it has.
type UpdateNic struct {
	Reply      *reply.Reply
	Alias      string
	LinkActive *bool
	Network    *string
}

func (m *HotplugNic) Answer() *reply.Reply   { return m.Reply }
func (m *HotunplugNic) Answer() *reply.Reply { return m.Reply }
func (m *UpdateNic) Answer() *reply.Reply    { return m.Reply }

// unplugTimedOut is a pending unplug's timer; gen tells it from a later unplug of the same alias.
type unplugTimedOut struct {
	alias string
	gen   int
}

type pendingUnplug struct {
	reply *reply.Reply
	timer *time.Timer
	gen   int
}

// unplugs are a VM actor's unplugs waiting for libvirt's device-removed event, by alias.
type unplugs struct {
	byAlias map[string]*pendingUnplug
	gen     int
}

// hotplug runs the NIC verbs and the unplug timer for the VM actor.
func (a *vmActor) hotplug(c actor.Context, msg any) {
	switch m := msg.(type) {
	case *HotplugNic:
		a.h.taken()
		a.hotplugNic(c, m)
	case *HotunplugNic:
		a.h.taken()
		a.hotunplugNic(c, m)
	case *UpdateNic:
		a.h.taken()
		a.updateNic(c, m)
	case *unplugTimedOut:
		p := a.unplug.byAlias[m.alias]
		if p == nil || p.gen != m.gen {
			return // answered by the event as the timer fired
		}
		delete(a.unplug.byAlias, m.alias)
		a.log.Error().Str("alias", m.alias).Msg("hotunplug: the guest did not release the NIC in time")
		p.reply.Error(codeHotunplugNicFailed, "Timeout detaching device "+m.alias)
	}
}

func (a *vmActor) hotplugNic(c actor.Context, m *HotplugNic) {
	nic, err := domxml.FirstDevice(m.XML, "hotplug")
	if err != nil {
		m.Reply.Error(codeHotplugNicFailed, err.Error())
		return
	}
	a.log.Info().Str("mac", nic.MAC).Str("alias", nic.Alias).Msg("hotplug NIC")
	if nic.Bridge == domxml.DummyBridge {
		if err := a.provideDummyBridge(c); err != nil {
			m.Reply.Error(codeHotplugNicFailed, err.Error())
			return
		}
	}
	if err := a.call(func(id string) error { return a.lv.AttachDevice(id, nic.Raw) }); err != nil {
		if errors.Is(err, virt.ErrNoDomain) {
			fail(m.Reply, vdsm.NoSuchVM(a.id))
			return
		}
		m.Reply.Error(codeHotplugNicFailed, virt.Reason(err))
		return
	}
	a.editDeviceMetadata("plugged NIC "+nic.MAC, func(live string) (string, bool, error) {
		d, err := domxml.HotplugNicDevice(m.XML, nic.MAC, nic.Bridge)
		if err != nil {
			return "", false, err
		}
		elem, err := domxml.PutNicDevice(live, d)
		return elem, true, err
	})
	a.refreshXML(c)
	// VDSM answers the NIC as libvirt named it, and the domain's XML after the plug.
	dev := map[string]any{"macAddr": nic.MAC, "alias": nic.Alias}
	if live, err := domxml.FindNic(a.xmlNow(), "", nic.MAC); err == nil && live.Alias != "" {
		dev["alias"] = live.Alias
	}
	m.Reply.Result(map[string]any{"devices": []any{dev}, "xml": a.xmlNow()})
}

func (a *vmActor) hotunplugNic(c actor.Context, m *HotunplugNic) {
	req, err := domxml.FirstDevice(m.XML, "hotplug")
	if err != nil {
		m.Reply.Error(codeHotunplugNicFailed, err.Error())
		return
	}
	live, err := a.liveXML()
	if err != nil {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	nic, err := domxml.FindNic(live, req.Alias, req.MAC)
	if err != nil {
		// As VDSM: the device as the request describes it, for libvirt to refuse in its words.
		nic = req
	}
	a.log.Info().Str("mac", nic.MAC).Str("alias", nic.Alias).Msg("hotunplug NIC")
	if err := a.call(func(id string) error { return a.lv.DetachDevice(id, nic.Raw) }); err != nil {
		if errors.Is(err, virt.ErrNoDomain) {
			fail(m.Reply, vdsm.NoSuchVM(a.id))
			return
		}
		m.Reply.Error(codeHotunplugNicFailed, virt.Reason(err))
		return
	}
	if live, err := a.liveXML(); err == nil {
		if _, err := domxml.FindNic(live, nic.Alias, nic.MAC); errors.Is(err, domxml.ErrNoNic) {
			// Gone already (libvirt waits a little for the guest itself): its event, still on
			// its way, finds nothing pending.
			a.dropStaleNicDevices()
			a.refreshXML(c)
			m.Reply.Result(map[string]any{})
			return
		}
	}
	if a.unplug.byAlias == nil {
		a.unplug.byAlias = map[string]*pendingUnplug{}
	}
	if old := a.unplug.byAlias[nic.Alias]; old != nil {
		old.timer.Stop()
		old.reply.Error(codeHotunplugNicFailed, "Timeout detaching device "+nic.Alias)
	}
	a.unplug.gen++
	gen, alias, self, root := a.unplug.gen, nic.Alias, c.Self(), c.ActorSystem().Root
	a.unplug.byAlias[alias] = &pendingUnplug{reply: m.Reply, gen: gen,
		timer: time.AfterFunc(HotunplugTimeout, func() { root.Send(self, &unplugTimedOut{alias: alias, gen: gen}) })}
}

// deviceRemoved is libvirt's device-removed event: the domain's XML changed, and an unplug
// waiting for this device is done.
func (a *vmActor) deviceRemoved(c actor.Context, alias string) {
	a.log.Info().Str("alias", alias).Msg("device removal reported")
	a.dropStaleNicDevices()
	a.refreshXML(c)
	if p := a.unplug.byAlias[alias]; p != nil {
		delete(a.unplug.byAlias, alias)
		p.timer.Stop()
		p.reply.Result(map[string]any{})
	}
}

// stopUnplugs ends the pending unplugs when the actor stops (the VM is gone): no timer
// outlives it, and each waiting request is answered as about a VM that does not exist.
func (a *vmActor) stopUnplugs() {
	for alias, p := range a.unplug.byAlias {
		p.timer.Stop()
		fail(p.reply, vdsm.NoSuchVM(a.id))
		delete(a.unplug.byAlias, alias)
	}
}

// updateNic is VDSM's _updateInterfaceDevice with setLinkAndNetwork: the NIC's live XML with
// the link state and bridge set, given to libvirt's device update (the running domain only, as
// VDSM). A network of "" is VDSM's unplugged cable: the dummy bridge, link down. The NIC's
// device metadata takes the new network.
func (a *vmActor) updateNic(c actor.Context, m *UpdateNic) {
	live, err := a.liveXML()
	if err != nil {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	nic, err := domxml.FindNic(live, m.Alias, "")
	if err != nil {
		a.log.Warn().Str("alias", m.Alias).Msg("updateDevice: no NIC with this alias")
		fail(m.Reply, vdsm.NewError(vdsm.CodeUpdateDeviceFailed))
		return
	}
	link := nic.Link != "down"
	if m.LinkActive != nil {
		link = *m.LinkActive
	}
	bridge := ""
	if m.Network != nil {
		bridge = *m.Network
		if bridge == "" {
			bridge, link = domxml.DummyBridge, false
		}
	}
	state := "down"
	if link {
		state = "up"
	}
	if bridge == domxml.DummyBridge {
		if err := a.provideDummyBridge(c); err != nil {
			a.log.Warn().Err(err).Str("alias", m.Alias).Msg("updateDevice: no bridge for the unplugged cable")
			fail(m.Reply, vdsm.NewError(vdsm.CodeUpdateDeviceFailed))
			return
		}
	}
	dev, err := domxml.SetNic(nic.Raw, state, bridge)
	if err == nil {
		err = a.call(func(id string) error { return a.lv.UpdateDevice(id, dev) })
	}
	if err != nil {
		if errors.Is(err, virt.ErrNoDomain) {
			fail(m.Reply, vdsm.NoSuchVM(a.id))
			return
		}
		a.log.Warn().Err(err).Str("alias", m.Alias).Msg("updateDevice: NIC update failed")
		fail(m.Reply, vdsm.NewError(vdsm.CodeUpdateDeviceFailed))
		return
	}
	a.log.Info().Str("alias", m.Alias).Str("link", state).Str("bridge", bridge).Msg("NIC updated")
	if bridge != "" {
		a.editDeviceMetadata("NIC "+nic.MAC+" moved", func(live string) (string, bool, error) {
			d, _, err := domxml.NicDeviceOf(live, nic.MAC)
			if err != nil {
				return "", false, err
			}
			elem, err := domxml.PutNicDevice(live, d.WithNetwork(bridge))
			return elem, true, err
		})
	}
	a.refreshXML(c)
	m.Reply.Result(map[string]any{})
}

// editDeviceMetadata rewrites the domain's ovirt-vm element as edit makes it from the live XML
// (VDSM's _hotplug_device_metadata and _hotunplug_device_metadata). A failure is logged and
// nothing more: the device change it follows has happened, and its answer stands.
func (a *vmActor) editDeviceMetadata(what string, edit func(live string) (elem string, changed bool, err error)) {
	live, err := a.liveXML()
	if err != nil {
		a.log.Warn().Err(err).Str("device", what).Msg("device metadata not updated")
		return
	}
	elem, changed, err := edit(live)
	if err == nil && changed {
		err = a.call(func(id string) error {
			return a.lv.SetMetadata(id, elem, domxml.OVirtVMPrefix, domxml.OVirtVMNamespace)
		})
	}
	if err != nil {
		a.log.Warn().Err(err).Str("device", what).Msg("device metadata not updated")
	}
}

// dropStaleNicDevices drops the metadata of NICs the domain no longer has: the unplugged one,
// whether its unplug was answered or had timed out.
func (a *vmActor) dropStaleNicDevices() {
	a.editDeviceMetadata("unplugged NIC", domxml.DropStaleNicDevices)
}

func (a *vmActor) liveXML() (string, error) {
	var x string
	err := a.call(func(id string) (err error) { x, err = a.lv.XML(id); return err })
	return x, err
}

// xmlNow is the domain's XML as libvirt has it now, "" when it cannot be read.
func (a *vmActor) xmlNow() string {
	x, _ := a.liveXML()
	return x
}
