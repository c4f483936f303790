package main

// The console in the QEMU lane (see qemu_test.go): a guest with a VNC display, its ticket set the
// way the engine sets it, and a VNC client written here that logs in with it.

import (
	"crypto/des"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
)

// vncDisplay is a VNC display as the engine's XML has it before any ticket (LibvirtVmXmlBuilder's
// writeGraphics: a placeholder password that expired long ago), listening on loopback only. VNC
// passwords are at most 8 characters (libvirt refuses longer ones; the engine's tickets are 8).
const vncDisplay = `<graphics type='vnc' port='-1' autoport='yes' passwd='*****' passwdValidTo='1970-01-01T00:00:01'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>`

// createWith is q.create with devices added to the guest's template.
func (q *qemuLane) createWith(t *testing.T, c *client.Client, name, id, devices string) *qemuGuest {
	t.Helper()
	return q.create(t, c, name, id, "", withDevices(devices))
}

// withDevices is an edit of the guest's XML adding devices.
func withDevices(devices string) func(string) string {
	return func(x string) string { return strings.Replace(x, "</devices>", devices+"\n  </devices>", 1) }
}

// dumpxml is the guest's domain XML as the engine reads it, through Host.dumpxmls.
func dumpxml(t *testing.T, c *client.Client, id string) string {
	t.Helper()
	res, err := c.Call("Host.dumpxmls", map[string]any{"vmList": []string{id}})
	if err != nil {
		t.Fatalf("Host.dumpxmls: %v", err)
	}
	m := decodeObject(t, res)
	x, ok := m[id].(string)
	if !ok {
		t.Fatalf("Host.dumpxmls has no XML for %s: %v", id, m)
	}
	return x
}

var vncPort = regexp.MustCompile(`<graphics type=['"]vnc['"] port=['"](\d+)['"]`)

// vncLogin is a VNC client's handshake (RFB 3.8, RFC 6143 §7.1–7.2) up to the security result:
// nil when the server accepts password, else why it refused.
func vncLogin(t *testing.T, addr, password string) error { return vncSession(t, addr, password, false) }

// vncSession is vncLogin, then with init the client's and server's init messages (§7.3): the
// client is a console user (libvirt's graphics event "initialize"). It disconnects on return.
func vncSession(t *testing.T, addr, password string, init bool) error {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatalf("VNC connect %s: %v", addr, err)
	}
	defer conn.Close()
	// A server that stops talking fails the test instead of hanging it.
	_ = conn.SetDeadline(time.Now().Add(qemuEventLimit))
	read := func(n int) []byte {
		b := make([]byte, n)
		if _, err := io.ReadFull(conn, b); err != nil {
			t.Fatalf("VNC read: %v", err)
		}
		return b
	}
	write := func(b []byte) {
		if _, err := conn.Write(b); err != nil {
			t.Fatalf("VNC write: %v", err)
		}
	}
	if v := string(read(12)); !strings.HasPrefix(v, "RFB 003.") {
		t.Fatalf("VNC server version %q", v)
	}
	write([]byte("RFB 003.008\n"))
	types := read(int(read(1)[0]))
	if len(types) == 0 {
		t.Fatalf("VNC server refused the connection: %s", read(int(binary.BigEndian.Uint32(read(4)))))
	}
	if !strings.ContainsRune(string(types), 2) {
		t.Fatalf("VNC security types %v: no VNC authentication (2); the display has no password", types)
	}
	write([]byte{2})
	challenge := read(16)
	// VNC's DES key is the password's first 8 bytes, zero-padded, each byte's bits reversed.
	key := make([]byte, 8)
	copy(key, password)
	for i, b := range key {
		var r byte
		for j := 0; j < 8; j++ {
			r |= (b >> j & 1) << (7 - j)
		}
		key[i] = r
	}
	block, err := des.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	answer := make([]byte, 16)
	block.Encrypt(answer[:8], challenge[:8])
	block.Encrypt(answer[8:], challenge[8:])
	write(answer)
	if result := binary.BigEndian.Uint32(read(4)); result != 0 {
		reason := read(int(binary.BigEndian.Uint32(read(4))))
		return fmt.Errorf("security result %d: %s", result, reason)
	}
	if init {
		write([]byte{1}) // ClientInit: shared
		head := read(24) // ServerInit: width, height, pixel format, name length
		t.Logf("VNC session: %dx%d %q", binary.BigEndian.Uint16(head[0:]), binary.BigEndian.Uint16(head[2:]),
			read(int(binary.BigEndian.Uint32(head[20:]))))
	}
	return nil
}

