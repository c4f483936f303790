package router

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/actors/verbs"
	"github.com/hostagent/hostagent/metrics"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
)

const wait = 10 * time.Second // generous bound on anything the test waits for

// answer is a decoded response as the connection actor received it.
type answer struct {
	ID     string
	Result json.RawMessage
	Code   int
	Msg    string
	Body   string
}

// blocker is a verb handler that reports each call and then waits for the test to let it go.
type blocker struct {
	entered chan string // the call's "n" param, when the handler is inside the call
	mu      sync.Mutex
	gates   map[string]chan struct{}
}

func newBlocker() *blocker {
	return &blocker{entered: make(chan string, 256), gates: map[string]chan struct{}{}}
}

func (b *blocker) gate(n string) chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := b.gates[n]
	if g == nil {
		g = make(chan struct{})
		b.gates[n] = g
	}
	return g
}

// release lets the call with param n return (now or when it comes).
func (b *blocker) release(n string) { close(b.gate(n)) }

func (b *blocker) run(c *verbs.Call) (any, error) {
	n := string(c.Params["n"])
	g := b.gate(n)
	b.entered <- n
	<-g
	return "released " + n, nil
}

// awaitEntered waits for the calls with the given params to be inside their handler.
func (b *blocker) awaitEntered(t *testing.T, ns ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range ns {
		want[n] = true
	}
	timeout := time.After(wait)
	for len(want) > 0 {
		select {
		case n := <-b.entered:
			if !want[n] {
				t.Fatalf("call %s entered its handler, expected one of %v", n, want)
			}
			delete(want, n)
		case <-timeout:
			t.Fatalf("calls %v never entered their handler", want)
		}
	}
}

// tapEvent is a message the router has finished handling.
type tapEvent struct {
	msg any
}

// rig is a real router (with real workers) in a real actor system, answering to a real
// connection actor that hands every response to the test.
type rig struct {
	t      *testing.T
	sys    *actor.ActorSystem
	router *actor.PID
	gate   *Gate
	conn   *actor.PID
	out    chan answer
	cfg    Config
	block  *blocker
	echoed chan string // the "n" param of each Test.echo call, in the order they ran
	calls  atomic.Int64
	taps   chan tapEvent
	// tapOverflow is set when the router handled more tapped events than the tap holds.
	tapOverflow atomic.Bool
	baseline    int
	stopped     bool
}

type rigOption func(*Config)

func newRig(t *testing.T, workers, queue int, opts ...rigOption) *rig {
	t.Helper()
	g := &rig{
		t:        t,
		baseline: goroutineBaseline(),
		block:    newBlocker(),
		out:      make(chan answer, 1024),
		echoed:   make(chan string, 1024),
		taps:     make(chan tapEvent, 4096),
	}
	g.sys = system.New(zerolog.Nop())
	table := verbs.NewTable(
		verbs.Verb{Name: "Test.echo", Run: func(c *verbs.Call) (any, error) {
			g.calls.Add(1)
			g.echoed <- string(c.Params["n"])
			return map[string]json.RawMessage{"n": c.Params["n"]}, nil
		}},
		verbs.Verb{Name: "Test.block", Run: func(c *verbs.Call) (any, error) {
			g.calls.Add(1)
			return g.block.run(c)
		}},
		verbs.Verb{Name: "Test.hold", Run: func(c *verbs.Call) (any, error) {
			g.calls.Add(1)
			return g.block.run(c)
		}},
		verbs.Verb{Name: "Test.panic", Run: func(c *verbs.Call) (any, error) {
			g.calls.Add(1)
			panic("boom")
		}},
	)
	g.cfg = Config{
		Workers:   workers,
		Queue:     queue,
		Deadline:  time.Minute,
		Table:     table,
		Admission: NewAdmission(workers + queue),
		Pool:      NewPool(),
		Metrics:   metrics.New(),
		Log:       zerolog.Nop(),
	}
	for _, o := range opts {
		o(&g.cfg)
	}

	out := g.out
	g.conn = g.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if r, ok := c.Message().(*reply.Response); ok {
			out <- decodeAnswer(t, r)
		}
	}))
	// The tap runs innermost, after the router has handled the message, so the test knows the
	// router's state already reflects it; it never changes what the router does.
	// Only workers' terminations are tapped (not ticks or Stats polls, which are unbounded in
	// number), and the tap never blocks or panics: a panic while the router handles
	// *actor.Stopping would leave it stopping for ever.
	taps, overflow := g.taps, &g.tapOverflow
	tap := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			next(c, env)
			switch env.Message.(type) {
			case *actor.Terminated:
				select {
				case taps <- tapEvent{msg: env.Message}:
				default:
					overflow.Store(true)
				}
			}
		}
	}
	g.router = g.sys.Root.Spawn(New(g.cfg).Clone(actor.WithReceiverMiddleware(tap)))
	g.gate = NewGate(g.sys.Root, g.cfg)
	t.Cleanup(g.stop)
	return g
}

