package conn

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/actors/verbs"
	"github.com/hostagent/hostagent/reply"
)

// countingConn counts how often the server side of a connection is closed.
type countingConn struct {
	net.Conn
	closes atomic.Int32
}

func (c *countingConn) Close() error {
	c.closes.Add(1)
	return c.Conn.Close()
}

// countingListener hands each accepted connection to the test as well.
type countingListener struct {
	net.Listener
	accepted chan *countingConn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: c}
	l.accepted <- cc
	return cc, nil
}

// rig is a listener with a stand-in router that answers every request with true and reports
// its method.
type rig struct {
	t        *testing.T
	l        *Listener
	accepted chan *countingConn
	methods  chan string
	dir      *broker.Directory
	sys      *actor.ActorSystem
}

func newRig(t *testing.T, tune func(*Config)) *rig {
	t.Helper()
	methods := make(chan string, 64)
	// A real gate and router over a table whose every verb answers true and reports its method.
	var table []verbs.Verb
	for _, name := range []string{"Host.ping2", "VM.pause", "Marker.now"} {
		table = append(table, verbs.Verb{Name: name, Run: func(*verbs.Call) (any, error) { methods <- name; return true, nil }})
	}
	g, _ := newRigWith(t, table, 2, tune)
	g.methods = methods
	return g
}

func (g *rig) dial(rcvbuf int) (net.Conn, *countingConn) {
	g.t.Helper()
	d := net.Dialer{}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
		}
	}
	nc, err := d.Dial("tcp", g.l.Addr().String())
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { nc.Close() })
	select {
	case sc := <-g.accepted:
		return nc, sc
	case <-time.After(10 * time.Second):
		g.t.Fatal("not accepted")
	}
	return nil, nil
}

// untilClosed reads what the server writes until it closes the connection.
func untilClosed(t *testing.T, nc net.Conn) string {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(nc)
	if err != nil && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("waiting for the close: %v (read %q)", err, b)
	}
	return string(b)
}

