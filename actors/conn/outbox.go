package conn

import (
	"strconv"
	"sync"
	"time"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/stomp"
)

// DESIGN: outbox
//
// Owns: one connection's output until the writer takes it: the bytes queued (pending), the
// count of bytes with the writer (inFlight), the message-id sequence, and the mirror of the
// session's subscriptions that MESSAGE frames are addressed by.
// Taken from: the reader (the session's frames, subscription changes, the end of the session),
// workers through the fanout (responses: no hop through the connection actor), the actor
// (events, forwarded SENDs, heart-beats, shutdown's drain) and the writer (take, then written).
// Tells: the writer, through wake, that an idle outbox has output; the actor, through failed,
// once, that the client stopped reading.
//
// It is a shared structure rather than the actor's state because a response handed over here
// costs one short lock, where a message to the actor cost a mailbox push, a schedule and a
// self-sent flush. Nobody blocks or does I/O while holding the lock.
//
// Invariants (checked by TestOutboxInvariants), true whenever the lock is free:
//   - len(pending)+inFlight ≤ max, except that one frame is let into an empty outbox whatever
//     its size (or it could never be sent). An append past the bound drops the connection
//     (over), and every byte counts: frames, MESSAGEs and heart-beats alike.
//   - At most one buffer is with the writer; inFlight is its length, 0 when the writer is idle.
//   - While the writer waits on wake with nothing in flight, pending is empty or a wake token
//     is in the channel: an append to an idle, empty outbox leaves one.
//   - Once closing or over, nothing more is queued; once over, nothing more is taken.
//   - Frames appended by one goroutine are written in the order it appended them.
type outbox struct {
	max    int
	wake   chan struct{} // capacity 1
	failed func()        // the client is not reading: called once, outside the lock

	mu       sync.Mutex
	pending  []byte
	spare    []byte
	inFlight int
	msgID    uint64
	subs     []boxSub      // the session's subscriptions, in subscription order
	closing  bool          // write what is queued, then end
	over     bool          // dropped: nothing more is queued or written
	sentAt   time.Duration // system.Mono() when the writer last took output
	appends  int           // appends to pending since the writer last took it

	// burst is the writer's own, written by take and read by the writer alone: whether the
	// output it last took came from more than one append (answers arriving together).
	burst bool
}

// boxSub is a subscription with the head of the MESSAGEs it gets, escaped once when it is made.
type boxSub struct {
	stomp.Subscription
	head []byte
}

func newOutbox(max int, failed func()) *outbox {
	return &outbox{max: max, wake: make(chan struct{}, 1), failed: failed, sentAt: system.Mono()}
}

// commit makes buf, which is pending with frames appended, the outbox, or drops the connection
// if that passes the bound. Called with the lock held; the caller calls after(wake, fail)
// once the lock is free.
func (o *outbox) commit(buf []byte) (wake, fail bool) {
	before := len(o.pending) + o.inFlight
	if len(buf) > len(o.pending) && before > 0 && len(buf)+o.inFlight > o.max {
		o.over = true
		o.pending = nil
		return false, true
	}
	wake = len(o.pending) == 0 && o.inFlight == 0 && len(buf) > 0
	if len(buf) > len(o.pending) {
		o.appends++
	}
	o.pending = buf
	return wake, false
}

