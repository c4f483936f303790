// Package domxml turns the domain XML an oVirt engine sends with VM.create (the output of its
// LibvirtVmXmlBuilder) into the XML libvirt defines on this host, as VDSM does before it defines
// the domain: sysinfo placeholders filled from the host, <on_reboot> taken out and kept as the
// destroy-on-reboot setting, graphics listening on a vdsm-<net> display network resolved, and
// payload disks pointed at the images the host builds for them, and the ovirt-vm metadata read
// into typed settings.
//
// It is pure: it never calls libvirt or touches the host. What the host must provide before the
// domain can be defined (the dummy bridge, a display network to create) is returned as needs
// for the caller to carry out. Everything the engine wrote that needs no change is kept byte for
// byte, namespaces and prefixes included: edits are spliced into the original text.
package domxml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Names the engine and VDSM agree on.
const (
	// DummyBridge is the bridge a vNIC with no network is plugged into (VDSM's DUMMY_BRIDGE).
	DummyBridge = ";vdsmdummy;"
	// DisplayNetworkPrefix prefixes the libvirt network VDSM makes for a display network
	// (libvirtnetwork.LIBVIRT_NET_PREFIX).
	DisplayNetworkPrefix = "vdsm-"
	// VDSM's placeholders in <sysinfo><system>: an entry whose text starts with one is replaced.
	placeholderOSName  = "OS-NAME:"
	placeholderVersion = "OS-VERSION:"
	placeholderSerial  = "HOST-SERIAL:"
	// fallbackListen is where graphics listen when their display network cannot be had: all
	// addresses, as the engine itself writes when a cluster has no display network.
	fallbackListen = `<listen type="address" address="0"/>`
)

// Host is what the resolution takes from the host.
type Host struct {
	// OSName, OSVersion and OSRelease are VDSM's osinfo.version(): the product entry gets the
	// name, the version entry "version-release".
	OSName, OSVersion, OSRelease string
	// UUID is the host's identity (VDSM's host.uuid()), the serial entry unless the request
	// names a serial of its own.
	UUID string
	// Networks are the libvirt networks defined on the host, Bridges the bridges a display
	// network can be made on.
	Networks []string
	Bridges  []string
}

// Request carries the VM.create parameters besides the XML that change the resolution.
type Request struct {
	// Serial is vmParams.serial: the SMBIOS serial the engine wants instead of the host's UUID.
	Serial string
	// PayloadDir is where payload images go; "" leaves payload sources as the engine wrote them.
	PayloadDir string
}

// Resolved is the engine's XML made definable, and what it asks of the host.
type Resolved struct {
	XML  string `json:"-"`
	UUID string
	// Meta is the ovirt-vm:vm metadata, typed.
	Meta VM
	// DestroyOnReboot: a guest reboot ends the VM (metadata, or <on_reboot>destroy</on_reboot>,
	// which is taken out of the XML as VDSM does so that the agent sees the reboot).
	DestroyOnReboot bool
	// DummyBridge: a NIC is plugged into DummyBridge, which must exist before the domain starts.
	DummyBridge bool
	// DisplayNetworks are libvirt networks to create before define.
	DisplayNetworks []DisplayNetwork
	// Payloads are the disks whose image the host must build from the metadata's payload before
	// the domain starts, their sources already pointing at it.
	Payloads []PayloadDisk `json:",omitempty"`
	// InsecureVNC: a VNC display has no password expiry (passwdValidTo missing or empty), which
	// is how the engine says "no password"; VDSM refuses such a VM unless SASL is configured.
	InsecureVNC bool
	// Changes says what was changed, one line each, for the log.
	Changes []string
}

// DisplayNetwork is a libvirt network in bridge mode over a host bridge, as VDSM creates for a
// display network.
type DisplayNetwork struct {
	Name   string // vdsm-<net>
	Bridge string // <net>
}

// splice replaces the bytes [from, to) of the original text.
type splice struct {
	from, to int64
	text     string
}

// Resolve resolves one engine domain XML against the host.
func Resolve(engineXML string, h Host, req Request) (Resolved, error) {
	meta, uuid, arch, err := readDomain(engineXML)
	if err != nil {
		return Resolved{}, err
	}
	res := Resolved{UUID: uuid, Meta: meta, DestroyOnReboot: meta.DestroyOnReboot}
	edits, err := res.walk(engineXML, h, req, isX86(arch))
	if err != nil {
		return Resolved{}, err
	}
	res.XML = apply(engineXML, edits)
	return res, nil
}

func isX86(arch string) bool {
	switch arch {
	case "x86_64", "i686", "i386", "":
		// No arch: libvirt takes the host's, and the engine writes one for every VM anyway.
		return true
	}
	return false
}

