package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHeaderLimits(t *testing.T) {
	cases := []struct{ name, frame, text string }{
		{"too many headers", "SEND\ndestination:x\n" + strings.Repeat("h:v\n", 40) + "\n\x00", "Too many headers"},
		{"header line too long", "SEND\ndestination:" + strings.Repeat("x", 2000) + "\n\n\x00", "Header line too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta := startAgent(t, func(c *agentConfig) { c.Limits.MaxHeaders = 16; c.Limits.MaxHeaderLineBytes = 1024 })
			r := ta.raw(t)
			r.send(c.frame)
			f := r.frame()
			if f.Command != "ERROR" || f.Header.Get("message") != c.text || string(f.Body) != c.text {
				t.Fatalf("got %s %v %q, want ERROR %q", f.Command, f.Header, f.Body, c.text)
			}
			if rest := r.closed(); len(rest) != 0 {
				t.Fatalf("after the ERROR the agent wrote %q", rest)
			}
		})
	}
}

func TestJSONNestingDepth(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("replies", "s")
	r.request("replies", strings.Repeat("[", 100000)+strings.Repeat("]", 100000))
	m, _ := r.response()
	if e, _ := m["error"].(map[string]any); e == nil || e["code"] != float64(-32700) {
		t.Fatalf("deeply nested body: %v", m)
	}
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","id":1}`)
	if m, _ := r.response(); m["result"] != true {
		t.Fatalf("after a deep body: %v", m)
	}
}

func TestMaxConnections(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.MaxConnections = 2 })
	a, b := ta.raw(t), ta.raw(t)
	a.connect()
	b.connect()
	c := ta.raw(t)
	if got := c.closed(); len(got) != 0 {
		t.Fatalf("the connection over the limit got %q", got)
	}
	// The two admitted ones still work, and a place freed is a place taken.
	a.subscribe("replies", "s")
	a.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","id":1}`)
	if m, _ := a.response(); m["result"] != true {
		t.Fatal(m)
	}
}

// A client that never reads is disconnected once its outbox passes the limit; it is not buffered
// for ever, and other clients are served meanwhile. The client learns it the way a real one
// would: its writes start failing.
func TestClientThatDoesNotReadIsDisconnected(t *testing.T) {
	// Admission is made large so the flood is limited by the outbox, the rule under test, and not
	// answered 1100.
	ta := startAgent(t, func(c *agentConfig) { c.MaxOutboxBytes = 64 << 10; c.Queue = 4000 })
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		// A small receive window, so the kernel holds little of what the agent sends.
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	nc, err := d.Dial("tcp", ta.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	io.WriteString(nc, "CONNECT\naccept-version:1.2\n\n\x00SUBSCRIBE\ndestination:replies\nid:s\n\n\x00")
	c := ta.dial(t)
	var chunk strings.Builder
	for i := 0; i < 100; i++ {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","method":"Host.dumpxmls","id":%d}`, i)
		fmt.Fprintf(&chunk, "SEND\ndestination:jms.topic.vdsm_requests\nreply-to:replies\ncontent-length:%d\n\n%s\x00", len(body), body)
	}
	var werr error
	for sent := 0; werr == nil && sent < 500; sent++ {
		nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		_, werr = io.WriteString(nc, chunk.String())
		// Between chunks, another client is served as usual.
		if _, err := c.Call("Host.ping2", nil); err != nil {
			t.Fatalf("another client while one does not read: %v", err)
		}
	}
	if werr == nil || !isReset(werr) {
		t.Fatalf("the client that never reads was not disconnected (last write: %v)", werr)
	}
}

// Every byte queued for a client counts against its outbox, not only MESSAGEs: a client that
// asks for RECEIPTs and never reads them is disconnected once they pass the limit, and other
// clients are served meanwhile and after.
func TestReceiptsCountAgainstTheOutbox(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.MaxOutboxBytes = 64 << 10 })
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	nc, err := d.Dial("tcp", ta.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := ta.dial(t)
	// UNSUBSCRIBE of an unknown id does nothing but answer the receipt: 4 KiB of RECEIPT for
	// each 4 KiB frame, and no other work.
	id := strings.Repeat("r", 4000)
	var chunk strings.Builder
	for i := 0; i < 64; i++ {
		fmt.Fprintf(&chunk, "UNSUBSCRIBE\nid:none\nreceipt:%s%d\n\n\x00", id, i)
	}
	var werr error
	// 128 MiB of receipts at most: far beyond what the kernel's buffers hold.
	for sent := 0; werr == nil && sent < 512; sent++ {
		nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		_, werr = io.WriteString(nc, chunk.String())
		if sent%32 == 0 {
			if _, err := c.Call("Host.ping2", nil); err != nil {
				t.Fatalf("another client while one does not read: %v", err)
			}
		}
	}
	if werr == nil || !isReset(werr) {
		t.Fatalf("the client that never reads its receipts was not disconnected (last write: %v)", werr)
	}
	if _, err := c.Call("Host.ping2", nil); err != nil {
		t.Fatalf("another client after the disconnect: %v", err)
	}
}
