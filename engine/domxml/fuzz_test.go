package domxml

import (
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// addEngineSeeds seeds f with the golden engine XMLs and the package's own test documents.
func addEngineSeeds(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no engine XML: %v", err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(raw))
	}
	for _, s := range []string{hotplugDomain, metaDomain, metaHotplug, liveXML, `<domain/>`, `<a><devices><b/></devices></a>`,
		// Small documents with what the engine's never have: prefixes, comments, CDATA, entities.
		`<domain xmlns:o="urn:o"><devices><interface o:type="x" type="bridge"><o:mac address="52:54:00:00:00:01"/><!--c--><source bridge="a&amp;b"/><link state="up"/><alias name="ua-1"/><![CDATA[<x>]]></interface></devices></domain>`,
		`<domain><metadata><ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><ovirt-vm:device mac_address="52:54:00:00:00:01" o:x="1" xmlns:o="urn:o"><ovirt-vm:network>n</ovirt-vm:network></ovirt-vm:device><ovirt-vm:device mac_address="52:54:00:00:00:09"/></ovirt-vm:vm></metadata><devices><interface><mac address="52:54:00:00:00:01"/></interface></devices></domain>`,
		`<domain><devices><graphics type="vnc" passwd="x" a:passwd="y" xmlns:a="urn:a"><listen type="address"/></graphics><graphics type="spice"/></devices></domain>`,
		`<?xml version="1.0"?><!DOCTYPE domain><domain><devices><graphics type='spice' connected='keep'/></devices></domain>`,
	} {
		f.Add(s)
	}
}

// wellFormed is whether encoding/xml reads s as one element with balanced tags and no attribute
// twice in an element, and nothing but comments, processing instructions and space beside it.
func wellFormed(s string) bool {
	d := xml.NewDecoder(strings.NewReader(s))
	roots, depth := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return roots == 1 && depth == 0
		}
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			seen := map[xml.Name]bool{}
			for _, a := range t.Attr {
				if seen[a.Name] {
					return false
				}
				seen[a.Name] = true
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && strings.TrimSpace(string(t)) != "" {
				return false
			}
		}
	}
}

// FuzzResolve: any engine XML resolves or is refused, a well-formed one stays well-formed, and
// resolving the result again changes nothing.
func FuzzResolve(f *testing.F) {
	addEngineSeeds(f)
	host := testHost
	host.Bridges = append(host.Bridges, "display")
	f.Fuzz(func(t *testing.T, engineXML string) {
		for _, req := range []Request{{}, {Serial: "s<e>r", PayloadDir: "/run/payload"}} {
			res, err := Resolve(engineXML, host, req)
			if err != nil {
				continue
			}
			if wellFormed(engineXML) && !wellFormed(res.XML) {
				t.Fatalf("Resolve made ill-formed XML of a well-formed one:\n%s", res.XML)
			}
			again, err := Resolve(res.XML, host, req)
			if err != nil || again.XML != res.XML {
				t.Fatalf("Resolve of its own output: %v\n%s\nonce:\n%s", err, again.XML, res.XML)
			}
		}
	})
}

