package conn

import (
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/reply"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/stomp"
)

// Actor is one connection's STOMP session and the sole producer of its output.
type Actor struct {
	cfg    *Config
	nc     net.Conn
	log    zerolog.Logger
	inbox  chan struct{} // the reader's semaphore for frames sent here
	expect *atomic.Int64 // incoming heart-beat interval + grace, ns, read by the reader
	onStop func()        // tells the listener the connection is gone
	done   chan struct{} // closed when the actor stops, so a reader waiting on a semaphore ends

	session *stomp.Session
	self    *actor.PID
	root    *actor.RootContext
	out     chan []byte // to the writer goroutine
	pending []byte      // output not yet handed to the writer
	spare   []byte
	writing bool
	queued  bool // a flush message is on its way
	closing bool // close once the output is written
	closed  bool
	msgID   uint64
	hbStop  chan struct{}
	sentAt  time.Time // last output handed to the writer
	sendHB  time.Duration
	subs    []stomp.Subscription // respond's scratch
}

func (a *Actor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *reply.Response:
		a.respond(c, m)
	case *frameIn:
		<-a.inbox
		a.frame(c, m.f)
	case *flush:
		a.queued = false
		a.handOff()
	case *written:
		a.written(c, m)
	case *broker.Deliver:
		a.deliver(c, m)
	case *receipt:
		a.emit(c, &stomp.Frame{Command: stomp.CmdReceipt, Headers: []stomp.Header{{Key: "receipt-id", Value: m.id}}})
	case *broker.NoSubscriber:
		a.fail(c, stomp.TextSubscriptionNotAvailable)
	case *heartbeatTick:
		m.Take()
		if !a.closing && a.sendHB > 0 && time.Since(a.sentAt) >= a.sendHB/2 && len(a.pending) == 0 && !a.writing {
			a.pending = stomp.AppendHeartBeat(a.pending)
			a.schedule(c)
		}
	case *Drain:
		a.closing = true
		a.schedule(c)
	case *readerDone:
		a.readerDone(c, m.err)
	case *actor.Started:
		if a.session != nil {
			// Restarted after a panic: the session may be half-updated, so the connection ends
			// rather than carrying on with state nobody can vouch for.
			a.abort(c)
			return
		}
		a.self, a.root = c.Self(), c.ActorSystem().Root
		a.session = stomp.NewSession()
		a.out = make(chan []byte, 1)
		a.sentAt = time.Now()
		go writer(a.nc, a.out, a.root, a.self, a.cfg.WriteTimeout)
	case *actor.Stopped:
		a.shut()
	}
}

func (a *Actor) frame(c actor.Context, f *stomp.Frame) {
	if a.closing || a.closed {
		return
	}
	o := a.session.Handle(f)
	if o.Subscribed != nil {
		c.Send(a.cfg.Broker, &broker.Subscribe{Conn: a.self, Dest: o.Subscribed.Destination})
	}
	if o.Unsubscribed != nil {
		c.Send(a.cfg.Broker, &broker.Unsubscribe{Conn: a.self, Dest: o.Unsubscribed.Destination})
	}
	if o.Forward {
		ct, _ := f.Get("content-type")
		c.Send(a.cfg.Broker, &broker.Forward{From: a.self, Dest: o.Destination, ContentType: ct, Body: f.Body})
	}
	if f.Command == stomp.CmdConnect || f.Command == stomp.CmdStomp {
		a.heartbeats(o.HeartBeatSend)
	}
	for _, r := range o.Replies {
		a.pending = stomp.AppendFrame(a.pending, r)
	}
	if o.Close {
		a.closing = true
	}
	a.schedule(c)
}

// heartbeats applies a CONNECT's negotiated outgoing interval with a ticker; the reader enforces
// the incoming one with read deadlines.
func (a *Actor) heartbeats(send time.Duration) {
	if a.hbStop != nil {
		close(a.hbStop)
		a.hbStop = nil
	}
	a.sendHB = send
	if send > 0 {
		a.hbStop = make(chan struct{})
		system.Tick(a.root, a.self, send/2, &heartbeatTick{}, a.hbStop)
	}
}

