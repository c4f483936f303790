package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

// VDSM needs 11 bytes before it detects STOMP, so a 10-byte CONNECT is never answered there.
func TestTenByteConnect(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.send("CONNECT\n\n\x00")
	// No accept-version: STOMP 1.0, which we do not speak; the point is that it is answered.
	f := r.frame()
	if f.Command != "ERROR" || f.Header.Get("message") != "Version unsupported" || string(f.Body) != "Version unsupported" {
		t.Fatalf("10-byte CONNECT: %s %v %q", f.Command, f.Header, f.Body)
	}
}

func TestConnectNegotiatesHeartBeats(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.send("STOMP\naccept-version:1.1,1.2\nheart-beat:6000,5000\nhost:[::1]:54321\n\n\x00")
	f := r.frame()
	if f.Command != "CONNECTED" || f.Header.Get("version") != "1.2" || f.Header.Get("heart-beat") != "5000,6000" {
		t.Fatalf("CONNECTED: %s %v", f.Command, f.Header)
	}
}

func TestUnknownProtocolClosedWithNothingWritten(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if b := r.closed(); len(b) != 0 {
		t.Fatalf("wrote %q to an HTTP client", b)
	}
}

func TestSilentClientIsDisconnectedAfterDetectionTimeout(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.DetectTimeout = 300 * time.Millisecond })
	r := ta.raw(t)
	if b := r.closed(); len(b) != 0 {
		t.Fatalf("wrote %q to a silent client", b)
	}
}

func TestSessionErrors(t *testing.T) {
	cases := []struct {
		name, frames, message string
	}{
		{"version", "CONNECT\naccept-version:1.0\n\n\x00", "Version unsupported"},
		{"subscribe without id", "SUBSCRIBE\ndestination:x\n\n\x00", "Missing destination or subscription id header"},
		{"subscribe without destination", "SUBSCRIBE\nid:1\n\n\x00", "Missing destination or subscription id header"},
		{"duplicate subscription", "SUBSCRIBE\ndestination:x\nid:1\n\n\x00SUBSCRIBE\ndestination:y\nid:1\n\n\x00", "Subscription id already exists"},
		{"unsubscribe without id", "UNSUBSCRIBE\n\n\x00", "Missing id header"},
		{"send to nobody", "SEND\ndestination:some.topic\n\nhi\x00", "Subscription not available"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta := startAgent(t)
			r := ta.raw(t)
			r.send(c.frames)
			f := r.frame()
			if f.Command != "ERROR" || f.Header.Get("message") != c.message || string(f.Body) != c.message {
				t.Fatalf("got %s %v %q, want ERROR %q", f.Command, f.Header, f.Body, c.message)
			}
			if rest := r.closed(); len(rest) != 0 {
				t.Fatalf("after the ERROR the agent wrote %q", rest)
			}
		})
	}
}

func TestMalformedFramesGetErrorThenClose(t *testing.T) {
	cases := []struct{ name, frames, text string }{
		{"header without colon", "SEND\ndestination\n\n\x00", "Header line without colon"},
		{"bad escape", "SEND\ndestination:a\\tb\n\n\x00", "Invalid escape sequence in header"},
		{"raw colon in a value", "SEND\ndestination:a:b\n\n\x00", "Contains illigal charachter `:`"},
		{"bad content-length", "SEND\ndestination:x\ncontent-length:abc\n\n\x00", "Invalid content-length"},
		{"no NUL after body", "SEND\ndestination:x\ncontent-length:2\n\nabc\x00", "Frame doesn't end with NULL byte"},
		{"unsupported command", "CONNECT\naccept-version:1.2\n\n\x00BEGIN\ntransaction:t\n\n\x00", "Unsupported command BEGIN"},
		{"unknown command", "CONNECT\naccept-version:1.2\n\n\x00FOO\n\n\x00", "Unknown command FOO"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta := startAgent(t)
			r := ta.raw(t)
			r.send(c.frames)
			f := r.frame()
			if f.Command == "CONNECTED" {
				f = r.frame()
			}
			if f.Command != "ERROR" || f.Header.Get("message") != c.text || string(f.Body) != c.text {
				t.Fatalf("got %s %v %q, want ERROR %q", f.Command, f.Header, f.Body, c.text)
			}
			if rest := r.closed(); len(rest) != 0 {
				t.Fatalf("after the ERROR the agent wrote %q", rest)
			}
		})
	}
}

