package router

import (
	"encoding/json"
	"net"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/actors/verbs"
	"github.com/hostagent/hostagent/metrics"
	"github.com/hostagent/hostagent/reply"
)

// Request is one decoded JSON-RPC request, submitted by a connection's reader to the Gate.
type Request struct {
	Reply  *reply.Reply
	Method string
	Params json.RawMessage
	Flow   string
	Local  net.Addr

	// What one request needs on its way lives in it, so the path from reader to answer allocates
	// it once: its reply (when made by NewRequest), its job, the call its handler sees, and
	// what the gate records on admission.
	reply    reply.Reply
	job      job
	adm      *Admission
	slot     int32
	turn     atomic.Int32  // its job's turn: turnWaiting, turnBegun or turnExpired (in slot's padding)
	admitted time.Duration // system.Mono()
	metric   *metrics.Method
}

// NewRequest makes a request whose reply is held in the request itself; the caller fills in
// Method, Params, Flow and Local.
func NewRequest(s reply.Sender, c reply.Codec, conn *actor.PID, replyTo string, id json.RawMessage) *Request {
	req := &Request{}
	req.reply.Init(s, c, conn, replyTo, id)
	req.Reply = &req.reply
	return req
}

func (r *Request) Answer() *reply.Reply { return r.Reply }

// Answering counts the request's answer before it is handed on, so a client that has its answer
// sees it counted; Answered releases its admission slot after. Together they are the Hook the
// gate gives every request it admits.
func (r *Request) Answering(rp *reply.Reply) {
	r.metric.Answered(rp.Code(), system.Mono()-r.admitted)
}

func (r *Request) Answered(*reply.Reply) { r.adm.release(r.slot) }

// A job's turn is claimed once, by whichever comes first: the worker whose turn on it begins
// (it runs it), or its deadline (it never runs). Only a worker whose turn began can be stuck in
// the call; one that has the job on its way to its mailbox is not, and skips it when it comes.
const (
	turnWaiting int32 = iota
	turnBegun
	turnExpired
)

// begin claims the request's job for the worker whose turn on it begins; false: its deadline
// came first.
func (r *Request) begin() bool { return r.turn.CompareAndSwap(turnWaiting, turnBegun) }

// expire claims the request's job for its deadline, before the answer: no worker's turn on it
// will run it. False: a worker's turn on it began first.
func (r *Request) expire() bool { return r.turn.CompareAndSwap(turnWaiting, turnExpired) }

func (r *Request) begun() bool { return r.turn.Load() == turnBegun }

// job is an admitted request on its way to or inside a worker.
type job struct {
	req    *Request
	call   verbs.Call
	worker *member // the worker that has it; written under the Pool's lock only
}

func (j *job) Answer() *reply.Reply { return j.req.Reply }

// tick is the router's timer: answer the requests past their deadline.
type tick struct{ system.Coalesced }

// Stats asks the router for a snapshot of its pool; answered with *PoolStats.
type Stats struct{}

// PoolStats is the pool's state, for tests and metrics.
type PoolStats struct {
	Workers   int   // workers in the pool (not counting abandoned ones)
	Idle      int   // of which idle
	Queued    int   // admitted requests waiting for a worker
	InFlight  int   // admitted requests not yet answered
	Stuck     int64 // workers abandoned after a deadline, ever
	Replaced  int64 // workers spawned to replace stuck or stopped ones, ever
	Abandoned int   // abandoned workers still inside their call
}
