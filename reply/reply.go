// Package reply holds the one handle through which a JSON-RPC request is answered. Every admitted
// request carries exactly one Reply; whoever finishes first (the handler, the deadline timer, a
// panic handler, shutdown) answers, and every later attempt is counted and dropped. This is what
// makes "every request is answered exactly once" structural rather than a matter of care.
package reply

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// Response is a finished JSON-RPC response (or batch) on its way to the connection actor that
// received the request. Body is the complete encoded JSON.
type Response struct {
	ReplyTo string
	Body    []byte
}

// Sender delivers a Response to a connection actor. The production sender is an actor.RootContext.
type Sender interface {
	Send(pid *actor.PID, message interface{})
}

// Late counts answers that lost the race to an earlier one (a handler finishing after its
// deadline answered, say). It is a metric, never a fault.
var Late atomic.Int64

// Reply answers one request. It is safe to call from any goroutine; only the first answer wins.
//
// It lives inside every request (router.Request embeds one), so its fields are ordered to pack:
// every byte here is allocated once per request.
type Reply struct {
	done     atomic.Bool
	finished bool  // hooks ran; later ones run at once (under mu)
	nhooks   uint8 // (under mu)
	code     int32 // the answer's code (0 for a result), set by the winner before OnDone runs
	slot     int32
	sender   Sender
	conn     *actor.PID
	replyTo  string
	id       json.RawMessage // nil for a notification: it is run, never answered
	batch    *Batch

	encoder func(dst []byte, id json.RawMessage, result any) ([]byte, error)
	errEnc  func(dst []byte, id json.RawMessage, code int, msg string) []byte

	mu sync.Mutex
	// A request has two hooks (its connection's in-flight slot, and admission with metrics):
	// they fit inline, so registering one allocates nothing.
	hooks [3]Hook
	more  []Hook
}

// Deliverer is a Sender that takes an answer's parts as they are, and is done with body when
// Deliver returns (it copies it where it goes): the connections' fanout, which appends it to
// the outboxes. To one, a Reply sends no Response and encodes into a buffer it reuses.
type Deliverer interface {
	Deliver(conn *actor.PID, replyTo string, body []byte)
}

// Hook is told, once, that its request was answered. Implementations are long-lived or
// per-request objects that exist anyway (the router's request, a connection's slot channel), so
// registering one costs no closure.
type Hook interface{ Answered(r *Reply) }

// Observer is a Hook that also records the answer before it is handed on (the router's request
// counting it in the metrics): a client that reads the metrics after its answer then sees its
// request counted. Answered still runs after delivery, for what must wait for it (a slot).
type Observer interface{ Answering(r *Reply) }

// Codec is the pair of JSON-RPC encoders a Reply uses; it is passed in so this package does not
// depend on the protocol packages' internals.
type Codec struct {
	Result func(dst []byte, id json.RawMessage, result any) ([]byte, error)
	Error  func(dst []byte, id json.RawMessage, code int, msg string) []byte
}

// New makes the reply for a request with the given raw id (nil for a notification) that arrived
// on conn and wants its answer on replyTo.
func New(s Sender, c Codec, conn *actor.PID, replyTo string, id json.RawMessage) *Reply {
	r := new(Reply)
	r.Init(s, c, conn, replyTo, id)
	return r
}

// Init readies a zero Reply in place, as New does: for a Reply embedded in the request that
// carries it, so one allocation holds both.
func (r *Reply) Init(s Sender, c Codec, conn *actor.PID, replyTo string, id json.RawMessage) {
	r.sender, r.conn, r.replyTo, r.id, r.encoder, r.errEnc = s, conn, replyTo, id, c.Result, c.Error
}

// ID is the request's raw id (nil for a notification).
func (r *Reply) ID() json.RawMessage { return r.id }

// Conn is the connection actor the answer goes to.
func (r *Reply) Conn() *actor.PID { return r.conn }

// Done reports whether the request has been answered.
func (r *Reply) Done() bool { return r.done.Load() }

