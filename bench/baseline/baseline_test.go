package baseline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hostagent/hostagent/client"
)

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// vdsm-client's way (go-stomp's client, a private reply destination) gets true for any method.
func TestAnswersTrueToGoStompClient(t *testing.T) {
	s := start(t)
	c, err := client.Dial(client.Options{Addr: s.Addr().String(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{"Host.ping2", "VM.getStats", "No.such"} {
		res, err := c.Call(m, map[string]any{"vmID": "x"})
		if err != nil || string(res) != "true" {
			t.Fatalf("%s: %s %v", m, res, err)
		}
	}
}

type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *frame.Reader
}

func dialRaw(t *testing.T, s *Server) *rawConn {
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, r: frame.NewReader(bufio.NewReader(nc))}
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) frame() *frame.Frame {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := c.r.Read()
		if err != nil {
			c.t.Fatal(err)
		}
		if f != nil {
			return f
		}
	}
}

func request(replyTo, body string) string {
	h := "SEND\ndestination:jms.topic.vdsm_requests\ncontent-type:application/json\n"
	if replyTo != "" {
		h += "reply-to:" + replyTo + "\n"
	}
	return fmt.Sprintf("%scontent-length:%d\n\n%s\x00", h, len(body), body)
}

// Pipelined requests sent in one write are all answered, in order, on the reply-to
// subscription; a request without reply-to goes to jms.topic.vdsm_responses; a notification is
// not answered; a parse error is answered with id null.
func TestPipelinedRequestsAnsweredInOrder(t *testing.T) {
	c := dialRaw(t, start(t))
	c.send("CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\x00")
	if f := c.frame(); f.Command != "CONNECTED" || f.Header.Get("version") != "1.2" {
		t.Fatalf("CONNECT: %s %v", f.Command, f.Header)
	}
	c.send("SUBSCRIBE\ndestination:mine\nid:s1\nreceipt:r1\n\n\x00" +
		"SUBSCRIBE\ndestination:jms.topic.vdsm_responses\nid:s2\n\n\x00")
	if f := c.frame(); f.Command != "RECEIPT" || f.Header.Get("receipt-id") != "r1" {
		t.Fatalf("SUBSCRIBE receipt: %s %v", f.Command, f.Header)
	}
	var burst string
	for i := range 50 {
		burst += request("mine", fmt.Sprintf(`{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":%d}`, i))
	}
	burst += request("mine", `{"jsonrpc":"2.0","method":"Host.ping2"}`) // a notification
	burst += request("", `{"jsonrpc":"2.0","method":"Host.ping2","id":"x"}`)
	burst += request("mine", `{nope`)
	c.send(burst)
	for i := range 50 {
		f := c.frame()
		if f.Command != "MESSAGE" || f.Header.Get("subscription") != "s1" || f.Header.Get("destination") != "mine" {
			t.Fatalf("response %d: %s %v", i, f.Command, f.Header)
		}
		if want := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":true}`, i); string(f.Body) != want {
			t.Fatalf("response %d: %s, want %s", i, f.Body, want)
		}
	}
	if f := c.frame(); f.Header.Get("subscription") != "s2" || string(f.Body) != `{"jsonrpc":"2.0","id":"x","result":true}` {
		t.Fatalf("response without reply-to: %v %s", f.Header, f.Body)
	}
	f := c.frame()
	var m struct {
		ID    json.RawMessage
		Error struct{ Code int }
	}
	if err := json.Unmarshal(f.Body, &m); err != nil || string(m.ID) != "null" || m.Error.Code != -32700 {
		t.Fatalf("parse error answer: %s %v", f.Body, err)
	}
	c.send("DISCONNECT\nreceipt:bye\n\n\x00")
	if f := c.frame(); f.Command != "RECEIPT" || f.Header.Get("receipt-id") != "bye" {
		t.Fatalf("DISCONNECT: %s %v", f.Command, f.Header)
	}
}

// Close cuts connections that are still open and returns once their goroutines are gone.
func TestCloseEndsOpenConnections(t *testing.T) {
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, s)
	c.send("CONNECT\naccept-version:1.2\n\n\x00")
	c.frame()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after Close")
	}
}