// FuzzNic: the hotplug and device-update readers take any XML, and the NIC edits (link state and
// bridge, device metadata) keep well-formed XML well-formed and do nothing more the second time.
func FuzzNic(f *testing.F) {
	addEngineSeeds(f)
	f.Fuzz(func(t *testing.T, doc string) {
		wf := wellFormed(doc)
		_, _ = FirstDevice(doc, "")
		_, _ = FirstDevice(doc, "hotplug")
		_, _ = ParseNicUpdate(doc)
		els, err := devices(doc, "domain", "interface")
		if err != nil {
			return
		}
		// Each check reads the whole document again: a few NICs keep an input that the mutator
		// filled with them from taking seconds.
		for _, el := range els[:min(len(els), 4)] {
			if el.Alias == "" && el.MAC == "" {
				continue
			}
			if got, err := FindNic(doc, el.Alias, el.MAC); err != nil || (el.Alias != "" && got.Alias != el.Alias) {
				t.Fatalf("FindNic(%q, %q): %+v %v", el.Alias, el.MAC, got, err)
			}
			once, err := SetNic(el.Raw, "down", "br<1>")
			if err != nil {
				continue
			}
			if wf && !wellFormed(once) {
				t.Fatalf("SetNic made ill-formed XML of %q:\n%s", el.Raw, once)
			}
			if twice, err := SetNic(once, "down", "br<1>"); err != nil || twice != once {
				t.Fatalf("SetNic twice: %q %v\nonce: %q", twice, err, once)
			}

			d, _, err := NicDeviceOf(doc, el.MAC)
			if err != nil {
				continue
			}
			d = d.WithNetwork("net&1")
			if again := d.WithNetwork("net&1"); render(again.n) != render(d.n) {
				t.Fatalf("WithNetwork twice: %s\nonce: %s", render(again.n), render(d.n))
			}
			vm, err := PutNicDevice(doc, d)
			if err != nil {
				t.Fatalf("PutNicDevice after NicDeviceOf read the document: %v", err)
			}
			if !wellFormed(vm) {
				t.Fatalf("PutNicDevice made ill-formed XML:\n%s", vm)
			}
		}
		if vm, _, err := DropStaleNicDevices(doc); err == nil && !wellFormed(vm) {
			t.Fatalf("DropStaleNicDevices made ill-formed XML:\n%s", vm)
		}
	})
}

// FuzzTicket: setting a ticket keeps a well-formed graphics device well-formed, and setting the
// same ticket on the result changes nothing.
func FuzzTicket(f *testing.F) {
	addEngineSeeds(f)
	at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	tickets := []Ticket{
		{Password: `p"w<&>'`, ValidTo: ValidTo(at, 120), Connected: "keep"},
		{Password: "", Connected: "disconnect"},
	}
	f.Fuzz(func(t *testing.T, domainXML string) {
		wf := wellFormed(domainXML)
		for _, typ := range []string{"", "vnc", "spice"} {
			for _, tk := range tickets {
				once, gtyp, err := TicketDevice(domainXML, typ, tk)
				if err != nil {
					continue
				}
				if typ != "" && gtyp != typ {
					t.Fatalf("asked for %s graphics, got %s", typ, gtyp)
				}
				if wf && !wellFormed(once) {
					t.Fatalf("TicketDevice made ill-formed XML:\n%s", once)
				}
				twice, _, err := TicketDevice("<domain><devices>"+once+"</devices></domain>", gtyp, tk)
				if err != nil || twice != once {
					t.Fatalf("ticket set twice: %q %v\nonce: %q", twice, err, once)
				}
			}
		}
	})
}

// The fuzzer's find: edits went through xml.Encoder, which declared a raw token's prefix as a
// namespace of that name, moving prefixed names into another namespace.
func TestEditsKeepPrefixes(t *testing.T) {
	got, err := SetNic(`<interface xmlns:o="urn:o" o:type="x"><o:mac address="m"/></interface>`, "up", "")
	want := `<interface xmlns:o="urn:o" o:type="x"><o:mac address="m"></o:mac><link state="up"></link></interface>`
	if err != nil || got != want {
		t.Fatalf("SetNic: %q %v\nwant %q", got, err, want)
	}
	got, _, err = TicketDevice(`<domain><devices><graphics type="vnc" a:passwd="y" xmlns:a="urn:a"/></devices></domain>`, "", Ticket{Password: "p"})
	want = `<graphics type="vnc" a:passwd="y" xmlns:a="urn:a" passwd="p"></graphics>`
	if err != nil || got != want {
		t.Fatalf("TicketDevice: %q %v\nwant %q", got, err, want)
	}
	if got, err := SetNic(`<interface><mac address="m">`, "up", ""); err == nil {
		t.Fatalf("SetNic of an element left open: %q", got)
	}
}