func (o *outbox) after(wake, fail bool) {
	if wake {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
	if fail {
		o.failed()
	}
}

func (o *outbox) open() bool { return !o.closing && !o.over }

// frames queues the session's own frames (CONNECTED, RECEIPT, ERROR) and, with end, ends the
// output after them. It reports false when the connection is being dropped.
func (o *outbox) frames(fs []*stomp.Frame, end bool) bool {
	o.mu.Lock()
	if !o.open() {
		ok := !o.over
		o.mu.Unlock()
		return ok
	}
	buf := o.pending
	for _, f := range fs {
		buf = stomp.AppendFrame(buf, f)
	}
	wake, fail := o.commit(buf)
	if end && !fail {
		o.closing = true
		wake = o.inFlight == 0 // the writer must learn it is done even with nothing to write
	}
	o.mu.Unlock()
	o.after(wake, fail)
	return !fail
}

// message queues body as a MESSAGE on dest to every subscription on exactly dest: a response or
// an event.
func (o *outbox) message(dest string, body []byte) {
	o.mu.Lock()
	if !o.open() {
		o.mu.Unlock()
		return
	}
	buf := o.pending
	for _, s := range o.subs {
		if s.Destination == dest {
			o.msgID++
			buf = stomp.AppendMessageAfter(buf, s.head, o.msgID, body)
		}
	}
	wake, fail := o.commit(buf)
	o.mu.Unlock()
	o.after(wake, fail)
}

// forward queues a client's SEND to dest as a MESSAGE to every subscription that receives it
// (dest or a dot-parent of it), with the SEND's own headers.
func (o *outbox) forward(dest string, headers []stomp.Header, body []byte) {
	o.mu.Lock()
	if !o.open() {
		o.mu.Unlock()
		return
	}
	buf := o.pending
	for _, s := range o.subs {
		if stomp.Receives(s.Destination, dest) {
			o.msgID++
			buf = stomp.AppendForward(buf, dest, s.ID, strconv.FormatUint(o.msgID, 10), headers, body)
		}
	}
	wake, fail := o.commit(buf)
	o.mu.Unlock()
	o.after(wake, fail)
}

// heartbeat queues a heart-beat if nothing has gone out for half of every and nothing waits.
func (o *outbox) heartbeat(every time.Duration) {
	o.mu.Lock()
	if !o.open() || len(o.pending) > 0 || o.inFlight > 0 || system.Mono()-o.sentAt < every/2 {
		o.mu.Unlock()
		return
	}
	wake, fail := o.commit(stomp.AppendHeartBeat(o.pending))
	o.mu.Unlock()
	o.after(wake, fail)
}

func (o *outbox) subscribe(s stomp.Subscription) {
	head := stomp.MessageHead(s.Destination, s.ID)
	o.mu.Lock()
	o.subs = append(o.subs, boxSub{s, head})
	o.mu.Unlock()
}

func (o *outbox) unsubscribe(id string) {
	o.mu.Lock()
	for i, s := range o.subs {
		if s.ID == id {
			o.subs = append(o.subs[:i], o.subs[i+1:]...)
			break
		}
	}
	o.mu.Unlock()
}

// drain ends the output once what is queued is written (shutdown).
func (o *outbox) drain() {
	o.mu.Lock()
	wake := !o.closing && o.inFlight == 0
	o.closing = true
	o.mu.Unlock()
	o.after(wake, false)
}

// drop stops all output: the connection is going.
func (o *outbox) drop() {
	o.mu.Lock()
	o.over, o.pending, o.spare = true, nil, nil
	o.mu.Unlock()
	o.after(true, false)
}

// take gives the writer the queued output, or nil: then closed tells it the output is over and
// all written, and dropped that the connection is going; with neither it waits on wake.
func (o *outbox) take() (buf []byte, closed, dropped bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.over {
		return nil, false, true
	}
	if len(o.pending) == 0 {
		return nil, o.closing, false
	}
	buf = o.pending
	o.pending, o.spare = o.spare[:0], nil
	o.inFlight = len(buf)
	o.sentAt = system.Mono()
	o.burst, o.appends = o.appends > 1, 0
	return buf, false, false
}

// written gives back a buffer the writer has finished with.
func (o *outbox) written(buf []byte) {
	o.mu.Lock()
	o.inFlight = 0
	// Keep a buffer for the next write, but not a big one: one getAllVmStats answer (~0.5 MiB
	// with 1000 VMs) would otherwise stay with an idle connection for good.
	if cap(buf) <= 64<<10 && !o.over {
		o.spare = buf[:0]
	}
	o.mu.Unlock()
}

// ending reports whether the output is on its way to an end (closing or dropped).
func (o *outbox) ending() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.open()
}
