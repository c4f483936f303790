package vm

// NIC hotplug: VM.hotplugNic, VM.hotunplugNic and VM.updateDevice with deviceType interface, as
// VDSM's vm.py serves them (hotplugNic, hotunplugNic, _updateInterfaceDevice).
//
// An unplug is asynchronous in the guest: libvirt's detach returns once QEMU has asked, and the
// device is gone when libvirt's device-removed event says so. The VM actor does not wait in its
// turn (the event is a message to this same actor): it keeps the pending unplug's reply and
// answers it on the event, or with VDSM's time-out error when the guest never lets go.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
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
	nic, err := firstDevice(m.XML, "hotplug")
	if err != nil {
		m.Reply.Error(codeHotplugNicFailed, err.Error())
		return
	}
	a.log.Info().Str("mac", nic.mac).Str("alias", nic.alias).Msg("hotplug NIC")
	if err := a.call(func(id string) error { return a.lv.AttachDevice(id, nic.raw) }); err != nil {
		if errors.Is(err, virt.ErrNoDomain) {
			fail(m.Reply, vdsm.NoSuchVM(a.id))
			return
		}
		m.Reply.Error(codeHotplugNicFailed, virt.Reason(err))
		return
	}
	a.refreshXML(c)
	// VDSM answers the NIC as libvirt named it, and the domain's XML after the plug.
	dev := map[string]any{"macAddr": nic.mac, "alias": nic.alias}
	if live, err := findNic(a.xmlNow(), "", nic.mac); err == nil && live.alias != "" {
		dev["alias"] = live.alias
	}
	m.Reply.Result(map[string]any{"devices": []any{dev}, "xml": a.xmlNow()})
}

