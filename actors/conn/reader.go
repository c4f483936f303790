package conn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/reply"
)

// codec is the JSON-RPC encoding every reply uses.
var codec = reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}

// reader is the only goroutine that reads a connection's socket, and the owner of its STOMP
// session: every frame is applied to the session here, and only what the session decided is
// acted on. Requests go straight to the router (no hop through the connection actor);
// subscriptions are registered in the directory and the outbox before the next frame is read;
// the session's frames go to the outbox, and only a CONNECT's heart-beats to the actor. Once the session has ended (a refused CONNECT,
// DISCONNECT, any ERROR) the reader reads nothing more, so bytes a client sent after that are
// never acted on.
type reader struct {
	cfg     *Config
	fr      *stomp.Reader
	root    *actor.RootContext
	conn    *actor.PID
	inbox   chan struct{} // places for outputs waiting for the actor
	slots   *slots        // requests of this connection in flight
	done    <-chan struct{}
	local   net.Addr
	session *stomp.Session
	box     *outbox
	answers *fanout
	dl      *deadlineReader
}

func newReader(cfg *Config, nc net.Conn, src io.Reader, root *actor.RootContext, conn *actor.PID, box *outbox,
	boxes *sync.Map, inbox chan struct{}, done <-chan struct{}, local net.Addr) *reader {
	dl := &deadlineReader{nc: nc, src: src}
	return &reader{cfg: cfg, fr: stomp.NewReader(dl, cfg.Limits), root: root, conn: conn, box: box, inbox: inbox,
		slots: newSlots(cfg.MaxInFlight), done: done, local: local, session: stomp.NewSession(),
		answers: &fanout{root: root, dir: cfg.Directory, boxes: boxes}, dl: dl}
}

// deadlineReader sets the socket's read deadline before every read from the negotiated incoming
// heart-beat interval, so a silent client is dropped on time, not at the next wake-up.
type deadlineReader struct {
	nc     net.Conn
	src    io.Reader
	expect time.Duration // incoming heart-beat interval plus grace; 0: none
	armed  bool
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.expect > 0 {
		d.nc.SetReadDeadline(time.Now().Add(d.expect))
		d.armed = true
	} else if d.armed {
		d.nc.SetReadDeadline(time.Time{})
		d.armed = false
	}
	return d.src.Read(p)
}

// errHeartbeat is the reader's end when the client missed its heart-beat.
var errHeartbeat = errors.New("client heart-beat missed")

func (r *reader) run() {
	defer r.unsubscribeAll()
	for {
		f, err := r.fr.Read()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = errHeartbeat
			}
			r.root.Send(r.conn, &readerDone{err: err})
			return
		}
		if f == nil {
			continue // heart-beat: the read itself re-armed the deadline
		}
		if !r.handle(f) {
			return
		}
	}
}

// handle applies one frame to the session and carries out the outcome. It reports false when
// the session or the connection has ended.
func (r *reader) handle(f *stomp.Frame) bool {
	o := r.session.Handle(f)
	replies, end := o.Replies, o.Close
	switch {
	case o.Subscribed != nil:
		// In the outbox, then the directory, before the RECEIPT is queued: a client that has
		// the RECEIPT can count on the subscription, on this connection and any other, and an
		// answer the directory routes here finds it.
		r.box.subscribe(*o.Subscribed)
		r.cfg.Directory.Add(r.conn, o.Subscribed.Destination)
	case o.Unsubscribed != nil:
		r.cfg.Directory.Remove(r.conn, o.Unsubscribed.Destination)
		r.box.unsubscribe(o.Unsubscribed.ID)
	case o.Forward:
		targets := r.cfg.Directory.Forward(o.Destination)
		if len(targets) == 0 {
			replies = []*stomp.Frame{stomp.ErrorFrame(stomp.TextSubscriptionNotAvailable, stomp.TextSubscriptionNotAvailable)}
			end = true
			break
		}
		d := &broker.Deliver{Dest: o.Destination, Body: f.Body, Forwarded: true, Headers: f.Headers}
		for _, t := range targets {
			r.root.Send(t, d)
		}
	}
	// The session's own frames (a RECEIPT included) are queued before the answers to the
	// requests of the same frame can be.
	if len(replies) > 0 || end {
		if !r.box.frames(replies, end) {
			return false
		}
	}
	if o.Connected {
		// Armed here, before the next read blocks.
		r.dl.expect = 0
		if o.HeartBeatExpect > 0 {
			r.dl.expect = o.HeartBeatExpect + heartbeatGrace(o.HeartBeatExpect)
		}
		if !r.emit(output{sendEvery: o.HeartBeatSend}) {
			return false
		}
	}
	if o.Request && !end && !r.requests(f, o.ReplyTo, o.FlowID) {
		return false
	}
	return !end
}

