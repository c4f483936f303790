package router

import (
	"encoding/json"
	"net"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/reply"
)

// Request is one decoded JSON-RPC request, sent by a connection's reader.
type Request struct {
	Reply  *reply.Reply
	Method string
	Params json.RawMessage
	Flow   string
	Local  net.Addr
}

func (r *Request) Answer() *reply.Reply { return r.Reply }

// job is an admitted request on its way to or inside a worker.
type job struct{ req *Request }

func (j *job) Answer() *reply.Reply { return j.req.Reply }

// workerIdle is a worker saying it can take a job: after each job, and on every start (which
// after a restart also frees the job it panicked on).
type workerIdle struct{ worker *actor.PID }

// expired is a deadline that answered its request before the verb did.
type expired struct{ job *job }

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