// walk reads the XML as tokens, with the byte offset of each, and collects the edits.
func (res *Resolved) walk(s string, h Host, req Request, x86 bool) ([]splice, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	var (
		edits    []splice
		path     []string
		starts   []int64 // offset where each open element began
		entry    string  // the name of the sysinfo entry being read, "" outside one
		fallback bool    // the graphics listen being read is replaced once it ends
		networks = set(h.Networks)
		bridges  = set(h.Bridges)
		planned  = map[string]bool{}
		disk     payloadDisk
	)
	for {
		before := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("engine domain XML: %w", err)
		}
		after := d.InputOffset()
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			starts = append(starts, before)
			p := strings.Join(path, "/")
			switch p {
			case "domain/sysinfo/system/entry":
				entry = attr(t, "name")
			case "domain/devices/graphics":
				if attr(t, "type") == "vnc" && attr(t, "passwdValidTo") == "" {
					res.InsecureVNC = true
				}
			case "domain/devices/disk":
				disk = payloadDisk{device: attr(t, "device")}
			case "domain/devices/disk/target":
				disk.target = attr(t, "dev")
			case "domain/devices/disk/source":
				if attr(t, "file") == PayloadSource {
					disk.from, disk.to = before, after
				}
			case "domain/devices/interface/source":
				if attr(t, "bridge") == DummyBridge {
					res.DummyBridge = true
				}
			case "domain/devices/graphics/listen":
				if attr(t, "type") != "network" {
					break
				}
				net := attr(t, "network")
				switch {
				case networks[net]:
				case strings.HasPrefix(net, DisplayNetworkPrefix) && bridges[strings.TrimPrefix(net, DisplayNetworkPrefix)]:
					if !planned[net] {
						planned[net] = true
						res.DisplayNetworks = append(res.DisplayNetworks, DisplayNetwork{Name: net, Bridge: strings.TrimPrefix(net, DisplayNetworkPrefix)})
						res.Changes = append(res.Changes, fmt.Sprintf("display network %s to be created on bridge %s", net, strings.TrimPrefix(net, DisplayNetworkPrefix)))
					}
				default:
					fallback = true
					res.Changes = append(res.Changes, fmt.Sprintf("display network %s is not on this host: graphics listen on all addresses", net))
				}
			}
		case xml.CharData:
			if entry == "" || len(path) == 0 || path[len(path)-1] != "entry" || !x86 {
				break
			}
			if v, ok := sysinfoValue(entry, string(t), h, req); ok {
				edits = append(edits, splice{before, after, escape(v)})
				res.Changes = append(res.Changes, fmt.Sprintf("sysinfo %s: %q", entry, v))
			}
		case xml.EndElement:
			p := strings.Join(path, "/")
			start := starts[len(starts)-1]
			path, starts = path[:len(path)-1], starts[:len(starts)-1]
			switch p {
			case "domain/sysinfo/system/entry":
				entry = ""
			case "domain/devices/disk":
				edits = append(edits, res.endPayloadDisk(s, disk, req)...)
			case "domain/devices/graphics/listen":
				if fallback {
					edits = append(edits, splice{start, after, fallbackListen})
					fallback = false
				}
			case "domain/on_reboot":
				if onReboot(s[start:after]) == "destroy" {
					res.DestroyOnReboot = true
				}
				edits = append(edits, splice{start, after, ""})
				res.Changes = append(res.Changes, "on_reboot removed: the agent handles a guest reboot")
			}
		}
	}
	return edits, nil
}

// sysinfoValue is what VDSM's update_sysinfo puts in a sysinfo entry, if its text is a
// placeholder.
func sysinfoValue(name, text string, h Host, req Request) (string, bool) {
	text = strings.TrimSpace(text)
	switch {
	case name == "product" && strings.HasPrefix(text, placeholderOSName):
		return h.OSName, true
	case name == "version" && strings.HasPrefix(text, placeholderVersion):
		return h.OSVersion + "-" + h.OSRelease, true
	case name == "serial" && strings.HasPrefix(text, placeholderSerial):
		if req.Serial != "" {
			return req.Serial, true
		}
		return h.UUID, true
	}
	return "", false
}

// onReboot reads the action out of an <on_reboot> element's text.
func onReboot(el string) string {
	var v string
	if xml.Unmarshal([]byte(el), &v) != nil {
		return ""
	}
	return strings.TrimSpace(v)
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

func escape(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return b.String()
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// apply splices the edits into s. Edits never overlap: each covers a different element.
func apply(s string, edits []splice) string {
	sort.Slice(edits, func(i, j int) bool { return edits[i].from < edits[j].from })
	var b strings.Builder
	var at int64
	for _, e := range edits {
		b.WriteString(s[at:e.from])
		b.WriteString(e.text)
		at = e.to
	}
	b.WriteString(s[at:])
	return b.String()
}
