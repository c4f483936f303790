package conn

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/go-stomp/stomp/v3/frame"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/actors/verbs"
)

// newRigWith is newRig over the given verbs and worker count: a real gate and router, so that
// what limits a connection's requests is the connection, not the pool.
func newRigWith(t *testing.T, table []verbs.Verb, workers int, tune func(*Config)) (*rig, *router.Admission) {
	t.Helper()
	adm := router.NewAdmission(workers + 16)
	sys := system.New(zerolog.Nop())
	g := &rig{t: t, accepted: make(chan *countingConn, 16), dir: broker.NewDirectory(), sys: sys}
	rcfg := router.Config{
		Workers: workers, Queue: 16, Deadline: time.Hour, Table: verbs.NewTable(table...), Env: &verbs.Env{},
		Admission: adm, Pool: router.NewPool(), Log: zerolog.Nop(),
	}
	routerPID := sys.Root.Spawn(router.New(rcfg))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Router: router.NewGate(sys.Root, rcfg), Directory: g.dir, Log: zerolog.Nop()}
	if tune != nil {
		tune(&cfg)
	}
	g.l = Listen(sys, &countingListener{Listener: ln, accepted: g.accepted}, cfg)
	t.Cleanup(func() {
		g.l.CloseAll(10 * time.Second)
		sys.Root.PoisonFuture(routerPID).Wait()
	})
	return g, adm
}

// readerParked waits until the connection's reader goroutine is parked and reports where:
// "read" (waiting for bytes) or "wait" (on a channel: a place for a request or for an output).
// It is how a test knows the reader has done all it can before the test lets anything go: a
// reader that ignored its bound would go on to read what follows, and park in a read. Readers of
// connections that earlier tests closed are let finish first, so the one found is this test's.
func readerParked(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 1<<20)
	readers := 0
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		n := runtime.Stack(buf, true)
		if n == len(buf) {
			buf = make([]byte, 2*len(buf))
			continue
		}
		readers = 0
		where := ""
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if !strings.Contains(g, "actors/conn.(*reader).run(") {
				continue
			}
			readers++
			switch head, _, _ := strings.Cut(g, "\n"); {
			case strings.Contains(head, "[IO wait"):
				where = "read"
			case strings.Contains(head, "[select") || strings.Contains(head, "[chan send"):
				where = "wait"
			}
		}
		if readers == 1 && where != "" {
			return where
		}
	}
	t.Fatalf("the reader did not park within 20 s (%d readers)", readers)
	return ""
}

// arrival is a frame the client read, with what the test had done by then.
type arrival struct {
	f     *frame.Frame
	count int32
	err   error
}

