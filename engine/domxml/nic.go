package domxml

// Interface devices cut out of and edited in a domain XML, for NIC hotplug and device updates
// (VDSM's hotplugNic, hotunplugNic, _updateInterfaceDevice).

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Element is one device element cut out of a domain (or the engine's hotplug) XML, with the MAC,
// alias, link state and source bridge it carries.
type Element struct {
	Raw, MAC, Alias, Link, Bridge string
}

// ErrNoNic: the domain has no interface with the alias or MAC asked for.
var ErrNoNic = errors.New("no such NIC")

// FirstDevice is the first element under <devices> of a document whose root is root: the
// device the engine's hotplug XML carries (VDSM takes the same one).
func FirstDevice(doc, root string) (Element, error) {
	els, err := devices(doc, root, "")
	if err != nil {
		return Element{}, err
	}
	if len(els) == 0 && root == "" {
		return Element{}, errors.New("no device in the XML")
	}
	if len(els) == 0 {
		return Element{}, fmt.Errorf("no device in the %s XML", root)
	}
	return els[0], nil
}

// FindNic is the domain's interface with the alias, else with the MAC.
func FindNic(domainXML, alias, mac string) (Element, error) {
	nics, err := devices(domainXML, "domain", "interface")
	if err != nil {
		return Element{}, err
	}
	for _, n := range nics {
		if alias != "" && n.Alias == alias {
			return n, nil
		}
	}
	for _, n := range nics {
		if mac != "" && strings.EqualFold(n.MAC, mac) {
			return n, nil
		}
	}
	return Element{}, ErrNoNic
}

// devices cuts the elements under root/devices (of tag, "" for any; root "" is any root) out of
// doc, with the MAC, alias, link state and bridge they carry.
func devices(doc, root, tag string) ([]Element, error) {
	d := xml.NewDecoder(strings.NewReader(doc))
	var path []string
	var out []Element
	var cur *Element
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
			case len(path) == 3 && (root == "" || path[0] == root) && path[1] == "devices" && (tag == "" || t.Name.Local == tag):
				cur, start = &Element{}, before
			case cur != nil && len(path) == 4:
				switch t.Name.Local {
				case "mac":
					cur.MAC = attr(t, "address")
				case "alias":
					cur.Alias = attr(t, "name")
				case "link":
					cur.Link = attr(t, "state")
				case "source":
					cur.Bridge = attr(t, "bridge")
				}
			}
		case xml.EndElement:
			if len(path) == 0 {
				return nil, fmt.Errorf("device XML: unbalanced </%s>", t.Name.Local)
			}
			if cur != nil && len(path) == 3 {
				cur.Raw = doc[start:d.InputOffset()]
				out = append(out, *cur)
				cur = nil
			}
			path = path[:len(path)-1]
		}
	}
}

// SetNic is an interface element with <link state> set (added when missing) and, when bridge
// is not "", its <source bridge> set.
func SetNic(el, state, bridge string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(el))
	var w rawWriter
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
				_ = w.token(link) // a new element at the level of its siblings is balanced
				_ = w.token(link.End())
			}
			depth--
		}
		if err := w.token(tok); err != nil {
			return "", fmt.Errorf("NIC XML: %w", err)
		}
	}
	out, err := w.text()
	if err != nil {
		return "", fmt.Errorf("NIC XML: %w", err)
	}
	return out, nil
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

// NicUpdate is what VM.updateDevice asks of a NIC when the engine sends its hotplug XML
// (UpdateVmInterfaceVDSCommand builds it with buildHotplugNic) instead of the alias and link
// parameters: VDSM's Interface.update_params of the device the XML describes.
type NicUpdate struct {
	Alias      string
	LinkActive bool
	// Network is the device metadata's network, else the interface's bridge; "" is VDSM's
	// unplugged cable (the dummy bridge, link down).
	Network string
}

// ParseNicUpdate reads the NIC update of the engine's hotplug XML: its first device, a <link>
// that is not down (or none) as an active link, its network from the ovirt-vm metadata else its
// source bridge (vmdevices/network.py from_xml_tree).
func ParseNicUpdate(hotplugXML string) (NicUpdate, error) {
	el, err := FirstDevice(hotplugXML, "") // VDSM takes any root element
	if err != nil {
		return NicUpdate{}, err
	}
	d, err := HotplugNicDevice(hotplugXML, el.MAC, el.Bridge)
	if err != nil {
		return NicUpdate{}, err
	}
	return NicUpdate{Alias: el.Alias, LinkActive: el.Link != "down", Network: d.Network()}, nil
}