// The socket is closed in one place, the actor's shutdown, once, whatever ends the connection.
func TestSocketIsClosedOnceWhateverEndsIt(t *testing.T) {
	cases := []struct {
		name string
		tune func(*Config)
		run  func(t *testing.T, g *rig, nc net.Conn)
	}{
		{"DISCONNECT", nil, func(t *testing.T, g *rig, nc net.Conn) {
			io.WriteString(nc, "CONNECT\naccept-version:1.2\n\n\x00DISCONNECT\nreceipt:x\n\n\x00")
			if got := untilClosed(t, nc); !strings.HasSuffix(got, "RECEIPT\nreceipt-id:x\n\n\x00") {
				t.Fatalf("got %q", got)
			}
		}},
		{"client hangs up", nil, func(t *testing.T, g *rig, nc net.Conn) {
			io.WriteString(nc, "CONNECT\naccept-version:1.2\n\n\x00")
			if _, err := bufio.NewReader(nc).ReadString(0); err != nil {
				t.Fatal(err)
			}
			nc.(*net.TCPConn).CloseWrite()
			untilClosed(t, nc)
		}},
		{"malformed frame", nil, func(t *testing.T, g *rig, nc net.Conn) {
			io.WriteString(nc, "SEND\ndestination\n\n\x00")
			if got := untilClosed(t, nc); !strings.Contains(got, "message:Header line without colon") {
				t.Fatalf("got %q", got)
			}
		}},
		{"heart-beat missed", nil, func(t *testing.T, g *rig, nc net.Conn) {
			io.WriteString(nc, "CONNECT\naccept-version:1.2\nheart-beat:1000,0\n\n\x00")
			untilClosed(t, nc)
		}},
		{"drained at shutdown", nil, func(t *testing.T, g *rig, nc net.Conn) {
			io.WriteString(nc, "CONNECT\naccept-version:1.2\n\n\x00")
			if _, err := bufio.NewReader(nc).ReadString(0); err != nil {
				t.Fatal(err)
			}
			g.l.CloseAll(10 * time.Second)
			untilClosed(t, nc)
		}},
		{"outbox overflow", func(c *Config) { c.MaxOutboxBytes = 4 << 10 }, func(t *testing.T, g *rig, nc net.Conn) {
			frame := "UNSUBSCRIBE\nid:none\nreceipt:" + strings.Repeat("r", 1000) + "\n\n\x00"
			chunk := strings.Repeat(frame, 64)
			var err error
			for i := 0; err == nil && i < 2048; i++ {
				nc.SetWriteDeadline(time.Now().Add(20 * time.Second))
				_, err = io.WriteString(nc, chunk)
			}
			if err == nil {
				t.Fatal("a client that never reads was never disconnected")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newRig(t, c.tune)
			rcvbuf := 0
			if c.name == "outbox overflow" {
				rcvbuf = 4096
			}
			nc, sc := g.dial(rcvbuf)
			c.run(t, g, nc)
			g.l.CloseAll(10 * time.Second) // returns once every connection's actor has stopped
			if n := sc.closes.Load(); n != 1 {
				t.Fatalf("socket closed %d times", n)
			}
			if n := g.l.Connections(); n != 0 {
				t.Fatalf("%d connections left", n)
			}
		})
	}
}

// Once the session has ended, the reader reads nothing more: a request in the same write as the
// end of the session never reaches the router, and a subscription in it never reaches the
// directory. The marker request on a second connection is the router's last message.
func TestNothingIsActedOnAfterTheSessionEnds(t *testing.T) {
	req := "SEND\ndestination:jms.topic.vdsm_requests\ncontent-length:45\n\n" +
		`{"jsonrpc":"2.0","method":"VM.pause","id":1}` + " \x00"
	sub := "SUBSCRIBE\ndestination:late\nid:1\n\n\x00"
	for name, end := range map[string]string{
		"refused CONNECT": "CONNECT\naccept-version:1.0\n\n\x00",
		"DISCONNECT":      "DISCONNECT\nreceipt:1\n\n\x00",
		"ERROR":           "UNSUBSCRIBE\n\n\x00",
		"SEND to nobody":  "SEND\ndestination:nobody\n\n\x00",
		"malformed":       "SEND\nfoo:a:b\n\n\x00",
	} {
		t.Run(name, func(t *testing.T) {
			g := newRig(t, nil)
			nc, _ := g.dial(0)
			io.WriteString(nc, end+req+sub)
			untilClosed(t, nc)
			marker, _ := g.dial(0)
			io.WriteString(marker, "SEND\ndestination:jms.topic.vdsm_requests\n\n"+`{"jsonrpc":"2.0","method":"Marker.now","id":1}`+"\x00")
			select {
			case m := <-g.methods:
				if m != "Marker.now" {
					t.Fatalf("the router got %s from a session that had ended", m)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the marker never reached the router")
			}
			if subs := g.dir.Lookup("late"); subs != nil {
				t.Fatalf("a subscription after the session ended is in the directory: %v", subs)
			}
		})
	}
}

// probe is an actor that reports every reply.Response it gets.
func probe(sys *actor.ActorSystem, got chan<- string, name string) *actor.PID {
	return sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if r, ok := c.Message().(*reply.Response); ok {
			got <- name + ":" + string(r.Body)
		}
	}))
}

// Answers with reply-to go to every connection subscribed there, the requester's or not; answers
// without one go to the requester alone.
func TestFanoutRoutesByReplyTo(t *testing.T) {
	sys := system.New(zerolog.Nop())
	got := make(chan string, 8)
	a, b, other := probe(sys, got, "a"), probe(sys, got, "b"), probe(sys, got, "other")
	dir := broker.NewDirectory()
	dir.Add(a, "shared")
	dir.Add(b, "shared")
	dir.Add(other, "elsewhere")
	f := &fanout{root: sys.Root, dir: dir}

	f.Send(a, &reply.Response{ReplyTo: "shared", Body: []byte("1")})
	f.Send(other, &reply.Response{Body: []byte("2")}) // no reply-to: the requester, other
	f.Send(a, &reply.Response{ReplyTo: "nobody", Body: []byte("3")})
	f.Send(b, &reply.Response{ReplyTo: "elsewhere", Body: []byte("4")}) // b asked, other listens
	want := map[string]bool{"a:1": true, "b:1": true, "other:2": true, "other:4": true}
	for n := len(want); n > 0; n-- {
		select {
		case m := <-got:
			if !want[m] {
				t.Fatalf("unexpected delivery %s", m)
			}
			delete(want, m)
		case <-time.After(10 * time.Second):
			t.Fatalf("missing %v", want)
		}
	}
	for _, p := range []*actor.PID{a, b, other} {
		sys.Root.PoisonFuture(p).Wait()
	}
	select {
	case m := <-got:
		t.Fatalf("unexpected delivery %s", m)
	default:
	}
}