func TestOversizedFrameIsRefused(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) {
		c.Limits.MaxFrameBytes = 4096
		c.Limits.MaxHeaders = 16
		c.Limits.MaxHeaderLineBytes = 1024
	})
	r := ta.raw(t)
	r.send("SEND\ndestination:jms.topic.vdsm_requests\ncontent-length:1000000000\n\n")
	f := r.frame()
	if f.Command != "ERROR" || f.Header.Get("message") != "Frame too large" || string(f.Body) != "Frame too large" {
		t.Fatalf("got %s %v %q", f.Command, f.Header, f.Body)
	}
	r.closed()
}

func TestDisconnectWithReceipt(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.send("DISCONNECT\nreceipt:77\n\n\x00")
	f := r.frame()
	if f.Command != "RECEIPT" || f.Header.Get("receipt-id") != "77" {
		t.Fatalf("got %s %v", f.Command, f.Header)
	}
	r.closed()
}

func TestForwardToSubscribersOnOtherConnections(t *testing.T) {
	ta := startAgent(t)
	sub, pub := ta.raw(t), ta.raw(t)
	sub.connect()
	sub.send("SUBSCRIBE\ndestination:custom\nid:parent\nreceipt:r1\n\n\x00")
	if f := sub.frame(); f.Command != "RECEIPT" {
		t.Fatalf("want RECEIPT for SUBSCRIBE, got %s", f.Command)
	}
	pub.connect()
	pub.send("SEND\ndestination:custom.topic\ncontent-type:text/plain\nsubscription:evil\n\nhello\x00")
	f := sub.frame()
	if f.Command != "MESSAGE" || string(f.Body) != "hello" || f.Header.Get("subscription") != "parent" || f.Header.Get("destination") != "custom.topic" {
		t.Fatalf("forwarded: %s %v %q", f.Command, f.Header, f.Body)
	}
}

// Requests are never copied to a subscriber of the request queue (VDSM copies them, passwords
// included).
func TestRequestsAreNotCopiedToSubscribers(t *testing.T) {
	ta := startAgent(t)
	spy, r := ta.raw(t), ta.raw(t)
	spy.connect()
	spy.subscribe("jms.topic.vdsm_requests", "spy")
	// The receipt comes after the subscription is in the directory, so the sentinel
	// sent below cannot overtake it.
	spy.send("SUBSCRIBE\ndestination:sentinel\nid:s\nreceipt:r\n\n\x00")
	if f := spy.frame(); f.Command != "RECEIPT" {
		t.Fatalf("want RECEIPT, got %s", f.Command)
	}
	r.connect()
	r.subscribe("replies", "s1")
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","params":{"password":"secret"},"id":1}`)
	r.response()
	r.send("SEND\ndestination:sentinel\n\nend\x00")
	if f := spy.frame(); string(f.Body) != "end" {
		t.Fatalf("spy received %q before the sentinel", f.Body)
	}
}

// A client that promised a heart-beat every second and then says nothing is dropped, and not
// before that second has passed. The clock starts before the CONNECT is written, so the agent's
// own start is later: the bound cannot be met by an early drop.
func TestSilentClientMissingHeartBeatsIsDropped(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	start := time.Now()
	r.send("CONNECT\naccept-version:1.2\nheart-beat:1000,0\n\n\x00")
	if f := r.frame(); f.Header.Get("heart-beat") != "0,1000" {
		t.Fatalf("CONNECTED %v", f.Header)
	}
	if rest := r.closed(); len(rest) != 0 {
		t.Fatalf("the silent client was sent %q", rest)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("dropped after %v, before the promised interval of 1s had passed", d)
	}
}

// A client that keeps its promise is not dropped: heart-beats (and frames) every third of the
// interval keep it alive well past several intervals, and it is still served at the end.
func TestClientSendingHeartBeatsIsKept(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.send("CONNECT\naccept-version:1.2\nheart-beat:1000,0\n\n\x00")
	if f := r.frame(); f.Command != "CONNECTED" {
		t.Fatalf("got %s", f.Command)
	}
	r.subscribe("replies", "s")
	tick := time.NewTicker(time.Second / 3)
	defer tick.Stop()
	for i := 0; i < 12; i++ {
		<-tick.C
		r.send("\n")
	}
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","id":"alive"}`)
	if m, _ := r.response(); m["id"] != "alive" {
		t.Fatalf("got %v", m)
	}
}

func TestServerSendsHeartBeats(t *testing.T) {
	ta := startAgent(t)
	nc, err := net.Dial("tcp", ta.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("CONNECT\naccept-version:1.2\nheart-beat:0,1000\n\n\x00"))
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 0, 512)
	tmp := make([]byte, 512)
	for !strings.Contains(string(buf), "\x00\n") {
		n, err := nc.Read(tmp)
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, buf)
		}
		buf = append(buf, tmp[:n]...)
	}
}
