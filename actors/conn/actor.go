package conn

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/reply"
)

// Actor is the sole producer of one connection's output and the owner of its socket: it alone
// closes it, when it stops.
//
// It owns the outbox (bytes queued for the writer, bounded by MaxOutboxBytes), the outgoing
// heart-beat timer, and a mirror of the session's subscriptions, which the reader (the session's
// owner) keeps it told of. It takes the reader's outputs, responses routed to it by reply-to
// (*reply.Response), events and forwarded SENDs (*broker.Deliver), and sends buffers to its
// writer goroutine.
type Actor struct {
	cfg    *Config
	nc     net.Conn
	log    zerolog.Logger
	inbox  chan struct{} // the reader's semaphore for outputs sent here
	onStop func()        // tells the listener the connection is gone
	done   chan struct{} // closed when the actor stops, so a reader waiting on a semaphore ends

	self     *actor.PID
	root     *actor.RootContext
	out      chan []byte // to the writer goroutine
	pending  []byte      // output not yet handed to the writer
	spare    []byte
	inFlight int  // bytes with the writer; 0 when it is idle
	queued   bool // a flush message is on its way
	closing  bool // close once the output is written
	stopping bool
	msgID    uint64
	hbStop   chan struct{}
	sentAt   time.Time // last output handed to the writer
	sendHB   time.Duration
	subs     []stomp.Subscription // the session's, in subscription order
}

func (a *Actor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *reply.Response:
		a.respond(c, m)
	case *output:
		<-a.inbox
		a.apply(c, m)
	case *flush:
		a.queued = false
		a.handOff(c)
	case *written:
		a.written(c, m)
	case *broker.Deliver:
		a.deliver(c, m)
	case *heartbeatTick:
		m.Take()
		if !a.closing && a.sendHB > 0 && time.Since(a.sentAt) >= a.sendHB/2 && len(a.pending) == 0 && a.inFlight == 0 {
			a.enqueue(c, stomp.AppendHeartBeat(a.pending))
		}
	case *Drain:
		a.closing = true
		a.schedule(c)
	case *readerDone:
		a.readerDone(c, m.err)
	case *actor.Started:
		if a.out != nil {
			// Restarted after a panic: its state may be half-updated, so the connection ends
			// rather than carrying on with state nobody can vouch for.
			a.stop(c)
			return
		}
		a.self, a.root = c.Self(), c.ActorSystem().Root
		a.out = make(chan []byte, 1)
		a.sentAt = time.Now()
		go writer(a.nc, a.out, a.root, a.self, a.cfg.WriteTimeout)
	case *actor.Stopped:
		a.shut()
	}
}

func (a *Actor) apply(c actor.Context, o *output) {
	if o.sub != nil {
		a.subs = append(a.subs, *o.sub)
	}
	if o.unsub != nil {
		for i, s := range a.subs {
			if s.ID == o.unsub.ID {
				a.subs = append(a.subs[:i], a.subs[i+1:]...)
				break
			}
		}
	}
	if o.heartbeat {
		a.heartbeats(o.sendEvery)
	}
	if a.closing || a.stopping {
		return
	}
	buf := a.pending
	for _, r := range o.replies {
		buf = stomp.AppendFrame(buf, r)
	}
	if !a.enqueue(c, buf) {
		return
	}
	if o.close {
		a.closing = true
	}
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
	dest := r.ReplyTo
	if dest == "" {
		dest = stomp.ResponseQueue
	}
	for _, s := range a.subs {
		if s.Destination == dest {
			a.message(c, dest, s.ID, r.Body)
		}
	}
}

func (a *Actor) deliver(c actor.Context, d *broker.Deliver) {
	for _, s := range a.subs {
		if !d.Forwarded {
			if s.Destination == d.Dest {
				a.message(c, d.Dest, s.ID, d.Body)
			}
			continue
		}
		if stomp.Receives(s.Destination, d.Dest) && !a.closing && !a.stopping {
			a.msgID++
			a.enqueue(c, stomp.AppendForward(a.pending, d.Dest, s.ID, strconv.FormatUint(a.msgID, 10), d.Headers, d.Body))
		}
	}
}

func (a *Actor) message(c actor.Context, dest, sub string, body []byte) {
	if a.closing || a.stopping {
		return
	}
	a.msgID++
	a.enqueue(c, stomp.AppendMessage(a.pending, dest, sub, strconv.FormatUint(a.msgID, 10), body))
}

// enqueue makes buf, which is a.pending with frames appended, the outbox, and schedules a flush.
// Every byte queued for the client goes through here and counts against MaxOutboxBytes, the
// bytes with the writer included: a client that does not read is disconnected, not buffered
// for. One frame is let into an empty outbox whatever its size, or it could never be sent. It
// reports false when the connection is being dropped.
func (a *Actor) enqueue(c actor.Context, buf []byte) bool {
	before := len(a.pending) + a.inFlight
	grew := len(buf) > len(a.pending)
	a.pending = buf
	if grew && before > 0 && len(a.pending)+a.inFlight > a.cfg.MaxOutboxBytes {
		a.log.Warn().Int("outbox_bytes", before).Msg("client is not reading; disconnecting it")
		a.stop(c)
		return false
	}
	a.schedule(c)
	return true
}

// fail sends an ERROR frame and closes once it is written.
func (a *Actor) fail(c actor.Context, text string) {
	if a.closing || a.stopping {
		return
	}
	if a.enqueue(c, stomp.AppendFrame(a.pending, stomp.ErrorFrame(text, text))) {
		a.closing = true
	}
}

func (a *Actor) schedule(c actor.Context) {
	if a.queued || a.stopping {
		return
	}
	a.queued = true
	c.Send(a.self, &flush{})
}

func (a *Actor) handOff(c actor.Context) {
	if a.inFlight > 0 || a.stopping {
		return
	}
	if len(a.pending) == 0 {
		if a.closing {
			a.stop(c)
		}
		return
	}
	buf := a.pending
	a.pending = a.spare[:0]
	a.spare = nil
	a.inFlight = len(buf)
	a.sentAt = time.Now()
	a.out <- buf // never blocks: the writer's channel holds one buffer and only one is out at a time
}

func (a *Actor) written(c actor.Context, w *written) {
	a.inFlight = 0
	if w.err != nil {
		if !a.stopping {
			a.log.Debug().Err(w.err).Msg("write failed; closing")
		}
		a.stop(c)
		return
	}
	// Keep a buffer for the next write, but not a big one: one getAllVmStats answer (~0.5 MiB
	// with 1000 VMs) would otherwise stay with an idle connection for good.
	if cap(w.buf) <= 64<<10 {
		a.spare = w.buf[:0]
	}
	a.handOff(c)
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
	a.stop(c)
}

// stop ends the connection; unwritten output is dropped. The socket is closed in shut.
func (a *Actor) stop(c actor.Context) {
	if a.stopping {
		return
	}
	a.stopping = true
	c.Stop(a.self)
}

// shut is the only place the socket is closed: whatever ended the connection (the session, the
// client, a failed write, an overfull outbox, shutdown, a panic), it ends here.
func (a *Actor) shut() {
	a.stopping = true
	a.nc.Close()
	if a.hbStop != nil {
		close(a.hbStop)
		a.hbStop = nil
	}
	if a.out != nil {
		close(a.out)
	}
	close(a.done)
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