// The engine opens a console: the display's expired password lets no one in; VM.updateDevice
// (graphics, as SetVmTicketVDSCommand sends it) sets a ticket a VNC client logs in with, and a
// wrong password is refused; a ticket past its ttl is refused; the older VM.setTicket works too.
// With disconnectAction SHUTDOWN, the console user's leaving shuts the guest down.
func TestQEMUConsoleTicket(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	g := q.createWith(t, c, "console", "c4c4c4c4-0000-4000-8000-000000000001", vncDisplay)
	if e := ev.wait(g.id, "Powering up", "Down"); e["status"] == "Down" {
		t.Fatalf("the guest with a VNC display did not start: %v", e)
	}
	m := vncPort.FindStringSubmatch(dumpxml(t, c, g.id))
	if m == nil {
		t.Fatalf("no VNC port in Host.dumpxmls:\n%s", dumpxml(t, c, g.id))
	}
	addr := net.JoinHostPort("127.0.0.1", m[1])

	if err := vncLogin(t, addr, "*****"); err == nil {
		t.Fatal("the engine's expired password let a VNC client in")
	}
	ticket := func(password string, ttl int) {
		t.Helper()
		res, err := c.Call("VM.updateDevice", map[string]any{"vmID": g.id, "params": map[string]any{
			"deviceType": "graphics", "graphicsType": "vnc", "password": password, "ttl": ttl,
			"existingConnAction": "disconnect", "disconnectAction": "LOCK_SCREEN",
			"consoleDisconnectActionDelay": "0", "params": map[string]any{"vncUsername": "vnc-c4c4c4c4", "fips": "false"},
		}})
		if err != nil || string(res) != "{}" {
			t.Fatalf("VM.updateDevice graphics: %s %v", res, err)
		}
	}
	ticket("s3cr3t-1", 120)
	if err := vncLogin(t, addr, "s3cr3t-1"); err != nil {
		t.Fatalf("VNC login with the ticket: %v", err)
	}
	if err := vncLogin(t, addr, "wrong-pw"); err == nil {
		t.Fatal("a wrong password let a VNC client in")
	} else {
		t.Logf("wrong password: %v", err)
	}

	// A ticket with a ttl of 1 s: its expiry is a wall-clock instant in whole seconds (libvirt
	// hands QEMU an absolute time), at most 1 s after the answer; QEMU refuses once its clock's
	// second is past it. The test waits for that instant: the expiry is what is checked.
	ticket("s3cr3t-2", 1)
	time.Sleep(2 * time.Second)
	if err := vncLogin(t, addr, "s3cr3t-2"); err == nil {
		t.Fatal("a ticket past its ttl let a VNC client in")
	} else {
		t.Logf("expired ticket: %v", err)
	}
	if err := vncLogin(t, addr, "s3cr3t-1"); err == nil {
		t.Fatal("the ticket before the expired one still lets a VNC client in: the update did nothing")
	}

	res, err := c.Call("VM.setTicket", map[string]any{"vmID": g.id, "password": "s3cr3t-3", "ttl": 120,
		"existingConnAction": "disconnect", "params": map[string]any{}})
	if err != nil || string(res) != "true" {
		t.Fatalf("VM.setTicket: %s %v", res, err)
	}
	if err := vncLogin(t, addr, "s3cr3t-3"); err != nil {
		t.Fatalf("VNC login with VM.setTicket's ticket: %v", err)
	}
	if err := vncLogin(t, addr, "s3cr3t-1"); err == nil {
		t.Fatal("the replaced ticket still lets a VNC client in")
	}

	// disconnectAction SHUTDOWN without delay: when the console user leaves (and does not come
	// back within the grace), the guest is shut down, as VDSM does.
	g.waitLog(t, guestUp, 1) // the guest powers off on the ACPI button once in userspace
	res, err = c.Call("VM.updateDevice", map[string]any{"vmID": g.id, "params": map[string]any{
		"deviceType": "graphics", "graphicsType": "vnc", "password": "s3cr3t-4", "ttl": 120,
		"existingConnAction": "disconnect", "disconnectAction": "SHUTDOWN",
		"consoleDisconnectActionDelay": "0", "params": map[string]any{}}})
	if err != nil || string(res) != "{}" {
		t.Fatalf("VM.updateDevice graphics with disconnectAction SHUTDOWN: %s %v", res, err)
	}
	if err := vncSession(t, addr, "s3cr3t-4", true); err != nil {
		t.Fatalf("VNC session: %v", err)
	}
	down := ev.wait(g.id, "Down")
	if down["exitReason"] != float64(6) || !strings.Contains(g.log(t), guestPowerOff) {
		t.Fatalf("after the console user left: %v; the guest's console:\n%s", down, g.log(t))
	}
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
}
