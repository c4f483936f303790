package domxml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNoGraphics: the domain has no graphics device of the type asked for.
var ErrNoGraphics = errors.New("no such graphics device")

// Ticket is a console password to set on a graphics device, as VDSM's _setTicketForGraphicDev
// sets it: the password, its expiry when a lifetime is given (else the device keeps the expiry
// it has), and for SPICE what happens to a client already connected.
type Ticket struct {
	Password  string
	ValidTo   time.Time // zero: keep the device's passwdValidTo
	Connected string    // SPICE's keep/disconnect/fail; "" leaves it unset
}

// ValidTo is when a ticket with a lifetime of ttl seconds expires, as VDSM computes it; zero
// when ttl is not positive.
func ValidTo(now time.Time, ttl int64) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(ttl) * time.Second)
}

// TicketDevice finds the graphics device of graphicsType ("" for the first one) in a domain's
// XML (read with its secrets, so the device keeps what it has) and returns that device's XML
// with the ticket set, for libvirt's device update, and its type.
func TicketDevice(domainXML, graphicsType string, t Ticket) (string, string, error) {
	el, typ, err := graphicsElement(domainXML, graphicsType)
	if err != nil {
		return "", "", err
	}
	set := map[string]string{"passwd": t.Password}
	if !t.ValidTo.IsZero() {
		set["passwdValidTo"] = t.ValidTo.UTC().Format("2006-01-02T15:04:05")
	}
	if t.Connected != "" && typ == "spice" {
		set["connected"] = t.Connected
	}
	out, err := withAttrs(el, set)
	return out, typ, err
}

// graphicsElement cuts the graphics element out of the domain XML.
func graphicsElement(s, graphicsType string) (string, string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	var path []string
	var start int64 = -1
	var typ string
	for {
		before := d.InputOffset()
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return "", "", ErrNoGraphics
		}
		if err != nil {
			return "", "", fmt.Errorf("domain XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			if start < 0 && strings.Join(path, "/") == "domain/devices/graphics" {
				if ty := attr(t, "type"); graphicsType == "" || ty == graphicsType {
					start, typ = before, ty
				}
			}
		case xml.EndElement:
			if len(path) == 0 {
				return "", "", fmt.Errorf("domain XML: unbalanced </%s>", t.Name.Local)
			}
			if start >= 0 && strings.Join(path, "/") == "domain/devices/graphics" {
				return s[start:d.InputOffset()], typ, nil
			}
			path = path[:len(path)-1]
		}
	}
}

// withAttrs re-encodes one element with attributes of its root set to the given values.
func withAttrs(el string, set map[string]string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(el))
	var w rawWriter
	first := true
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("graphics device XML: %w", err)
		}
		if st, ok := tok.(xml.StartElement); ok && first {
			first = false
			done := map[string]bool{}
			for i, a := range st.Attr {
				if v, ok := set[a.Name.Local]; ok && a.Name.Space == "" {
					st.Attr[i].Value, done[a.Name.Local] = v, true
				}
			}
			for _, k := range []string{"passwd", "passwdValidTo", "connected"} {
				if v, ok := set[k]; ok && !done[k] {
					st.Attr = append(st.Attr, xml.Attr{Name: xml.Name{Local: k}, Value: v})
				}
			}
			tok = st
		}
		if err := w.token(tok); err != nil {
			return "", fmt.Errorf("graphics device XML: %w", err)
		}
	}
	out, err := w.text()
	if err != nil {
		return "", fmt.Errorf("graphics device XML: %w", err)
	}
	return out, nil
}
