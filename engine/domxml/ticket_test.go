package domxml

import (
	"errors"
	"testing"
	"time"
)

// libvirt's live XML, read with its secrets, of a VM with both displays.
const liveXML = `<domain type='kvm' id='1'><name>a</name><uuid>u</uuid><devices>
<graphics type='spice' port='5900' tlsPort='5901' autoport='yes' passwd='old' passwdValidTo='1970-01-01T00:00:01'>
<listen type='network' address='192.0.2.1' network='vdsm-ovirtmgmt'/><channel name='main' mode='secure'/></graphics>
<graphics type='vnc' port='5902' autoport='yes' keymap='en-us' passwd='old' passwdValidTo='1970-01-01T00:00:01'><listen type='address' address='0'/></graphics>
</devices></domain>`

func TestTicketDevice(t *testing.T) {
	at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, graphics string
		ticket         Ticket
		want, typ      string
		err            error
	}{
		{"first device, ttl sets the expiry, spice keeps the client it has", "", Ticket{Password: "s3cret", ValidTo: ValidTo(at, 120), Connected: "keep"},
			`<graphics type="spice" port="5900" tlsPort="5901" autoport="yes" passwd="s3cret" passwdValidTo="2026-12-06T20:02:00" connected="keep">
<listen type="network" address="192.0.2.1" network="vdsm-ovirtmgmt"></listen><channel name="main" mode="secure"></channel></graphics>`, "spice", nil},
		{"vnc by type: no ttl keeps the expiry, connected is SPICE's only", "vnc", Ticket{Password: `a"b<c`, ValidTo: ValidTo(at, 0), Connected: "disconnect"},
			`<graphics type="vnc" port="5902" autoport="yes" keymap="en-us" passwd="a&#34;b&lt;c" passwdValidTo="1970-01-01T00:00:01"><listen type="address" address="0"></listen></graphics>`, "vnc", nil},
		{"no such type", "sdl", Ticket{Password: "x"}, "", "", ErrNoGraphics},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, typ, err := TicketDevice(liveXML, tc.graphics, tc.ticket)
			if !errors.Is(err, tc.err) || got != tc.want || typ != tc.typ {
				t.Fatalf("got %q %q %v\nwant %q %q %v", got, typ, err, tc.want, tc.typ, tc.err)
			}
		})
	}
	if _, _, err := TicketDevice(`<domain><devices></devices></domain>`, "", Ticket{}); !errors.Is(err, ErrNoGraphics) {
		t.Fatalf("a domain without graphics: %v", err)
	}
}
