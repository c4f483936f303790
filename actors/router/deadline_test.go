package router

import (
	"encoding/json"
	"testing"
	"time"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/reply"
)

// heldHandOver is the gate's sender with the hand-over of jobs held: a job the pool gave to a
// worker stays on its way to the worker's mailbox until the test lets it go.
type heldHandOver struct {
	root *actor.RootContext
	held chan handOver
}

type handOver struct {
	to  *actor.PID
	job *job
}

func (h *heldHandOver) Send(pid *actor.PID, msg interface{}) {
	if j, ok := msg.(*job); ok {
		h.held <- handOver{pid, j}
		return
	}
	h.root.Send(pid, msg)
}

// A job whose deadline answers it after the pool gave it to a worker, but before that worker's
// turn on it began (the job still on its way to the worker's mailbox), never runs, and costs no
// worker: the worker skips it when it comes and serves on. Only a worker whose turn began can
// be stuck in the call; this one was not, and abandoning it (as the router did) counted it stuck,
// logged a stuck verb that never ran and replaced a healthy worker.
func TestRouterJobExpiredBeforeItsTurnCostsNoWorker(t *testing.T) {
	const deadline = 20 * time.Millisecond
	g := newRig(t, 1, 1, func(c *Config) { c.Deadlines = map[string]time.Duration{"Test.echo": deadline} })
	w := g.workersStarted(1)[0]
	h := &heldHandOver{root: g.sys.Root, held: make(chan handOver, 1)}
	r := reply.New(g.sys.Root, codec, g.conn, "replies", json.RawMessage("1"))
	NewGate(h, g.cfg).Submit(&Request{Reply: r, Method: "Test.echo", Params: json.RawMessage(`{"n":1}`), Flow: "flow"})
	var ho handOver
	select {
	case ho = <-h.held:
	case <-time.After(wait):
		t.Fatal("the gate handed the job to no worker")
	}
	if ho.to.Id != w.Id {
		t.Fatalf("handed to %s, want the only worker %s", ho.to.Id, w.Id)
	}

	a := g.next()
	if a.ID != "1" {
		t.Fatalf("response to the wrong request: %s", a.Body)
	}
	wantCode(t, a, -32603, "Internal JSON-RPC error: {'reason': 'Test.echo did not finish within 20ms'}")
	// The answer went out from the router's tick, which abandons a stuck worker in the same turn.
	if s := g.stats(); s.Stuck != 0 || s.Replaced != 0 || s.Abandoned != 0 || s.Workers != 1 || s.InFlight != 0 {
		t.Fatalf("a worker was abandoned for a job it never began: %+v", s)
	}

	g.sys.Root.Send(ho.to, ho.job) // the hand-over completes, after the deadline's answer
	g.awaitStats("the worker idle again", func(s *PoolStats) bool { return s.Idle == 1 })
	if n := g.calls.Load(); n != 0 {
		t.Fatalf("the expired job ran (%d calls)", n)
	}
	if idle := g.cfg.Pool.idleWorkers(); len(idle) != 1 || idle[0].Id != w.Id {
		t.Fatalf("idle workers %v, want the original %s", idle, w.Id)
	}
	g.send("Test.echo", 2, "2")
	if a := g.next(); a.ID != "2" || a.Code != 0 {
		t.Fatalf("after the expired job: %s", a.Body)
	}
	if s := g.stats(); s.Stuck != 0 || s.Replaced != 0 || s.Workers != 1 {
		t.Fatalf("at the end: %+v", s)
	}
	g.noMoreResponses()
}

// The job's turn lives in the padding after the admission slot: a request, allocated once per
// request, stays within its 384-byte size class.
func TestRequestSize(t *testing.T) {
	if n := unsafe.Sizeof(Request{}); n > 384 {
		t.Fatalf("a Request is %d bytes, past the 384-byte size class", n)
	}
}
