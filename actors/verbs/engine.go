package verbs

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
)

// EngineVerbs are the device verbs of the engine: the console's (the older VM.setTicket and
// VM.updateDevice with deviceType graphics, SetVmTicketVDSCommand), NIC updates through
// VM.updateDevice, the NIC hotplug verbs (hotplug.go), the CPU and memory hotplug verbs
// (hotplug_resources.go), and the QoS verbs (policy.go).
func EngineVerbs() []Verb {
	return append([]Verb{
		{Name: "VM.setTicket", Run: toVM(setTicket)},
		{Name: "VM.updateDevice", Run: toVM(updateDevice)},
	}, slices.Concat(HotplugVerbs(), HotplugResourceVerbs(), PolicyVerbs())...)
}

func setTicket(r *reply.Reply, c *Call) (any, error) {
	if _, ok := present(c, "ttl"); !ok {
		return nil, missing(c.Method, "ttl")
	}
	m := &vm.SetTicket{Reply: r}
	var err error
	if m.Password, err = c.String("password"); err != nil {
		return nil, err
	}
	if m.TTL, err = c.OptInt("ttl", 0); err != nil {
		return nil, err
	}
	if m.ConnAct, err = c.OptString("existingConnAction", ""); err != nil {
		return nil, err
	}
	if err := ticketParams(c, "params", m); err != nil {
		return nil, err
	}
	return m, nil
}

// updateDevice checks what VDSM's API.updateDevice and Vm.updateDevice check, in their order;
// only graphics devices are updated here.
func updateDevice(r *reply.Reply, c *Call) (any, error) {
	raw, err := c.Object("params")
	if err != nil {
		return nil, err
	}
	p := &Call{Method: c.Method, Params: raw}
	if _, ok := present(p, "deviceType"); !ok {
		return nil, vdsm.ContextError(vdsm.CodeMissingParameter, "missing", []any{"deviceType"}, "params", redacted(raw))
	}
	kind, err := p.String("deviceType")
	if err != nil {
		return nil, err
	}
	_, hasXML := present(p, "xml")
	if kind == "interface" && !hasXML {
		if _, ok := present(p, "alias"); !ok {
			return nil, vdsm.ContextError(vdsm.CodeMissingParameter, "missing", []any{"alias"}, "params", redacted(raw))
		}
	}
	if kind == "interface" && !hasXML {
		return updateNic(r, p)
	}
	if kind == "interface" {
		return updateNicXML(r, p)
	}
	if kind != "graphics" || hasXML {
		// Devices by XML are not served; VDSM serves graphics by XML neither.
		return nil, vdsm.NewError(vdsm.CodeNotImplemented)
	}
	// VDSM reads these keys with params[key]: a missing one is a KeyError, a general exception.
	for _, k := range []string{"graphicsType", "password", "ttl", "params"} {
		if _, ok := present(p, k); !ok {
			return nil, vdsm.GeneralException("'" + k + "'")
		}
	}
	m := &vm.SetTicket{Reply: r, Update: true}
	if m.GraphicsType, err = p.String("graphicsType"); err != nil {
		return nil, err
	}
	if m.Password, err = p.String("password"); err != nil {
		return nil, err
	}
	if m.TTL, err = p.OptInt("ttl", 0); err != nil {
		return nil, err
	}
	if m.ConnAct, err = p.OptString("existingConnAction", ""); err != nil {
		return nil, err
	}
	if m.DisconnectAction, err = p.OptString("disconnectAction", ""); err != nil {
		return nil, err
	}
	if m.DisconnectDelay, err = p.OptInt("consoleDisconnectActionDelay", 0); err != nil {
		return nil, err
	}
	if err := ticketParams(p, "params", m); err != nil {
		return nil, err
	}
	return m, nil
}

// ticketParams reads the ticket's own params (fips, vncUsername); VDSM reads fips as a string.
func ticketParams(c *Call, name string, m *vm.SetTicket) error {
	raw, ok := present(c, name)
	if !ok {
		return nil
	}
	var ps map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ps); err != nil {
		return badParam(c.Method, name, "an object")
	}
	p := &Call{Method: c.Method, Params: ps}
	if f, ok := present(p, "fips"); ok {
		var s string
		if json.Unmarshal(f, &s) != nil {
			s = string(f) // a JSON true is not the string VDSM wants: it refuses it below
		}
		m.FIPS = s
	}
	if _, ok := present(p, "vncUsername"); ok {
		u, err := p.String("vncUsername")
		if err != nil {
			return err
		}
		m.VNCUsername = &u
	}
	return nil
}

// redacted is the params dict as VDSM's error shows it, with the password masked as VDSM's
// ProtectedPassword prints itself.
func redacted(raw map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		if k == "password" {
			out[k] = "********"
			continue
		}
		var x any
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		_ = d.Decode(&x) // the request was decoded once already: it is JSON
		out[k] = x
	}
	return out
}