func (a *vmActor) hotunplugNic(c actor.Context, m *HotunplugNic) {
	req, err := firstDevice(m.XML, "hotplug")
	if err != nil {
		m.Reply.Error(codeHotunplugNicFailed, err.Error())
		return
	}
	live, err := a.liveXML()
	if err != nil {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	nic, err := findNic(live, req.alias, req.mac)
	if err != nil {
		// As VDSM: the device as the request describes it, for libvirt to refuse in its words.
		nic = req
	}
	a.log.Info().Str("mac", nic.mac).Str("alias", nic.alias).Msg("hotunplug NIC")
	if err := a.call(func(id string) error { return a.lv.DetachDevice(id, nic.raw) }); err != nil {
		if errors.Is(err, virt.ErrNoDomain) {
			fail(m.Reply, vdsm.NoSuchVM(a.id))
			return
		}
		m.Reply.Error(codeHotunplugNicFailed, virt.Reason(err))
		return
	}
	if live, err := a.liveXML(); err == nil {
		if _, err := findNic(live, nic.alias, nic.mac); errors.Is(err, errNoNic) {
			// Gone already (libvirt waits a little for the guest itself): its event, still on
			// its way, finds nothing pending.
			a.refreshXML(c)
			m.Reply.Result(map[string]any{})
			return
		}
	}
	if a.unplug.byAlias == nil {
		a.unplug.byAlias = map[string]*pendingUnplug{}
	}
	if old := a.unplug.byAlias[nic.alias]; old != nil {
		old.timer.Stop()
		old.reply.Error(codeHotunplugNicFailed, "Timeout detaching device "+nic.alias)
	}
	a.unplug.gen++
	gen, alias, self, root := a.unplug.gen, nic.alias, c.Self(), c.ActorSystem().Root
	a.unplug.byAlias[alias] = &pendingUnplug{reply: m.Reply, gen: gen,
		timer: time.AfterFunc(HotunplugTimeout, func() { root.Send(self, &unplugTimedOut{alias: alias, gen: gen}) })}
}

// deviceRemoved is libvirt's device-removed event: the domain's XML changed, and an unplug
// waiting for this device is done.
func (a *vmActor) deviceRemoved(c actor.Context, alias string) {
	a.log.Info().Str("alias", alias).Msg("device removal reported")
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
// VDSM). A network of "" is VDSM's unplugged cable: the dummy bridge, link down.
func (a *vmActor) updateNic(c actor.Context, m *UpdateNic) {
	live, err := a.liveXML()
	if err != nil {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	nic, err := findNic(live, m.Alias, "")
	if err != nil {
		a.log.Warn().Str("alias", m.Alias).Msg("updateDevice: no NIC with this alias")
		fail(m.Reply, vdsm.NewError(vdsm.CodeUpdateDeviceFailed))
		return
	}
	link := nic.link != "down"
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
	dev, err := setNic(nic.raw, state, bridge)
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
	a.refreshXML(c)
	m.Reply.Result(map[string]any{})
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

// nicElem is one device element cut out of an XML document.
type nicElem struct {
	raw, mac, alias, link string
}

var errNoNic = errors.New("no such NIC")

// firstDevice is the first element under <devices> of a document whose root is root: the
// device the engine's hotplug XML carries (VDSM takes the same one).
func firstDevice(doc, root string) (nicElem, error) {
	els, err := devices(doc, root, "")
	if err != nil {
		return nicElem{}, err
	}
	if len(els) == 0 {
		return nicElem{}, fmt.Errorf("no device in the %s XML", root)
	}
	return els[0], nil
}

// findNic is the domain's interface with the alias, else with the MAC.
func findNic(domainXML, alias, mac string) (nicElem, error) {
	nics, err := devices(domainXML, "domain", "interface")
	if err != nil {
		return nicElem{}, err
	}
	for _, n := range nics {
		if alias != "" && n.alias == alias {
			return n, nil
		}
	}
	for _, n := range nics {
		if mac != "" && strings.EqualFold(n.mac, mac) {
			return n, nil
		}
	}
	return nicElem{}, errNoNic
}

// devices cuts the elements under root/devices (of tag, "" for any) out of doc, with the MAC,
// alias and link state they carry.
func devices(doc, root, tag string) ([]nicElem, error) {
	d := xml.NewDecoder(strings.NewReader(doc))
	var path []string
	var out []nicElem
	var cur *nicElem
	var start int64
	for {
		before := d.InputOffset()
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("device XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			switch {
			case len(path) == 3 && path[0] == root && path[1] == "devices" && (tag == "" || t.Name.Local == tag):
				cur, start = &nicElem{}, before
			case cur != nil && len(path) == 4:
				switch t.Name.Local {
				case "mac":
					cur.mac = attr(t, "address")
				case "alias":
					cur.alias = attr(t, "name")
				case "link":
					cur.link = attr(t, "state")
				}
			}
		case xml.EndElement:
			if len(path) == 0 {
				return nil, fmt.Errorf("device XML: unbalanced </%s>", t.Name.Local)
			}
			if cur != nil && len(path) == 3 {
				cur.raw = doc[start:d.InputOffset()]
				out = append(out, *cur)
				cur = nil
			}
			path = path[:len(path)-1]
		}
	}
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// setNic is an interface element with <link state> set (added when missing) and, when bridge
// is not "", its <source bridge> set.
func setNic(el, state, bridge string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(el))
	var b bytes.Buffer
	e := xml.NewEncoder(&b)
	depth, linked := 0, false
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("NIC XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 && t.Name.Local == "link" {
				t.Attr, linked = setAttr(t.Attr, "state", state), true
			}
			if depth == 2 && t.Name.Local == "source" && bridge != "" {
				t.Attr = setAttr(t.Attr, "bridge", bridge)
			}
			tok = t
		case xml.EndElement:
			if depth == 1 && !linked {
				link := xml.StartElement{Name: xml.Name{Local: "link"}, Attr: []xml.Attr{{Name: xml.Name{Local: "state"}, Value: state}}}
				if err := e.EncodeToken(link); err != nil {
					return "", err
				}
				if err := e.EncodeToken(link.End()); err != nil {
					return "", err
				}
			}
			depth--
		}
		if err := e.EncodeToken(tok); err != nil {
			return "", fmt.Errorf("NIC XML: %w", err)
		}
	}
	if err := e.Flush(); err != nil {
		return "", err
	}
	return b.String(), nil
}

func setAttr(as []xml.Attr, name, value string) []xml.Attr {
	for i, a := range as {
		if a.Name.Local == name && a.Name.Space == "" {
			as[i].Value = value
			return as
		}
	}
	return append(as, xml.Attr{Name: xml.Name{Local: name}, Value: value})
}
