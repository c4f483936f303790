package main

// The SPICE console in the QEMU lane (see qemu_test.go, qemu_console_test.go for VNC): a guest
// with the engine's SPICE display, its ticket set the way the engine sets it, and the SPICE link
// handshake written here (spice-protocol's protocol.h; spice-server's reds.c checks the ticket).

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SPICE's ticket is RSA-OAEP with SHA-1, by protocol
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// spiceDisplay is a SPICE display as the engine's XML has it before any ticket (writeGraphics:
// an expired placeholder password), on loopback and without TLS: the engine sets tlsPort and
// secure channels only when the host has SPICE TLS set up, which the lane's libvirtd has not.
const spiceDisplay = `<graphics type='spice' port='-1' autoport='yes' passwd='*****' passwdValidTo='1970-01-01T00:00:01'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>`

var spicePort = regexp.MustCompile(`<graphics type=['"]spice['"] port=['"](\d+)['"]`)

// SPICE's link stage (spice-protocol's protocol.h, all integers little-endian).
const (
	spiceMagic          = "REDQ"
	spiceChannelMain    = 1
	spiceChannelInputs  = 3
	spiceCapAuthSelect  = 1 << 0 // SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION
	spiceCapAuthSpice   = 1 << 1 // SPICE_COMMON_CAP_AUTH_SPICE
	spiceAuthSpice      = 1      // SpiceLinkAuthMechanism: the RSA ticket
	spicePubKeyBytes    = 162    // SPICE_TICKET_PUBKEY_BYTES
	spiceErrDenied      = 7      // SPICE_LINK_ERR_PERMISSION_DENIED
	spiceMsgMainInit    = 103    // SPICE_MSG_MAIN_INIT: its first field is the session id
	spiceDataHeaderSize = 18     // SpiceDataHeader: serial u64, type u16, size u32, sub_list u32
)

// spiceLinkError is the server's refusal: the link result it sent.
type spiceLinkError uint32

func (e spiceLinkError) Error() string { return fmt.Sprintf("SPICE link error %d", uint32(e)) }

// spiceLink opens one channel of a SPICE session (session 0 for the main channel, which starts
// one) and logs in with password: the connection when the server accepts it, else the link
// error. A refused connection is closed.
func spiceLink(t *testing.T, addr string, session uint32, channel byte, password string) (net.Conn, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatalf("SPICE connect %s: %v", addr, err)
	}
	// A server that stops talking fails the test instead of hanging it.
	_ = conn.SetDeadline(time.Now().Add(qemuEventLimit))
	le := binary.LittleEndian
	read := func(n int) []byte {
		b := make([]byte, n)
		if _, err := io.ReadFull(conn, b); err != nil {
			t.Fatalf("SPICE read: %v", err)
		}
		return b
	}
	write := func(b []byte) {
		if _, err := conn.Write(b); err != nil {
			t.Fatalf("SPICE write: %v", err)
		}
	}
	// SpiceLinkMess: connection_id, channel_type, channel_id, num_common_caps, num_channel_caps,
	// caps_offset (from the message's start), then the caps.
	mess := le.AppendUint32(nil, session)
	mess = append(mess, channel, 0)
	mess = le.AppendUint32(mess, 1)
	mess = le.AppendUint32(mess, 0)
	mess = le.AppendUint32(mess, 18)
	mess = le.AppendUint32(mess, spiceCapAuthSelect|spiceCapAuthSpice)
	head := append([]byte(spiceMagic), le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 2), 2), uint32(len(mess)))...)
	write(append(head, mess...))

	h := read(16)
	if string(h[:4]) != spiceMagic || le.Uint32(h[4:]) != 2 {
		t.Fatalf("SPICE server's link header %q", h)
	}
	body := read(int(le.Uint32(h[12:])))
	if e := le.Uint32(body); e != 0 {
		conn.Close()
		return nil, spiceLinkError(e)
	}
	der := body[4 : 4+spicePubKeyBytes]
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("SPICE server's public key: %v", err)
	}
	key, ok := pub.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("SPICE server's public key is a %T, not RSA", pub)
	}
	ticket, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, key, append([]byte(password), 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	write(append(le.AppendUint32(nil, spiceAuthSpice), ticket...))
	if r := le.Uint32(read(4)); r != 0 {
		conn.Close()
		return nil, spiceLinkError(r)
	}
	return conn, nil
}