// readFrames reads what the server writes, tagging each frame with count as it arrives.
func readFrames(nc net.Conn, count *atomic.Int32) <-chan arrival {
	ch := make(chan arrival, 64)
	go func() {
		fr := frame.NewReader(bufio.NewReader(nc))
		for {
			f, err := fr.Read()
			if f == nil && err == nil {
				continue // heart-beat
			}
			ch <- arrival{f: f, count: count.Load(), err: err}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

func nextFrame(t *testing.T, ch <-chan arrival) arrival {
	t.Helper()
	select {
	case a := <-ch:
		if a.err != nil {
			t.Fatalf("reading frames: %v", a.err)
		}
		return a
	case <-time.After(20 * time.Second):
		t.Fatal("no frame within 20 s")
	}
	return arrival{}
}

// A connection has at most MaxInFlight requests unanswered: with that many running, its reader
// submits no more and reads nothing more until an answer gives a place back, and then exactly
// one more. Frames are handled in order, so a SUBSCRIBE sent after the requests is in the
// directory, and its RECEIPT on the wire, only once requests-MaxInFlight answers went out.
func TestReaderStopsAtMaxInFlight(t *testing.T) {
	const maxInFlight, requests = 2, 5
	release := make(chan struct{})
	started := make(chan struct{}, requests)
	var running, most, released atomic.Int32
	block := verbs.Verb{Name: "Test.block", Run: func(*verbs.Call) (any, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		started <- struct{}{}
		<-release
		running.Add(-1)
		return true, nil
	}}
	// Twice the requests in workers: without the connection's bound all would run at once.
	g, adm := newRigWith(t, []verbs.Verb{block}, 2*requests, func(c *Config) { c.MaxInFlight = maxInFlight })
	t.Cleanup(func() { close(release) }) // before the rig's: a held worker would stall its stop
	nc, _ := g.dial(0)
	frames := readFrames(nc, &released)

	w := "CONNECT\naccept-version:1.2\n\n\x00SUBSCRIBE\ndestination:jms.topic.vdsm_responses\nid:r\n\n\x00"
	for i := 0; i < requests; i++ {
		w += fmt.Sprintf("SEND\ndestination:jms.topic.vdsm_requests\n\n{\"jsonrpc\":\"2.0\",\"method\":\"Test.block\",\"id\":%d}\x00", i)
	}
	w += "SUBSCRIBE\ndestination:after\nid:a\nreceipt:after\n\n\x00"
	if _, err := io.WriteString(nc, w); err != nil {
		t.Fatal(err)
	}
	waitStarted := func() {
		t.Helper()
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatalf("a request did not start (%d released)", released.Load())
		}
	}
	// The reader has done all it can: it waits for a place, holding the rest unread.
	stopped := func() {
		t.Helper()
		for {
			where := readerParked(t)
			if g.dir.Lookup("after") != nil {
				t.Fatalf("the reader read past %d requests in flight after %d answers", maxInFlight, released.Load())
			}
			if where == "wait" {
				break
			}
			// Parked in a read before the SUBSCRIBE: the client's bytes are still arriving.
		}
	}
	for i := 0; i < maxInFlight; i++ {
		waitStarted()
	}
	stopped()
	// (Only now: an answer frees the connection's place before the router's.)
	if n := adm.InFlight(); n != maxInFlight {
		t.Fatalf("%d requests in flight, want %d", n, maxInFlight)
	}
	// Each answer gives the reader one place: it submits the next request, and waits again.
	for i := 0; i < requests-maxInFlight; i++ {
		released.Add(1)
		release <- struct{}{}
		waitStarted()
		if i < requests-maxInFlight-1 {
			stopped()
		}
	}
	answers := 0
	for receipt := false; !receipt; {
		a := nextFrame(t, frames)
		switch a.f.Command {
		case "MESSAGE":
			answers++
		case "RECEIPT":
			if a.count != requests-maxInFlight {
				t.Fatalf("the SUBSCRIBE after the requests was read after %d answers, want %d", a.count, requests-maxInFlight)
			}
			receipt = true
		}
	}
	for i := requests - maxInFlight; i < requests; i++ {
		released.Add(1)
		release <- struct{}{}
	}
	for answers < requests {
		if a := nextFrame(t, frames); a.f.Command == "MESSAGE" {
			answers++
		}
	}
	if m := most.Load(); m != maxInFlight {
		t.Fatalf("%d requests of one connection ran at once, want at most (and here exactly) %d", m, maxInFlight)
	}
}

// inboxWatch holds the connection actor before each reader output, until the test lets it
// take one, and counts outputs as they are posted to its mailbox (MessagePosted runs on the
// reader's goroutine, as it sends) and as the actor takes them up.
type inboxWatch struct {
	gate   chan struct{}
	posted chan int32
	n      atomic.Int32 // outputs posted
	taken  atomic.Int32 // outputs the actor went on to take up
	most   atomic.Int32 // the most posted and not taken up, at any post
}

func (w *inboxWatch) MailboxStarted()     {}
func (w *inboxWatch) MessageReceived(any) {}
func (w *inboxWatch) MailboxEmpty()       {}
func (w *inboxWatch) MessagePosted(m any) {
	if _, ok := actor.UnwrapEnvelopeMessage(m).(*output); !ok {
		return
	}
	n := w.n.Add(1)
	// taken is counted before the actor frees the output's place, so a reader that waits for a
	// place always sees it here.
	waiting := n - w.taken.Load()
	for m := w.most.Load(); waiting > m && !w.most.CompareAndSwap(m, waiting); m = w.most.Load() {
	}
	w.posted <- n
}

func (w *inboxWatch) hold(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		if _, ok := env.Message.(*output); ok {
			<-w.gate
			w.taken.Add(1)
		}
		next(c, env)
	}
}

// Reader outputs waiting for the connection actor are bounded by MaxInbox: with the actor held,
// the reader posts that many and waits; each one the actor takes lets exactly one more in. The
// only outputs the actor takes from the reader are a CONNECT's heart-beat settings (frames go to
// the outbox), and CONNECT may be repeated, so a client repeating it is what fills the inbox;
// every CONNECTED arrives, in order, whatever the actor does. The actor never blocks on the
// socket (its writer does, and the outbox bound disconnects a client that does not read), so the
// test holds it with a receive middleware, and wires actor and reader as Listener.serve does to
// add it.
func TestReaderWaitsAtMaxInbox(t *testing.T) {
	const maxInbox, outputs = 4, 13
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}

	sys := system.New(zerolog.Nop())
	cfg := Config{MaxInbox: maxInbox, Log: zerolog.Nop()}
	cfg.Defaults()
	w := &inboxWatch{gate: make(chan struct{}), posted: make(chan int32, outputs)}
	var open sync.Once
	free := func() { open.Do(func() { close(w.gate) }) }
	defer free()
	inbox, done := make(chan struct{}, cfg.MaxInbox), make(chan struct{})
	var pid *actor.PID
	box := newOutbox(cfg.MaxOutboxBytes, func() { sys.Root.Send(pid, &overflow{}) })
	a := &Actor{cfg: &cfg, nc: sc, log: cfg.Log, box: box, inbox: inbox, done: done}
	pid = sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return a },
		actor.WithMailbox(actor.Unbounded(w)), actor.WithReceiverMiddleware(w.hold)))
	go newReader(&cfg, sc, sc, sys.Root, pid, box, nil, inbox, done, sc.LocalAddr()).run()

	frames := readFrames(nc, &w.taken)
	s := ""
	for i := 0; i < outputs; i++ {
		s += fmt.Sprintf("CONNECT\naccept-version:1.2\nheart-beat:0,%d\n\n\x00", 1000*(i+1))
	}
	if _, err := io.WriteString(nc, s); err != nil {
		t.Fatal(err)
	}
	waitPosted := func(want int32) {
		t.Helper()
		for {
			select {
			case n := <-w.posted:
				if n == want {
					return
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("output %d was never posted (%d taken)", want, w.taken.Load())
			}
		}
	}
	// The reader has done all it can: it waits for a place, holding the rest unread.
	stopped := func(want int32) {
		t.Helper()
		for {
			where := readerParked(t)
			if n := w.n.Load(); n > want {
				t.Fatalf("the reader posted %d outputs with %d taken up (bound %d)", n, w.taken.Load(), maxInbox)
			}
			if where == "wait" {
				return
			}
			// Parked in a read: the client's bytes are still arriving.
		}
	}
	waitPosted(maxInbox)
	stopped(maxInbox)
	// Each output the actor takes up lets exactly one more in.
	for n := int32(maxInbox + 1); n <= outputs; n++ {
		w.gate <- struct{}{}
		waitPosted(n)
		if n < outputs {
			stopped(n)
		}
	}
	if m := w.most.Load(); m != maxInbox {
		t.Fatalf("%d reader outputs waited for the actor at once, want at most (and here exactly) %d", m, maxInbox)
	}
	free()
	for i := 0; i < outputs; i++ {
		if f := nextFrame(t, frames).f; f.Command != "CONNECTED" || f.Header.Get("heart-beat") != strconv.Itoa(1000*(i+1))+",0" {
			t.Fatalf("want CONNECTED %d, got %s %v", i, f.Command, f.Header)
		}
	}
	nc.Close()
	select {
	case <-done: // the client's close reached the reader, and the actor stopped
	case <-time.After(20 * time.Second):
		t.Fatal("the connection actor did not stop")
	}
}
