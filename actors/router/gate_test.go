package router

import (
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
)

// With the router held in a turn by an injected delay and admission full, a request over the
// budget is answered 1100 inside Submit, on the caller's goroutine: it never waits in a mailbox.
// The same for 99 while recovering and for the shutdown error once draining. An admitted request
// reaches a worker while the router is still held: the router is not on the request path.
func TestGateAdmitsBeforeQueueing(t *testing.T) {
	faults := supervisor.NewInjector(1)
	const workers, queue = 1, 1
	g := newRig(t, workers, queue, func(c *Config) { c.Faults = faults })
	routerHeld, jobs := make(chan string, 1), make(chan string, 16)
	until := make(chan struct{})
	faults.Set(
		// The router's first message after this (its tick) holds it until the end of the test.
		supervisor.Rule{Kind: "router", Action: supervisor.Delay, Delay: time.Hour, Until: until, Fired: routerHeld, Times: 1},
		// Counts every job a worker receives, and does nothing to it.
		supervisor.Rule{Kind: "worker", Message: "*router.job", Action: supervisor.Delay, Fired: jobs},
	)
	select {
	case <-routerHeld:
	case <-time.After(wait):
		t.Fatal("the router never took a message to be held on")
	}

	g.send("Test.hold", 1, "1")
	g.block.awaitEntered(t, "1")
	g.send("Test.echo", 2, "2") // admitted; waits in the pool's queue for the only worker

	full := g.send("Test.echo", 3, "3")
	if !full.Done() || full.Code() != 1100 {
		t.Fatalf("over budget: answered %v, code %d when Submit returned; want 1100 at once", full.Done(), full.Code())
	}
	if n := len(jobs); n != 1 {
		t.Fatalf("%d jobs reached a worker, want only the held one", n)
	}
	wantCode(t, g.next(), 1100, "Not enough resources: {'resource': 'jsonrpc', 'current_tasks': 1, 'reason': 'Too many tasks'}")

	// A gate on the same pool and admission while VMs are being recovered.
	var ready atomic.Bool
	cfg := g.cfg
	cfg.Ready = &ready
	r := reply.New(g.sys.Root, codec, g.conn, "replies", json.RawMessage("4"))
	NewGate(g.sys.Root, cfg).Submit(&Request{Reply: r, Method: "Test.echo", Params: json.RawMessage(`{"n":4}`)})
	if !r.Done() || r.Code() != 99 {
		t.Fatalf("recovering: answered %v, code %d when Submit returned; want 99 at once", r.Done(), r.Code())
	}
	wantCode(t, g.next(), 99, "Recovering from crash or Initializing")

	g.block.release("1")
	for _, a := range g.collect(1, 2) {
		wantCode(t, a, 0, "")
	}
	if n := len(jobs); n != 2 {
		t.Fatalf("%d jobs reached a worker, want the two admitted", n)
	}
	drained := g.cfg.Admission.Drain()
	select {
	case <-drained:
	case <-time.After(wait):
		t.Fatal("admission never drained")
	}
	if r := g.send("Test.echo", 5, "5"); !r.Done() || r.Code() != -32603 {
		t.Fatalf("draining: answered %v, code %d when Submit returned; want the shutdown error at once", r.Done(), r.Code())
	}
	wantCode(t, g.next(), -32603, "Internal JSON-RPC error: {'reason': 'the agent is shutting down'}")
	close(until)
	g.noMoreResponses()
}
