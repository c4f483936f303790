package verbs

import (
	"encoding/json"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
)

// HotplugVerbs plug and unplug a VM's NICs (the engine's HotPlugNicVDSCommand and
// HotUnplugNicVDSCommand); VM.updateDevice with deviceType interface is updateNic.
func HotplugVerbs() []Verb {
	return []Verb{
		{Name: "VM.hotplugNic", Run: toVM(func(r *reply.Reply, c *Call) (any, error) {
			x, err := nicXML(c)
			if err != nil {
				return nil, err
			}
			return &vm.HotplugNic{Reply: r, XML: x}, nil
		})},
		{Name: "VM.hotunplugNic", Run: toVM(func(r *reply.Reply, c *Call) (any, error) {
			x, err := nicXML(c)
			if err != nil {
				return nil, err
			}
			return &vm.HotunplugNic{Reply: r, XML: x}, nil
		})},
	}
}

// nicXML is params.xml of the NIC verbs, checked as VDSM's API checks params (vmId required)
// and its vm.py reads it (params['xml']: a missing one is a KeyError, a general exception).
func nicXML(c *Call) (string, error) {
	raw, err := c.Object("params")
	if err != nil {
		return "", err
	}
	p := &Call{Method: c.Method, Params: raw}
	if _, ok := present(p, "vmId"); !ok {
		return "", vdsm.ContextError(vdsm.CodeMissingParameter, "missing", []any{"vmId"}, "params", redacted(raw))
	}
	if _, ok := present(p, "xml"); !ok {
		return "", vdsm.GeneralException("'xml'")
	}
	return p.String("xml")
}

// updateNic is VM.updateDevice with deviceType interface (UpdateVmInterfaceVDSCommand): the
// alias is required (checked before), linkActive arrives as "true"/"false" or a boolean, and a
// network of "" unplugs the cable.
func updateNic(r *reply.Reply, p *Call) (any, error) {
	m := &vm.UpdateNic{Reply: r}
	var err error
	if m.Alias, err = p.String("alias"); err != nil {
		return nil, err
	}
	if _, ok := present(p, "linkActive"); ok {
		b, err := p.OptBool("linkActive", true)
		if err != nil {
			return nil, err
		}
		m.LinkActive = &b
	}
	if raw, ok := present(p, "network"); ok {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, badParam(p.Method, "network", "a string")
		}
		m.Network = &s
	}
	return m, nil
}

// updateNicXML is VM.updateDevice with deviceType interface as today's engine sends it: the NIC
// as its hotplug XML, read as VDSM's Vm.updateDevice reads it (dev_from_xml, update_params). An
// XML VDSM cannot read fails outside its try: a general exception.
func updateNicXML(r *reply.Reply, p *Call) (any, error) {
	x, err := p.String("xml")
	if err != nil {
		return nil, err
	}
	u, err := domxml.ParseNicUpdate(x)
	if err != nil {
		return nil, vdsm.GeneralException(err.Error())
	}
	return &vm.UpdateNic{Reply: r, Alias: u.Alias, LinkActive: &u.LinkActive, Network: &u.Network}, nil
}