// AddHook registers h to be told once, right after the request is answered (a slot released,
// the answer counted). Registered after the answer, h is told at once.
func (r *Reply) AddHook(h Hook) {
	r.mu.Lock()
	if r.finished {
		r.mu.Unlock()
		h.Answered(r)
		return
	}
	if int(r.nhooks) < len(r.hooks) {
		r.hooks[r.nhooks] = h
		r.nhooks++
	} else {
		r.more = append(r.more, h)
	}
	r.mu.Unlock()
}

// Code is the code the request was answered with: 0 for a result. Meaningful once answered
// (OnDone callbacks may read it).
func (r *Reply) Code() int { return int(r.code) }

// Result answers with a result. It reports whether this was the answer that counted.
func (r *Reply) Result(v any) bool {
	if !r.claim() {
		return false
	}
	if r.id != nil {
		d, direct := r.sender.(Deliverer)
		direct = direct && r.batch == nil
		var buf *[]byte
		if direct {
			buf = bodies.Get().(*[]byte)
		} else {
			// Room for the envelope and a short result (true, {"vmList":{}}), so the usual
			// answer is one allocation; a longer one grows as it would anyway.
			b := make([]byte, 0, 64+len(r.id))
			buf = &b
		}
		body, err := r.encoder((*buf)[:0], r.id, v)
		if err != nil {
			r.code = -32603
			body = r.errEnc(body[:0], r.id, -32603, "Internal JSON-RPC error: {'reason': 'result cannot be encoded'}")
		}
		r.observe()
		// The answer is handed on before the slot is released: shutdown waits for the last
		// release, then drains the connections, so every answer must already be on its way.
		if direct {
			d.Deliver(r.conn, r.replyTo, body)
			if cap(body) <= maxPooledBody {
				*buf = body
				bodies.Put(buf)
			}
		} else {
			r.deliver(body)
		}
	} else {
		r.observe()
	}
	r.finish()
	return true
}

// bodies are buffers answers are encoded in when the Deliverer copies them out; the usual answer
// is small, and a large one (a getAllVmStats) is left to the collector rather than kept.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

const maxPooledBody = 16 << 10

// Error answers with a JSON-RPC error. It reports whether this was the answer that counted.
func (r *Reply) Error(code int, message string) bool {
	if !r.claim() {
		return false
	}
	r.code = int32(code)
	r.observe()
	if r.id != nil {
		r.deliver(r.errEnc(make([]byte, 0, 64+len(r.id)+len(message)), r.id, code, message))
	}
	r.finish()
	return true
}

func (r *Reply) claim() bool {
	if r.done.CompareAndSwap(false, true) {
		return true
	}
	Late.Add(1)
	return false
}

func (r *Reply) deliver(body []byte) {
	if r.batch != nil {
		r.batch.put(int(r.slot), body)
		return
	}
	if d, ok := r.sender.(Deliverer); ok {
		d.Deliver(r.conn, r.replyTo, body)
		return
	}
	r.sender.Send(r.conn, &Response{ReplyTo: r.replyTo, Body: body})
}

// observe tells the Observers among the hooks registered so far. AddHook only ever writes past
// the hooks read here, so they are read without the lock once counted.
func (r *Reply) observe() {
	r.mu.Lock()
	n, more := r.nhooks, r.more
	r.mu.Unlock()
	for _, h := range r.hooks[:n] {
		if o, ok := h.(Observer); ok {
			o.Answering(r)
		}
	}
	for _, h := range more {
		if o, ok := h.(Observer); ok {
			o.Answering(r)
		}
	}
}

func (r *Reply) finish() {
	r.mu.Lock()
	r.finished = true
	n, more := r.nhooks, r.more
	r.more = nil
	r.mu.Unlock()
	// Once finished is set nobody writes hooks again, so they are read without the lock.
	for _, h := range r.hooks[:n] {
		h.Answered(r)
	}
	for _, h := range more {
		h.Answered(r)
	}
}