// spiceLogin is spiceLink's main channel, closed again: nil when the password is accepted.
func spiceLogin(t *testing.T, addr, password string) error {
	t.Helper()
	conn, err := spiceLink(t, addr, 0, spiceChannelMain, password)
	if err == nil {
		conn.Close()
	}
	return err
}

// spiceSession is the main channel's session id, from the server's SPICE_MSG_MAIN_INIT (the
// messages before it are skipped; without the mini-header capability each has the full header).
func spiceSession(t *testing.T, main net.Conn) uint32 {
	t.Helper()
	for {
		h := make([]byte, spiceDataHeaderSize)
		if _, err := io.ReadFull(main, h); err != nil {
			t.Fatalf("SPICE main channel: %v", err)
		}
		body := make([]byte, binary.LittleEndian.Uint32(h[10:]))
		if _, err := io.ReadFull(main, body); err != nil {
			t.Fatalf("SPICE main channel: %v", err)
		}
		if binary.LittleEndian.Uint16(h[8:]) == spiceMsgMainInit {
			return binary.LittleEndian.Uint32(body)
		}
	}
}

// The engine's SPICE console: the display's expired password lets no one in; VM.updateDevice
// with graphicsType spice (SetVmTicketVDSCommand's parameters) sets a ticket the SPICE link
// accepts, a wrong password is refused, a ticket past its ttl is refused; VM.setTicket with
// existingConnAction disconnect drops the session connected and its ticket logs in; with
// disconnectAction SHUTDOWN the guest is shut down once the session's last channel has gone.
func TestQEMUSpiceTicket(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	g := q.createWith(t, c, "spice", "c5c5c5c5-0000-4000-8000-000000000001", spiceDisplay)
	if e := ev.wait(g.id, "Powering up", "Down"); e["status"] == "Down" {
		t.Fatalf("the guest with a SPICE display did not start (does this QEMU have SPICE? qemu-system-x86_64 -spice help): %v", e)
	}
	xml := dumpxml(t, c, g.id)
	m := spicePort.FindStringSubmatch(xml)
	if m == nil {
		t.Fatalf("no SPICE port in Host.dumpxmls:\n%s", xml)
	}
	addr := net.JoinHostPort("127.0.0.1", m[1])
	// displayInfo is what the engine's console dialog connects to: the SPICE port, and no TLS
	// port ("" as VDSM's vmxml.attr has it for a display without TLS).
	di, _ := vmStatsOf(t, c, g.id)["displayInfo"].([]any)
	want := map[string]any{"type": "spice", "port": m[1], "tlsPort": "", "ipAddress": "127.0.0.1"}
	if len(di) != 1 || fmt.Sprint(di[0]) != fmt.Sprint(want) {
		t.Fatalf("displayInfo %v, want [%v]", di, want)
	}
	denied := func(err error, what string) {
		t.Helper()
		var le spiceLinkError
		if !errors.As(err, &le) || le != spiceErrDenied {
			t.Fatalf("%s: %v, want SPICE_LINK_ERR_PERMISSION_DENIED", what, err)
		}
	}

	denied(spiceLogin(t, addr, "*****"), "the engine's expired placeholder password")
	// ticket is VM.updateDevice as today's SetVmTicketVDSCommand sends it, for SPICE too: no
	// existingConnAction (libvirt then leaves QEMU's default, keep), the delay as a number, and
	// the user and VNC params VDSM reads only for VNC.
	ticket := func(password string, ttl int, action string) {
		t.Helper()
		res, err := c.Call("VM.updateDevice", map[string]any{"vmID": g.id, "params": map[string]any{
			"deviceType": "graphics", "graphicsType": "spice", "password": password, "ttl": ttl,
			"disconnectAction": action, "consoleDisconnectActionDelay": 0,
			"params": map[string]any{"userName": "admin@internal", "userId": "fdfc627c-d875-11e0-90f0-83df133b58cc",
				"fips": "false", "vncUsername": "vnc-" + g.id},
		}})
		if err != nil || string(res) != "{}" {
			t.Fatalf("VM.updateDevice graphics spice: %s %v", res, err)
		}
	}
	ticket("s3cr3t-spice-1", 120, "LOCK_SCREEN")
	if err := spiceLogin(t, addr, "s3cr3t-spice-1"); err != nil {
		t.Fatalf("SPICE login with the ticket: %v", err)
	}
	denied(spiceLogin(t, addr, "wrong-password"), "a wrong password")

	// As in TestQEMUConsoleTicket: the expiry is a wall-clock instant in whole seconds, at most
	// 1 s after the answer; the test waits for that instant, the expiry is what is checked.
	ticket("s3cr3t-spice-2", 1, "LOCK_SCREEN")
	time.Sleep(2 * time.Second)
	denied(spiceLogin(t, addr, "s3cr3t-spice-2"), "a ticket past its ttl")
	denied(spiceLogin(t, addr, "s3cr3t-spice-1"), "the ticket before the expired one")

	// VM.setTicket (the older verb, existingConnAction "disconnect" as the engine sent it) on a
	// connected session: the new ticket drops it (libvirt's connected='disconnect', QEMU's
	// set_password ... disconnect) and is the one that logs in.
	ticket("s3cr3t-spice-3", 120, "LOCK_SCREEN")
	main, err := spiceLink(t, addr, 0, spiceChannelMain, "s3cr3t-spice-3")
	if err != nil {
		t.Fatalf("SPICE session: %v", err)
	}
	res, err := c.Call("VM.setTicket", map[string]any{"vmID": g.id, "password": "s3cr3t-spice-4", "ttl": 120,
		"existingConnAction": "disconnect", "params": map[string]any{"userName": "admin@internal"}})
	if err != nil || string(res) != "true" {
		t.Fatalf("VM.setTicket: %s %v", res, err)
	}
	if n, err := io.Copy(io.Discard, main); err != nil {
		t.Fatalf("the connected SPICE session after VM.setTicket with existingConnAction disconnect (read %d bytes): %v", n, err)
	}
	main.Close()
	if err := spiceLogin(t, addr, "s3cr3t-spice-4"); err != nil {
		t.Fatalf("SPICE login with VM.setTicket's ticket: %v", err)
	}
	denied(spiceLogin(t, addr, "s3cr3t-spice-3"), "the replaced ticket")

	// disconnectAction SHUTDOWN without delay: a session of two channels, each its own connection
	// with its own graphics events; once the session is gone the guest is shut down. (That one
	// channel leaving while another stays is no disconnect is actors/vm's console test.)
	g.waitLog(t, guestUp, 1) // the guest powers off on the ACPI button once in userspace
	ticket("s3cr3t-spice-5", 120, "SHUTDOWN")
	main, err = spiceLink(t, addr, 0, spiceChannelMain, "s3cr3t-spice-5")
	if err != nil {
		t.Fatalf("SPICE session: %v", err)
	}
	inputs, err := spiceLink(t, addr, spiceSession(t, main), spiceChannelInputs, "s3cr3t-spice-5")
	if err != nil {
		t.Fatalf("SPICE inputs channel: %v", err)
	}
	main.Close()
	inputs.Close()
	down := ev.wait(g.id, "Down")
	if down["exitReason"] != float64(6) || !strings.Contains(g.log(t), guestPowerOff) {
		t.Fatalf("after the SPICE session ended: %v; the guest's console:\n%s", down, g.log(t))
	}
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
}