func decodeAnswer(t *testing.T, r *reply.Response) answer {
	var w struct {
		ID     json.RawMessage `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &w); err != nil {
		t.Errorf("response %q: %v", r.Body, err)
		return answer{Body: string(r.Body)}
	}
	a := answer{ID: string(w.ID), Result: w.Result, Body: string(r.Body)}
	if w.Error != nil {
		a.Code, a.Msg = w.Error.Code, w.Error.Message
	}
	return a
}

// send submits a request with the given id and "n" param and returns its reply handle.
func (g *rig) send(method string, id int, n string) *reply.Reply {
	r := reply.New(g.sys.Root, codec, g.conn, "replies", json.RawMessage(fmt.Sprint(id)))
	g.gate.Submit(&Request{Reply: r, Method: method, Params: json.RawMessage(`{"n":` + n + `}`), Flow: "flow"})
	return r
}

// next waits for the next response.
func (g *rig) next() answer {
	g.t.Helper()
	select {
	case a := <-g.out:
		return a
	case <-time.After(wait):
		g.t.Fatal("no response")
	}
	return answer{}
}

// collect waits for exactly one response for each id and returns them by id.
func (g *rig) collect(ids ...int) map[string]answer {
	g.t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[fmt.Sprint(id)] = true
	}
	got := map[string]answer{}
	for len(got) < len(want) {
		a := g.next()
		if !want[a.ID] {
			g.t.Fatalf("unexpected response %s (waiting for %v)", a.Body, ids)
		}
		if _, dup := got[a.ID]; dup {
			g.t.Fatalf("request %s answered twice: %s", a.ID, a.Body)
		}
		got[a.ID] = a
	}
	return got
}

func (g *rig) stats() *PoolStats {
	g.t.Helper()
	res, err := g.sys.Root.RequestFuture(g.router, &Stats{}, wait).Result()
	if err != nil {
		g.t.Fatalf("Stats: %v", err)
	}
	return res.(*PoolStats)
}

// awaitStats asks the router for its stats until ok holds, boundedly. It is for states the
// router reaches through messages the test cannot see (a worker reporting idle after its
// response went out); each poll is an answer from the router itself, never a sleep.
func (g *rig) awaitStats(what string, ok func(*PoolStats) bool) *PoolStats {
	g.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		s := g.stats()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("router never reached %s: %+v", what, s)
		}
		runtime.Gosched()
	}
}

// awaitTap waits until the router has handled a message for which match is true.
func (g *rig) awaitTap(what string, match func(any) bool) any {
	g.t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case e := <-g.taps:
			if match(e.msg) {
				return e.msg
			}
		case <-timeout:
			g.t.Fatalf("the router never handled %s", what)
		}
	}
}

// workersStarted waits for n workers to be idle in the pool and returns their PIDs.
func (g *rig) workersStarted(n int) []*actor.PID {
	g.t.Helper()
	g.awaitStats(fmt.Sprintf("%d idle workers", n), func(s *PoolStats) bool { return s.Idle == n })
	return g.cfg.Pool.idleWorkers()
}

// stop releases every blocked handler, stops the router (and so its workers) and the
// connection actor, and checks that no goroutine is left behind.
func (g *rig) stop() {
	if g.stopped {
		return
	}
	g.stopped = true
	g.block.mu.Lock()
	for _, ch := range g.block.gates {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
	g.block.mu.Unlock()
	if err := g.sys.Root.PoisonFuture(g.router).Wait(); err != nil {
		buf := make([]byte, 4<<20)
		g.t.Errorf("stopping the router: %v\n%s", err, buf[:runtime.Stack(buf, true)])
	}
	if err := g.sys.Root.PoisonFuture(g.conn).Wait(); err != nil {
		g.t.Errorf("stopping the connection actor: %v", err)
	}
	checkNoGoroutineLeak(g.t, g.baseline)
	if g.tapOverflow.Load() {
		g.t.Error("the test's tap overflowed: events were lost")
	}
}

// noMoreResponses stops the connection actor after everything already sent to it and checks
// that no response is left that the test did not expect.
func (g *rig) noMoreResponses() {
	g.t.Helper()
	g.stop()
	close(g.out)
	for a := range g.out {
		g.t.Errorf("unexpected extra response %s", a.Body)
	}
}

func wantCode(t *testing.T, a answer, code int, msg string) {
	t.Helper()
	if a.Code != code || (msg != "" && a.Msg != msg) {
		t.Fatalf("response %s: want code %d message %q", a.Body, code, msg)
	}
}

// Admission full: the next request is answered at once with 1100, its own id and VDSM's exact
// message; admitted requests are all served once workers free up; slots come back.
func TestRouterFullAnswers1100(t *testing.T) {
	const workers, queue = 2, 3
	g := newRig(t, workers, queue)
	g.send("Test.block", 1, "1")
	g.send("Test.block", 2, "2")
	g.block.awaitEntered(t, "1", "2")
	for id := 3; id <= 5; id++ {
		g.send("Test.echo", id, fmt.Sprint(id))
	}
	for id := 100; id < 103; id++ {
		g.send("Test.echo", id, fmt.Sprint(id))
	}
	want := "Not enough resources: {'resource': 'jsonrpc', 'current_tasks': 3, 'reason': 'Too many tasks'}"
	if e := vdsm.ResourceExhausted(queue); e.Code != 1100 || e.Message != want {
		t.Fatalf("vdsm.ResourceExhausted(%d) = %d %q, want 1100 %q", queue, e.Code, e.Message, want)
	}
	for id, a := range g.collect(100, 101, 102) {
		if a.Code != 1100 || a.Msg != want {
			t.Fatalf("overflow request %s: got %s", id, a.Body)
		}
	}
	s := g.stats()
	if s.Workers != workers || s.Idle != 0 || s.Queued != queue || s.InFlight != workers+queue {
		t.Fatalf("full pool: %+v", s)
	}
	if g.calls.Load() != 2 {
		t.Fatalf("%d handlers ran, want only the 2 blockers", g.calls.Load())
	}
	g.block.release("1")
	g.block.release("2")
	got := g.collect(1, 2, 3, 4, 5)
	for id, a := range got {
		if a.Code != 0 {
			t.Fatalf("admitted request %s failed: %s", id, a.Body)
		}
	}
	if string(got["4"].Result) != `{"n":4}` || string(got["1"].Result) != `"released 1"` {
		t.Fatalf("wrong results: %s, %s", got["4"].Body, got["1"].Body)
	}
	g.awaitStats("an idle pool", func(s *PoolStats) bool {
		return s.InFlight == 0 && s.Idle == workers && s.Queued == 0 && s.Workers == workers
	})
	// Capacity is back: a full set of requests is admitted again.
	for id := 10; id < 10+workers+queue; id++ {
		g.send("Test.echo", id, fmt.Sprint(id))
	}
	for _, a := range g.collect(10, 11, 12, 13, 14) {
		if a.Code != 0 {
			t.Fatalf("after the pool emptied: %s", a.Body)
		}
	}
	g.noMoreResponses()
}

// A handler that panics is answered -32603 with its id; the worker is restarted in place (not
// replaced) and the pool serves at full size afterwards.
func TestRouterPanicAnsweredAndPoolRestored(t *testing.T) {
	const workers = 2
	g := newRig(t, workers, 4)
	lateBefore := reply.Late.Load()
	g.send("Test.panic", 1, "1")
	a := g.next()
	if a.ID != "1" {
		t.Fatalf("response to the wrong request: %s", a.Body)
	}
	wantCode(t, a, -32603, "Internal JSON-RPC error: {'reason': 'panic in worker: boom'}")
	s := g.awaitStats("the pool restored", func(s *PoolStats) bool { return s.Idle == workers })
	if s.Workers != workers || s.Replaced != 0 || s.Stuck != 0 || s.InFlight != 0 {
		t.Fatalf("after a panic: %+v", s)
	}
	// Both workers take a call at the same time: the restarted one is alive and serving.
	g.send("Test.block", 2, "2")
	g.send("Test.block", 3, "3")
	g.block.awaitEntered(t, "2", "3")
	g.block.release("2")
	g.block.release("3")
	for _, a := range g.collect(2, 3) {
		wantCode(t, a, 0, "")
	}
	// An answer reaches the client just before its admission slot is given back: wait for the
	// slots, or the burst below (exactly the pool plus the queue) could find one still taken.
	g.awaitStats("the slots given back", func(s *PoolStats) bool { return s.InFlight == 0 })
	// Several panics in a row, interleaved with good requests: each answered once.
	for i := 10; i < 16; i++ {
		if i%2 == 0 {
			g.send("Test.panic", i, "0")
		} else {
			g.send("Test.echo", i, fmt.Sprint(i))
		}
	}
	for id, a := range g.collect(10, 11, 12, 13, 14, 15) {
		if id == "10" || id == "12" || id == "14" {
			wantCode(t, a, -32603, "Internal JSON-RPC error: {'reason': 'panic in worker: boom'}")
		} else {
			wantCode(t, a, 0, "")
		}
	}
	g.awaitStats("the pool restored", func(s *PoolStats) bool {
		return s.Workers == workers && s.Idle == workers && s.InFlight == 0 && s.Replaced == 0
	})
	if late := reply.Late.Load() - lateBefore; late != 0 {
		t.Fatalf("%d late answers: a panicking request was answered twice", late)
	}
	g.noMoreResponses()
}

// A handler stuck past its deadline: the client gets -32603 with the request's id at the
// deadline, the worker is abandoned and replaced at once (pool at full size, Stuck counted),
// and when the call finally returns its answer is dropped as late and the abandoned worker is
// stopped.
func TestRouterStuckWorkerAbandonedAndReplaced(t *testing.T) {
	const workers = 2
	deadline := 50 * time.Millisecond
	g := newRig(t, workers, 4, func(c *Config) { c.Deadlines = map[string]time.Duration{"Test.block": deadline} })
	initial := g.workersStarted(workers)

	g.send("Test.block", 1, "1")
	g.block.awaitEntered(t, "1")
	a := g.next()
	if a.ID != "1" {
		t.Fatalf("response to the wrong request: %s", a.Body)
	}
	wantCode(t, a, -32603, fmt.Sprintf("Internal JSON-RPC error: {'reason': 'Test.block did not finish within %s'}", deadline))

	// The answer went out from the router's tick, which replaces the worker in the same turn.
	s := g.stats()
	if s.Workers != workers || s.Stuck != 1 || s.Replaced != 1 || s.Abandoned != 1 || s.InFlight != 0 {
		t.Fatalf("after the deadline: %+v", s)
	}
	// The pool has its full size while the stuck call still hangs: two more calls run at once.
	g.send("Test.hold", 2, "2")
	g.send("Test.hold", 3, "3")
	g.block.awaitEntered(t, "2", "3")

	// The stuck call returns: its answer is late, its worker is stopped.
	lateBefore := reply.Late.Load()
	g.block.release("1")
	term := g.awaitTap("the abandoned worker's termination", func(m any) bool {
		_, ok := m.(*actor.Terminated)
		return ok
	}).(*actor.Terminated)
	if term.Who.Id != initial[0].Id && term.Who.Id != initial[1].Id {
		t.Fatalf("terminated %s, want one of the original workers %s, %s", term.Who.Id, initial[0].Id, initial[1].Id)
	}
	if late := reply.Late.Load() - lateBefore; late != 1 {
		t.Fatalf("Late grew by %d when the stuck call returned, want 1", late)
	}
	s = g.stats()
	if s.Workers != workers || s.Stuck != 1 || s.Replaced != 1 || s.Abandoned != 0 {
		t.Fatalf("after the stuck call returned: %+v", s)
	}
	g.block.release("2")
	g.block.release("3")
	for _, a := range g.collect(2, 3) {
		wantCode(t, a, 0, "")
	}
	g.awaitStats("an idle pool", func(s *PoolStats) bool { return s.Idle == workers && s.InFlight == 0 })
	g.noMoreResponses()
}

// A request whose deadline passes while it waits in the queue is answered by its deadline and
// never run; no worker is abandoned for it.
func TestRouterQueuedRequestExpires(t *testing.T) {
	g := newRig(t, 1, 4, func(c *Config) { c.Deadlines = map[string]time.Duration{"Test.block": 20 * time.Millisecond} })
	g.send("Test.hold", 1, "1") // holds the only worker until released; its deadline is a minute
	g.block.awaitEntered(t, "1")
	g.send("Test.block", 2, "2") // queued behind it until its 20 ms deadline passes
	a := g.next()
	if a.ID != "2" {
		t.Fatalf("response to the wrong request: %s", a.Body)
	}
	wantCode(t, a, -32603, "Internal JSON-RPC error: {'reason': 'Test.block did not finish within 20ms'}")
	if s := g.stats(); s.Queued != 0 || s.Stuck != 0 || s.Abandoned != 0 || s.Workers != 1 || s.InFlight != 1 {
		t.Fatalf("after a queued request expired: %+v", s)
	}
	g.block.release("1")
	if a := g.next(); a.ID != "1" || a.Code != 0 {
		t.Fatalf("the held call: %s", a.Body)
	}
	g.send("Test.echo", 3, "3")
	if a := g.next(); a.ID != "3" || a.Code != 0 {
		t.Fatalf("after the expiry: %s", a.Body)
	}
	if n := g.calls.Load(); n != 2 {
		t.Fatalf("%d handlers ran, want 2 (the expired request must not run)", n)
	}
	select {
	case n := <-g.block.entered:
		t.Fatalf("the expired request %s ran", n)
	default:
	}
	g.noMoreResponses()
}

// Requests queued behind busy workers are served in arrival order when a worker frees up.
func TestRouterQueueIsFIFO(t *testing.T) {
	const workers, queued = 3, 12
	g := newRig(t, workers, queued)
	for i := 1; i <= workers; i++ {
		g.send("Test.hold", i, fmt.Sprint(i))
	}
	g.block.awaitEntered(t, "1", "2", "3")
	var ids []int
	for i := 0; i < queued; i++ {
		id := 100 + i
		ids = append(ids, id)
		g.send("Test.echo", id, fmt.Sprint(id))
	}
	if s := g.stats(); s.Queued != queued || s.Idle != 0 {
		t.Fatalf("before any worker freed up: %+v", s)
	}
	// One worker frees up and drains the whole queue, one request at a time, in order, while
	// the other two stay busy.
	g.block.release("2")
	if a := g.next(); a.ID != "2" {
		t.Fatalf("first response %s, want the released call's", a.Body)
	}
	for i, id := range ids {
		select {
		case n := <-g.echoed:
			if n != fmt.Sprint(id) {
				t.Fatalf("queued request %d ran as number %d, want %d", id, i, 100+i)
			}
		case <-time.After(wait):
			t.Fatalf("queued request %d never ran", id)
		}
		if a := g.next(); a.ID != fmt.Sprint(id) || a.Code != 0 {
			t.Fatalf("response number %d: %s, want id %d", i, a.Body, id)
		}
	}
	// A second round, with all workers freed at once: every queued request runs exactly once.
	g.send("Test.hold", 50, "50")
	g.send("Test.hold", 51, "51")
	g.send("Test.hold", 52, "52")
	// Workers 1 and 3 are still held, so only one of the three runs now.
	g.block.awaitEntered(t, "50")
	for i := 0; i < 6; i++ {
		g.send("Test.echo", 200+i, fmt.Sprint(200+i))
	}
	for _, n := range []string{"1", "3", "50", "51", "52"} {
		g.block.release(n)
	}
	got := g.collect(1, 3, 50, 51, 52, 200, 201, 202, 203, 204, 205)
	for _, a := range got {
		wantCode(t, a, 0, "")
	}
	g.awaitStats("an idle pool", func(s *PoolStats) bool { return s.Idle == workers && s.InFlight == 0 && s.Queued == 0 })
	g.noMoreResponses()
}

// A worker that finishes while requests wait takes the next itself, with no idle report to the
// router in between; a job it took that then hangs is still found by its deadline, and the
// worker abandoned and replaced, as for a job the router handed out.
func TestRouterWorkerTakesWaitingJobs(t *testing.T) {
	deadline := 50 * time.Millisecond
	g := newRig(t, 1, 4, func(c *Config) { c.Deadlines = map[string]time.Duration{"Test.block": deadline} })
	initial := g.workersStarted(1)[0]
	g.send("Test.hold", 1, "1")
	g.block.awaitEntered(t, "1")
	g.send("Test.echo", 2, "2")
	g.send("Test.block", 3, "3")
	g.awaitStats("two requests waiting", func(s *PoolStats) bool { return s.Queued == 2 })
	g.block.release("1")
	for _, a := range g.collect(1, 2) {
		wantCode(t, a, 0, "")
	}
	g.block.awaitEntered(t, "3")
	a := g.next()
	if a.ID != "3" {
		t.Fatalf("response to the wrong request: %s", a.Body)
	}
	wantCode(t, a, -32603, fmt.Sprintf("Internal JSON-RPC error: {'reason': 'Test.block did not finish within %s'}", deadline))
	s := g.stats()
	if s.Workers != 1 || s.Stuck != 1 || s.Replaced != 1 || s.Abandoned != 1 {
		t.Fatalf("after the taken job's deadline: %+v", s)
	}
	// The replacement serves while the stuck call hangs.
	g.send("Test.echo", 4, "4")
	if a := g.next(); a.ID != "4" || a.Code != 0 {
		t.Fatalf("the replacement's answer: %s", a.Body)
	}
	g.block.release("3")
	term := g.awaitTap("the abandoned worker's termination", func(m any) bool { _, ok := m.(*actor.Terminated); return ok }).(*actor.Terminated)
	if term.Who.Id != initial.Id {
		t.Fatalf("terminated %s, want the stuck worker %s", term.Who.Id, initial.Id)
	}
	g.awaitStats("an idle pool", func(s *PoolStats) bool { return s.Workers == 1 && s.Idle == 1 && s.InFlight == 0 && s.Abandoned == 0 })
	g.noMoreResponses()
}

// While the agent recovers its VMs (Ready false) every request, whatever its method, is
// answered 99 with its id and nothing runs; once ready, requests are served.
func TestRouterNotReadyAnswers99(t *testing.T) {
	var ready atomic.Bool
	g := newRig(t, 2, 2, func(c *Config) { c.Ready = &ready })
	methods := []string{"Test.echo", "Test.panic", "Test.block", "Host.ping2", "No.such"}
	var ids []int
	for i := 0; i < 20; i++ { // more than workers+queue: readiness comes before admission
		ids = append(ids, i)
		g.send(methods[i%len(methods)], i, "0")
	}
	for id, a := range g.collect(ids...) {
		if a.Code != 99 || a.Msg != "Recovering from crash or Initializing" {
			t.Fatalf("request %s while recovering: %s", id, a.Body)
		}
	}
	if n := g.calls.Load(); n != 0 {
		t.Fatalf("%d handlers ran while not ready", n)
	}
	if s := g.stats(); s.InFlight != 0 || s.Queued != 0 {
		t.Fatalf("requests admitted while not ready: %+v", s)
	}
	ready.Store(true)
	g.send("Test.echo", 100, "100")
	if a := g.next(); a.ID != "100" || a.Code != 0 {
		t.Fatalf("once ready: %s", a.Body)
	}
	g.noMoreResponses()
}

// Verbs the table does not serve are answered by the workers with VDSM's codes.
func TestRouterUnknownMethods(t *testing.T) {
	g := newRig(t, 1, 1)
	g.send("No.such", 1, "0")
	a := g.next()
	wantCode(t, a, -32601, "The method does not exist or is not available: {'method': 'No.such'}")
	g.send("Host.getCapabilities", 2, "0") // a VDSM verb this table does not implement
	a = g.next()
	if a.ID != "2" || a.Code != 44 {
		t.Fatalf("unimplemented VDSM verb: %s", a.Body)
	}
	g.noMoreResponses()
}

// A worker that keeps panicking past its supervisor's restart budget is stopped and replaced by
// a fresh one; every request it failed on is answered -32603 and the pool keeps serving.
func TestRouterCrashLoopingWorkerReplaced(t *testing.T) {
	budget := supervisor.DefaultBackoff("worker", zerolog.Nop()).Budget
	g := newRig(t, 1, budget+4)
	original := g.workersStarted(1)[0]
	var ids []int
	for i := 1; i <= budget+1; i++ {
		ids = append(ids, i)
		g.send("Test.panic", i, "0")
	}
	for id, a := range g.collect(ids...) {
		if a.Code != -32603 || !strings.Contains(a.Msg, "panic in worker: boom") {
			t.Fatalf("request %s: %s", id, a.Body)
		}
	}
	term := g.awaitTap("the worker's termination", func(m any) bool { _, ok := m.(*actor.Terminated); return ok }).(*actor.Terminated)
	if term.Who.Id != original.Id {
		t.Fatalf("terminated %s, want the crash-looping worker %s", term.Who.Id, original.Id)
	}
	s := g.stats()
	if s.Workers != 1 || s.Replaced != 1 || s.Stuck != 0 {
		t.Fatalf("after the worker was given up on: %+v", s)
	}
	// The replacement serves, and it is a new worker.
	g.send("Test.hold", 100, "100")
	g.block.awaitEntered(t, "100")
	g.block.release("100")
	wantCode(t, g.next(), 0, "")
	if fresh := g.workersStarted(1)[0]; fresh.Id == original.Id {
		t.Fatal("the worker was not replaced")
	}
	g.send("Test.echo", 101, "101")
	wantCode(t, g.next(), 0, "")
	g.awaitStats("an idle pool", func(s *PoolStats) bool { return s.Workers == 1 && s.Idle == 1 && s.InFlight == 0 })
	g.noMoreResponses()
}

// Many requests from many goroutines against a small pool with a small queue, with panics
// injected into the first jobs the workers take: every request gets exactly one answer (its own,
// the panic's -32603, or 1100), and there are exactly as many -32603 answers as planned panics,
// each of them fired.
func TestRouterEveryRequestAnsweredOnce(t *testing.T) {
	const workers, queue, senders, each = 3, 120, 4, 60
	// Fewer than a worker's restart budget, so no backoff delays; every request reaches a
	// worker or is refused, and at least this many reach one.
	const panics = 6
	faults := supervisor.NewInjector(1)
	g := newRig(t, workers, queue, func(c *Config) { c.Faults = faults })
	faults.Set(supervisor.Rule{Kind: "worker", Message: "*router.job", Action: supervisor.Panic, Times: panics})
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := s*1000 + i
				g.send("Test.echo", id, fmt.Sprint(id))
			}
		}()
	}
	wg.Wait()
	var ids []int
	for s := 0; s < senders; s++ {
		for i := 0; i < each; i++ {
			ids = append(ids, s*1000+i)
		}
	}
	got := g.collect(ids...)
	var ok, full, panicked int
	for id, a := range got {
		switch a.Code {
		case 0:
			ok++
			if string(a.Result) != `{"n":`+id+`}` {
				t.Fatalf("request %s got another's result: %s", id, a.Body)
			}
		case 1100:
			full++
		case -32603:
			panicked++
			if a.Msg != "Internal JSON-RPC error: {'reason': 'panic in worker: injected fault: *router.job in worker'}" {
				t.Fatalf("request %s: %s", id, a.Body)
			}
		default:
			t.Fatalf("request %s: %s", id, a.Body)
		}
	}
	t.Logf("%d served, %d panicked, %d refused with 1100", ok, panicked, full)
	if hits := faults.Hits(); hits != panics || panicked != panics {
		t.Fatalf("%d panics injected, %d requests answered with a panic; want %d of each", hits, panicked, panics)
	}
	g.awaitStats("an idle pool", func(s *PoolStats) bool {
		return s.Workers == workers && s.Idle == workers && s.InFlight == 0 && s.Queued == 0
	})
	g.noMoreResponses()
}