// emit hands an output to the actor, waiting for a place in its inbox. It reports false when
// the actor is gone.
func (r *reader) emit(o output) bool {
	select {
	case r.inbox <- struct{}{}:
	case <-r.done:
		return false
	}
	r.root.Send(r.conn, &o)
	return true
}

func (r *reader) unsubscribeAll() {
	for _, s := range r.session.All() {
		r.cfg.Directory.Remove(r.conn, s.Destination)
	}
}

// requests decodes a request SEND's body once, here, and submits each request. It reports false
// when the connection is gone.
func (r *reader) requests(f *stomp.Frame, replyTo, flow string) bool {
	items, batch := jsonrpc.Decode(f.Body)
	if !batch || len(items) == 1 {
		// vdsm-client sends every request as a one-element batch and expects a bare object back.
		it := items[0]
		if it.Error != nil {
			r.answers.Send(r.conn, &reply.Response{ReplyTo: replyTo, Body: jsonrpc.AppendError(nil, nil, it.Error.Code, it.Error.Message)})
			return true
		}
		return r.submit(router.NewRequest(r.answers, codec, r.conn, replyTo, it.Request.ID), it.Request, flow)
	}
	b := reply.NewBatch(r.answers, r.conn, replyTo, jsonrpc.AppendBatch)
	b.Hold()
	defer b.Seal()
	for _, it := range items {
		if it.Error != nil {
			b.Immediate(jsonrpc.AppendError(nil, nil, it.Error.Code, it.Error.Message))
			continue
		}
		if !r.submit(&router.Request{Reply: b.Add(codec, it.Request.ID)}, it.Request, flow) {
			return false
		}
	}
	return true
}

// submit hands one decoded request to the router, once the connection has a place for it.
func (r *reader) submit(req *router.Request, in *jsonrpc.Request, flow string) bool {
	if !r.slots.take(r.done) {
		return false
	}
	req.Reply.AddHook(r.slots)
	req.Method, req.Params, req.Flow, req.Local = in.Method, in.Params, flow, r.local
	r.cfg.Router.Submit(req)
	return true
}

// slots bounds a connection's requests in flight: the reader takes a place before it submits
// a request, and the answer gives it back. A count does it, not a channel: taking and giving
// back a place is one atomic add each, on the reader and on the answering worker, where a
// channel cost a lock on both sides.
//
// Only the reader takes, so at most one taker waits: n is max+1 exactly while it does (it
// counted itself in before it found no place), and the give-back that sees that leaves the
// wake-up token for it.
type slots struct {
	n    atomic.Int32
	max  int32
	wake chan struct{} // capacity 1
}

func newSlots(max int) *slots { return &slots{max: int32(max), wake: make(chan struct{}, 1)} }

// take takes a place, waiting for one if all are taken. It reports false if done closed first.
func (s *slots) take(done <-chan struct{}) bool {
	if s.n.Add(1) <= s.max {
		return true
	}
	select {
	case <-s.wake:
		return true
	case <-done:
		return false
	}
}

// Answered gives a place back (reply.Hook).
func (s *slots) Answered(*reply.Reply) {
	if s.n.Add(-1) >= s.max {
		s.wake <- struct{}{} // never blocks: one waiter, one token
	}
}

// fanout routes a finished response the way VDSM does: to every connection subscribed to its
// reply-to destination, the requester's or not. A response without reply-to goes to the
// requester, which answers it on its own jms.topic.vdsm_responses subscriptions. A connection of
// this listener gets it in its outbox directly, on the answering goroutine; any other (one the
// listener does not know, or no longer) through its actor.
type fanout struct {
	root  *actor.RootContext
	dir   *broker.Directory
	boxes *sync.Map // *actor.PID → *outbox; nil: every response goes through the actors
}

func (f *fanout) Send(pid *actor.PID, m any) {
	if r, ok := m.(*reply.Response); ok {
		f.Deliver(pid, r.ReplyTo, r.Body)
		return
	}
	f.root.Send(pid, m)
}

// Deliver is reply.Deliverer: body is copied into each outbox (or into the message to an actor)
// before it returns, so the Reply can reuse its buffer.
func (f *fanout) Deliver(pid *actor.PID, replyTo string, body []byte) {
	if replyTo == "" {
		f.to(pid, replyTo, body)
		return
	}
	for _, s := range f.dir.Lookup(replyTo) {
		f.to(s.Conn, replyTo, body)
	}
}

func (f *fanout) to(pid *actor.PID, replyTo string, body []byte) {
	if f.boxes != nil {
		if b, ok := f.boxes.Load(pid); ok {
			b.(*outbox).message(replyDest(replyTo), body)
			return
		}
	}
	f.root.Send(pid, &reply.Response{ReplyTo: replyTo, Body: bytes.Clone(body)})
}
