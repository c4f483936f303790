package vm

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/host"
	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// engineParams is what VM.create brings besides the XML that the VM actor needs to resolve it.
type engineParams struct {
	host   domxml.Host // the host's fixed facts; its networks are asked for when the VM is defined
	serial string      // vmParams.serial: the SMBIOS serial instead of the host's UUID
}

// engineCreate runs VDSM's checks on a VM.create before it is admitted, answering the request
// itself when it refuses. VDSM refuses a VNC display without a password unless SASL is
// configured; the agent has no SASL, so such a VM is refused here, as VDSM would refuse it.
func (r *Registry) engineCreate(m *Create, xml string) (*engineParams, bool) {
	res, err := domxml.Resolve(xml, domxml.Host{}, domxml.Request{})
	if err != nil {
		m.Reply.Error(vdsm.CodeGeneralException, vdsm.WithContext(vdsm.Message(vdsm.CodeGeneralException), "reason", err.Error()))
		return nil, false
	}
	if res.InsecureVNC {
		r.cfg.Log.Warn().Str("vm_id", res.UUID).Msg("VNC not secure: passwdValidTo empty or missing and SASL not configured")
		m.Reply.Error(vdsm.CodeCannotCreateVM, vdsm.Message(vdsm.CodeCannotCreateVM))
		return nil, false
	}
	p := &engineParams{host: r.cfg.Engine}
	if raw, ok := m.Params["serial"]; ok {
		_ = json.Unmarshal(raw, &p.serial) // a serial that is not a string is no serial
	}
	return p, true
}

// errNoHost: a VM actor spawned without a host actor (tests of the VM actors alone) can ask no
// one for the host's networks.
var errNoHost = errors.New("no host actor")

// defineEngine resolves the domain XML against the host as VDSM does before it defines a
// domain (domxml.Resolve), has what the XML asks of the host provided, and defines the result.
// The host's libvirt networks are the host actor's (actors/host/domainnets.go), its links the
// network actor's (dummybridge.go): this actor only asks, and waits for the answer within
// hostWait.
func (a *vmActor) defineEngine(c actor.Context) (string, error) {
	var p engineParams
	if a.engine != nil {
		p = *a.engine
	}
	h := p.host
	found, err := askHost[*host.DomainNetworksFound](a, c, &host.DomainNetworks{})
	if err == nil {
		h.Networks, h.Bridges = append(h.Networks, found.Networks...), append(h.Bridges, found.Bridges...)
		err = found.Err
	}
	if err != nil {
		// Without the list every display network falls back to listening on all addresses,
		// which still starts the VM the engine asked for.
		a.log.Warn().Err(err).Msg("listing libvirt networks for the display network")
	}
	res, err := domxml.Resolve(a.xml, h, domxml.Request{Serial: p.serial, PayloadDir: a.payloadDir})
	if err != nil {
		return "", err
	}
	for _, d := range res.Payloads {
		if d.Path == "" {
			continue
		}
		if err := buildPayload(d); err != nil {
			return "", err
		}
	}
	for _, ch := range res.Changes {
		a.log.Info().Msg("engine XML: " + ch)
	}
	if len(res.DisplayNetworks) > 0 {
		made, err := askHost[*host.DomainNetworksProvided](a, c, &host.ProvideDomainNetworks{Display: res.DisplayNetworks})
		if err != nil {
			return "", fmt.Errorf("host networks: %w", err)
		}
		if made.Err != nil {
			return "", made.Err
		}
		for _, name := range made.Created {
			a.log.Info().Msg("engine XML: the host actor created " + name)
		}
	}
	if res.DummyBridge {
		if err := a.provideDummyBridge(c); err != nil {
			return "", err
		}
	}
	return a.lv.Define(res.XML)
}

// askHost asks the host actor and waits for its answer, in this actor's turn: the domain cannot
// be defined before the host has what it names. The wait is bounded, so a host actor held up
// costs this VM a start failure, not its actor for ever.
func askHost[T any](a *vmActor, c actor.Context, m any) (T, error) {
	var zero T
	if a.hostActor == nil {
		return zero, errNoHost
	}
	res, err := c.RequestFuture(a.hostActor, m, a.hostWait).Result()
	if err != nil {
		return zero, fmt.Errorf("the host actor did not answer within %s: %w", a.hostWait, err)
	}
	ans, ok := res.(T)
	if !ok {
		return zero, fmt.Errorf("the host actor answered %T", res)
	}
	return ans, nil
}

