package router

import (
	"encoding/json"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
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

// hookFunc is a plain function told when a reply is answered, on the answerer's goroutine.
type hookFunc func()

func (f hookFunc) Answered(*reply.Reply) { f() }

// A job its deadline answered while it waited in the queue, taken by a worker before the router
// took it out of the pool (the deadline's answer and Abandon are two steps of the router's turn),
// never runs and costs no worker either: the worker's turn skips it.
func TestRouterJobTakenAfterItsDeadlineCostsNoWorker(t *testing.T) {
	const deadline = 20 * time.Millisecond
	faults := supervisor.NewInjector(1)
	g := newRig(t, 1, 1, func(c *Config) {
		c.Faults = faults
		c.Deadlines = map[string]time.Duration{"Test.echo": deadline}
	})
	w := g.workersStarted(1)[0]
	g.send("Test.hold", 1, "1") // holds the only worker: the next job waits in the queue
	g.block.awaitEntered(t, "1")

	// The router's turn stops inside the deadline's answer of job 2, before Abandon, until the
	// worker has taken job 2 and its turn on it is held.
	answered, proceed := make(chan struct{}), make(chan struct{})
	held, release := make(chan string, 1), make(chan struct{})
	letRouterGo := sync.OnceFunc(func() { close(proceed) })
	letWorkerGo := sync.OnceFunc(func() { close(release) })
	// Before the rig's stop (cleanups run last first): a failure leaves nothing held.
	t.Cleanup(func() { letRouterGo(); letWorkerGo() })
	r := reply.New(g.sys.Root, codec, g.conn, "replies", json.RawMessage("2"))
	r.AddHook(hookFunc(func() {
		close(answered)
		<-proceed
	}))
	g.gate.Submit(&Request{Reply: r, Method: "Test.echo", Params: json.RawMessage(`{"n":2}`), Flow: "flow"})
	select {
	case <-answered:
	case <-time.After(wait):
		t.Fatal("job 2's deadline never answered it")
	}
	faults.Set(supervisor.Rule{Kind: "worker", Message: "*router.job", Action: supervisor.Delay, Delay: time.Hour, Until: release, Fired: held, Times: 1})
	g.block.release("1")
	select {
	case <-held:
	case <-time.After(wait):
		t.Fatal("the worker never took job 2")
	}
	if c := g.cfg.Pool.Counts(); c != (PoolCounts{Busy: 1}) {
		t.Fatalf("with job 2 taken: %+v", c)
	}
	letRouterGo() // on to Abandon, with the worker's turn on job 2 still held
	for id, a := range g.collect(1, 2) {
		if id == "1" {
			wantCode(t, a, 0, "")
			continue
		}
		wantCode(t, a, -32603, "Internal JSON-RPC error: {'reason': 'Test.echo did not finish within 20ms'}")
	}
	if s := g.stats(); s.Stuck != 0 || s.Replaced != 0 || s.Abandoned != 0 || s.Workers != 1 {
		t.Fatalf("a worker was abandoned for a job it took after its deadline: %+v", s)
	}
	letWorkerGo()
	g.awaitStats("the worker idle again", func(s *PoolStats) bool { return s.Idle == 1 && s.InFlight == 0 })
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d handlers ran, want 1 (job 2 must not run)", n)
	}
	if idle := g.cfg.Pool.idleWorkers(); len(idle) != 1 || idle[0].Id != w.Id {
		t.Fatalf("idle workers %v, want the original %s", idle, w.Id)
	}
	g.send("Test.echo", 3, "3")
	if a := g.next(); a.ID != "3" || a.Code != 0 {
		t.Fatalf("after the expired job: %s", a.Body)
	}
	g.noMoreResponses()
}

// A job lost inside its worker's turn (a fault drops it before the verb is called) leaves the
// worker waiting for nothing: it never reports ready again. Its turn had begun, so at the
// deadline the worker is abandoned and replaced, as one stuck in the call is, and the pool
// keeps its size.
func TestRouterDroppedJobsWorkerReplaced(t *testing.T) {
	faults := supervisor.NewInjector(1)
	g := newRig(t, 1, 1, func(c *Config) {
		c.Faults = faults
		c.Deadlines = map[string]time.Duration{"Test.echo": 20 * time.Millisecond}
	})
	w := g.workersStarted(1)[0]
	dropped := make(chan string, 1)
	faults.Set(supervisor.Rule{Kind: "worker", Message: "*router.job", Action: supervisor.Drop, Fired: dropped, Times: 1})
	g.send("Test.echo", 1, "1")
	wantCode(t, g.next(), -32603, "Internal JSON-RPC error: {'reason': 'Test.echo did not finish within 20ms'}")
	if len(dropped) != 1 {
		t.Fatal("the job was answered by its deadline, but no fault dropped it")
	}
	if s := g.stats(); s.Stuck != 1 || s.Replaced != 1 || s.Workers != 1 {
		t.Fatalf("after the dropped job's deadline: %+v", s)
	}
	g.send("Test.echo", 2, "2")
	if a := g.next(); a.ID != "2" || a.Code != 0 {
		t.Fatalf("after the dropped job: %s", a.Body)
	}
	g.awaitStats("the replacement idle", func(s *PoolStats) bool { return s.Workers == 1 && s.Idle == 1 && s.Abandoned == 0 })
	if idle := g.cfg.Pool.idleWorkers(); len(idle) != 1 || idle[0].Id == w.Id {
		t.Fatalf("idle workers %v: the dropped job's worker %s was not replaced", idle, w.Id)
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