func (a *Actor) respond(c actor.Context, r *reply.Response) {
	if a.closed {
		return
	}
	dest := r.ReplyTo
	if dest == "" {
		dest = stomp.ResponseQueue
	}
	a.subs = a.session.AppendSubscriptions(a.subs[:0], dest)
	if len(a.subs) == 0 {
		a.log.Debug().Str("reply_to", dest).Msg("response dropped: no subscription on its destination")
		return
	}
	for _, s := range a.subs {
		a.message(c, dest, s.ID, r.Body)
	}
}

func (a *Actor) deliver(c actor.Context, d *broker.Deliver) {
	if a.closed || a.closing {
		return
	}
	subs := a.session.Subscriptions(d.Dest)
	if d.Prefix {
		subs = a.session.SubscriptionsFor(d.Dest)
	}
	for _, s := range subs {
		a.message(c, d.Dest, s.ID, d.Body)
	}
}

func (a *Actor) message(c actor.Context, dest, sub string, body []byte) {
	a.msgID++
	if len(a.pending) > 0 && len(a.pending)+len(body) > a.cfg.MaxOutboxBytes {
		a.log.Warn().Int("outbox_bytes", len(a.pending)).Msg("client is not reading; disconnecting it")
		a.abort(c)
		return
	}
	a.pending = stomp.AppendMessage(a.pending, dest, sub, strconv.FormatUint(a.msgID, 10), body)
	a.schedule(c)
}

// emit queues a frame the session produced outside Handle.
func (a *Actor) emit(c actor.Context, f *stomp.Frame) {
	if a.closed || a.closing {
		return
	}
	a.pending = stomp.AppendFrame(a.pending, f)
	a.schedule(c)
}

// fail sends an ERROR frame and closes once it is written.
func (a *Actor) fail(c actor.Context, text string) {
	if a.closed || a.closing {
		return
	}
	a.pending = stomp.AppendFrame(a.pending, stomp.ErrorFrame(text, text))
	a.closing = true
	a.schedule(c)
}

func (a *Actor) schedule(c actor.Context) {
	if a.queued || a.closed {
		return
	}
	a.queued = true
	c.Send(a.self, &flush{})
}

func (a *Actor) handOff() {
	if a.writing || a.closed {
		return
	}
	if len(a.pending) == 0 {
		if a.closing {
			a.finish()
		}
		return
	}
	buf := a.pending
	a.pending = a.spare[:0]
	a.spare = nil
	a.writing = true
	a.sentAt = time.Now()
	a.out <- buf // never blocks: the writer's channel holds one buffer and only one is out at a time
}

func (a *Actor) written(c actor.Context, w *written) {
	a.writing = false
	if w.err != nil {
		if !a.closed {
			a.log.Debug().Err(w.err).Msg("write failed; closing")
		}
		a.abort(c)
		return
	}
	// Keep a buffer for the next write, but not a big one: one getAllVmStats answer (~0.5 MiB
	// with 1000 VMs) would otherwise stay with an idle connection for good.
	if cap(w.buf) <= 64<<10 {
		a.spare = w.buf[:0]
	}
	a.handOff()
}

func (a *Actor) readerDone(c actor.Context, err error) {
	var pe *stomp.ProtocolError
	if errors.As(err, &pe) {
		a.log.Info().Str("error", pe.Message).Msg("malformed frame; closing")
		a.fail(c, pe.Message)
		return
	}
	if a.closing {
		return // already on its way out; let the last frames go
	}
	a.abort(c)
}

// finish closes after the output has been written.
func (a *Actor) finish() {
	a.closed = true
	a.nc.Close()
	a.root.Stop(a.self)
}

// abort closes at once, dropping unwritten output.
func (a *Actor) abort(c actor.Context) {
	if a.closed {
		return
	}
	a.closed = true
	a.nc.Close()
	c.Stop(a.self)
}

func (a *Actor) shut() {
	if !a.closed {
		a.closed = true
		a.nc.Close()
	}
	if a.hbStop != nil {
		close(a.hbStop)
		a.hbStop = nil
	}
	close(a.out)
	close(a.done)
	a.root.Send(a.cfg.Broker, &broker.ConnClosed{Conn: a.self})
	if a.onStop != nil {
		a.onStop()
	}
}

// writer is the only goroutine that writes the socket.
func writer(nc net.Conn, in <-chan []byte, root *actor.RootContext, self *actor.PID, timeout time.Duration) {
	for buf := range in {
		nc.SetWriteDeadline(time.Now().Add(timeout))
		_, err := nc.Write(buf)
		root.Send(self, &written{buf: buf, err: err})
	}
}
