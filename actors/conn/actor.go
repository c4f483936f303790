package conn

import (
	"errors"
	"net"
	"runtime"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/reply"
)

// DESIGN: connection actor
//
// Owns: the socket (it alone closes it, when it stops), the writer goroutine, the outgoing
// heart-beat timer, and the connection's outbox (outbox.go), which it shares with the reader,
// the workers' answers and the writer under the outbox's own lock.
// Takes: the reader's outputs that need it (a CONNECT's heart-beat interval), *readerDone,
// *broker.Deliver (events and forwarded SENDs), *reply.Response (an answer that did not find
// the outbox directly: see fanout), heart-beat ticks, *Drain, and *writerDone (the output is
// over, or a write failed) and *overflow (the client stopped reading).
// Sends: nothing on the request path; it stops itself when the connection ends.
type Actor struct {
	cfg    *Config
	nc     net.Conn
	log    zerolog.Logger
	box    *outbox
	inbox  chan struct{} // the reader's semaphore for outputs sent here
	onStop func()        // tells the listener the connection is gone
	done   chan struct{} // closed when the actor stops, so a reader or the writer waiting ends

	self     *actor.PID
	root     *actor.RootContext
	started  bool
	stopping bool
	hbStop   chan struct{}
	sendHB   time.Duration
}

func (a *Actor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *reply.Response:
		a.box.message(replyDest(m.ReplyTo), m.Body)
	case *output:
		<-a.inbox
		a.heartbeats(m.sendEvery)
	case *broker.Deliver:
		if d := m; d.Forwarded {
			a.box.forward(d.Dest, d.Headers, d.Body)
		} else {
			a.box.message(d.Dest, d.Body)
		}
	case *heartbeatTick:
		m.Take()
		if a.sendHB > 0 {
			a.box.heartbeat(a.sendHB)
		}
	case *Drain:
		a.box.drain()
	case *writerDone:
		if m.err != nil && !a.stopping {
			a.log.Debug().Err(m.err).Msg("write failed; closing")
		}
		a.stop(c)
	case *overflow:
		a.log.Warn().Int("max_outbox_bytes", a.cfg.MaxOutboxBytes).Msg("client is not reading; disconnecting it")
		a.stop(c)
	case *readerDone:
		a.readerDone(c, m.err)
	case *actor.Started:
		if a.started {
			// Restarted after a panic: its state may be half-updated, so the connection ends
			// rather than carrying on with state nobody can vouch for.
			a.stop(c)
			return
		}
		a.started = true
		a.self, a.root = c.Self(), c.ActorSystem().Root
		go writer(a.nc, a.box, a.root, a.self, a.cfg.WriteTimeout)
	case *actor.Stopped:
		a.shut()
	}
}

// replyDest is where a response goes: its reply-to, or VDSM's default response topic.
func replyDest(replyTo string) string {
	if replyTo == "" {
		return stomp.ResponseQueue
	}
	return replyTo
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

func (a *Actor) readerDone(c actor.Context, err error) {
	var pe *stomp.ProtocolError
	if errors.As(err, &pe) {
		a.log.Info().Str("error", pe.Message).Msg("malformed frame; closing")
		// An ERROR frame, then the close once it is written (or at once, if it cannot be).
		if !a.box.frames([]*stomp.Frame{stomp.ErrorFrame(pe.Message, pe.Message)}, true) {
			a.stop(c)
		}
		return
	}
	if a.box.ending() {
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
	a.box.drop()
	a.nc.Close()
	if a.hbStop != nil {
		close(a.hbStop)
		a.hbStop = nil
	}
	close(a.done)
	if a.onStop != nil {
		a.onStop()
	}
}

// writer is the only goroutine that writes the socket: it writes whatever the outbox has queued,
// all of it in one write, and waits when there is nothing. A dropped outbox (the actor is
// stopping, or was told the client is not reading) wakes it to end.
func writer(nc net.Conn, box *outbox, root *actor.RootContext, self *actor.PID, timeout time.Duration) {
	for {
		buf, closed, dropped := box.take()
		switch {
		case dropped:
			return
		case closed:
			root.Send(self, &writerDone{})
			return
		case buf == nil:
			<-box.wake
			// Woken by the first answer of a burst (the last write carried several): let the
			// goroutines that are about to add theirs run first, so one write carries the burst
			// rather than its first answer. A lone answer (the last write carried one) is written
			// at once: waiting a scheduler turn gathers nothing for it and costs its latency.
			if box.burst {
				runtime.Gosched()
			}
			continue
		}
		nc.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := nc.Write(buf); err != nil {
			root.Send(self, &writerDone{err: err})
			return
		}
		box.written(buf)
	}
}