// SetTicket sets a console password: VM.setTicket (the first graphics device) or VM.updateDevice
// with deviceType graphics (Update; the device of GraphicsType).
type SetTicket struct {
	Reply        *reply.Reply
	Update       bool
	GraphicsType string
	Password     string
	TTL          int64  // seconds; not positive: the device keeps its expiry
	ConnAct      string // SPICE: what happens to a client already connected
	// FIPS and VNCUsername are params.fips and params.vncUsername: on a FIPS host VDSM keeps VNC
	// passwords in SASL instead.
	FIPS        string
	VNCUsername *string
	// DisconnectAction and DisconnectDelay (minutes) are what happens when the console client
	// goes away (console.go); VM.setTicket leaves them to VDSM's default, lock screen.
	DisconnectAction string
	DisconnectDelay  int64
}

func (m *SetTicket) Answer() *reply.Reply { return m.Reply }

// setTicket is VDSM's _setTicketForGraphicDev: the device as libvirt has it, with the password
// and its expiry set, given back to libvirt's device update. Errors are answered as VDSM answers
// them; a libvirt refusal (the test driver has no device update) reaches the engine in libvirt's
// words.
func (a *vmActor) setTicket(m *SetTicket) {
	var live string
	if err := a.call(func(id string) (err error) { live, err = a.lv.SecureXML(id); return err }); err != nil {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	dev, typ, err := domxml.TicketDevice(live, m.GraphicsType, domxml.Ticket{
		Password: m.Password, ValidTo: domxml.ValidTo(time.Now(), m.TTL), Connected: m.ConnAct,
	})
	switch {
	case errors.Is(err, domxml.ErrNoGraphics) && m.Update:
		m.Reply.Error(vdsm.CodeUpdateDeviceFailed, vdsm.Message(vdsm.CodeUpdateDeviceFailed))
		return
	case errors.Is(err, domxml.ErrNoGraphics):
		m.Reply.Error(vdsm.CodeSpiceTicket, vdsm.Message(vdsm.CodeSpiceTicket))
		return
	case err != nil:
		e := vdsm.GeneralException(err.Error())
		m.Reply.Error(e.Code, e.Message)
		return
	}
	if typ == "vnc" {
		if e := fipsRefusal(m); e != nil {
			m.Reply.Error(e.Code, e.Message)
			return
		}
	}
	if err := a.call(func(id string) error { return a.lv.UpdateDevice(id, dev) }); err != nil {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	a.log.Info().Str("graphics", typ).Int64("ttl", m.TTL).Msg("console ticket set")
	a.ticketSet(m.DisconnectAction, m.DisconnectDelay)
	if m.Update {
		m.Reply.Result(map[string]any{})
		return
	}
	m.Reply.Result(true)
}

// fipsRefusal is VDSM's check of params.fips for a VNC ticket. A FIPS ticket is a SASL password
// for vncUsername, which this agent does not keep: it says so instead of setting a password the
// VNC server would not ask for.
func fipsRefusal(m *SetTicket) *vdsm.Error {
	switch m.FIPS {
	case "", "false":
		return nil
	case "true":
		if m.VNCUsername == nil {
			return vdsm.GeneralException("FIPS mode requires vncUsername")
		}
		return vdsm.GeneralException("FIPS mode VNC passwords (SASL) are not supported by this host")
	}
	return vdsm.ContextError(vdsm.CodeMissingParameter, "reason", `fips param should either be "true", "false" or non-existent`)
}

// failLibvirt answers a failed libvirt call as VDSM's vm.py does where it does not catch
// libvirtError: GeneralException in libvirt's own words; a domain that is gone is noVM.
func failLibvirt(r interface{ Error(int, string) bool }, id string, err error) {
	if errors.Is(err, virt.ErrNoDomain) {
		fail(r, vdsm.NoSuchVM(id))
		return
	}
	fail(r, vdsm.GeneralException(virt.Reason(err)))
}
