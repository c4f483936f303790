package supervisor

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Messages the injector tests send. %T prints them as "*supervisor.ping" and so on.
type (
	ping struct{ n int }
	pong struct{ n int }
	// mark is never named by a rule; once the actor sees it, it has seen (or had dropped)
	// everything sent before it, so "not delivered" needs no waiting.
	mark       struct{ n int }
	spawnChild struct{}
	stopChild  struct{}
	crash      struct{}
)

// target records every message that reaches its Receive: user messages as "ping 1", lifecycle
// messages by type.
type target struct {
	seen  chan string
	child *actor.PID
}

func (a *target) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *ping:
		a.seen <- fmt.Sprintf("ping %d", m.n)
	case *pong:
		a.seen <- fmt.Sprintf("pong %d", m.n)
	case *mark:
		a.seen <- fmt.Sprintf("mark %d", m.n)
	case *spawnChild:
		a.child = c.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	case *stopChild:
		c.Stop(a.child)
	case *crash:
		panic("crash")
	case *actor.Started:
		a.seen <- "Started"
	case *actor.Terminated:
		a.seen <- "Terminated"
	case *actor.Restarting:
		a.seen <- "Restarting"
	case *actor.Stopping:
		a.seen <- "Stopping"
	case *actor.Stopped:
		a.seen <- "Stopped"
	}
}

type injRig struct {
	t    *testing.T
	sys  *actor.ActorSystem
	pid  *actor.PID
	seen chan string
	n    int
}

// spawnTarget starts a target whose turns go through in.Middleware(kind).
func spawnTarget(t *testing.T, in *Injector, kind string) *injRig {
	t.Helper()
	g := &injRig{t: t, sys: newSystem(), seen: make(chan string, 1024)}
	g.pid = g.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &target{seen: g.seen}
	}, actor.WithReceiverMiddleware(in.Middleware(kind))))
	g.expect("Started")
	return g
}

func (g *injRig) stop() {
	g.t.Helper()
	if err := g.sys.Root.PoisonFuture(g.pid).Wait(); err != nil {
		g.t.Fatalf("stopping the target: %v", err)
	}
}

func (g *injRig) next() string {
	g.t.Helper()
	select {
	case s := <-g.seen:
		return s
	case <-time.After(wait):
		g.t.Fatal("the target received nothing")
	}
	return ""
}

func (g *injRig) expect(want ...string) {
	g.t.Helper()
	for _, w := range want {
		if got := g.next(); got != w {
			g.t.Fatalf("target received %q, want %q", got, w)
		}
	}
}

// through sends a mark and returns everything the target received before it.
func (g *injRig) through() []string {
	g.t.Helper()
	g.n++
	want := fmt.Sprintf("mark %d", g.n)
	g.sys.Root.Send(g.pid, &mark{n: g.n})
	var out []string
	for {
		s := g.next()
		if s == want {
			return out
		}
		out = append(out, s)
	}
}

func TestInjectorRules(t *testing.T) {
	tests := []struct {
		name  string
		kind  string // the middleware's kind
		rules []Rule
		send  []any
		want  []string // what reaches the actor
		hits  int64
	}{
		{"no rules", "worker", nil,
			[]any{&ping{1}, &pong{2}}, []string{"ping 1", "pong 2"}, 0},
		{"message type matches", "worker", []Rule{{Message: "*supervisor.ping", Action: Drop}},
			[]any{&ping{1}, &pong{2}, &ping{3}}, []string{"pong 2"}, 2},
		{"message type must be exact", "worker", []Rule{{Message: "supervisor.ping", Action: Drop}, {Message: "*supervisor.pin", Action: Drop}},
			[]any{&ping{1}}, []string{"ping 1"}, 0},
		{"kind matches", "worker", []Rule{{Kind: "worker", Message: "*supervisor.ping", Action: Drop}},
			[]any{&ping{1}, &pong{2}}, []string{"pong 2"}, 1},
		{"other kind does not match", "worker", []Rule{{Kind: "vm", Action: Drop}},
			[]any{&ping{1}, &pong{2}}, []string{"ping 1", "pong 2"}, 0},
		{"empty kind and message match any user message", "vm", []Rule{{Action: Drop, Times: 3}},
			[]any{&ping{1}, &pong{2}, &ping{3}, &pong{4}}, []string{"pong 4"}, 3},
		{"Times limits firing", "worker", []Rule{{Message: "*supervisor.ping", Action: Drop, Times: 2}},
			[]any{&ping{1}, &ping{2}, &pong{3}, &ping{4}, &ping{5}}, []string{"pong 3", "ping 4", "ping 5"}, 2},
		{"Chance 0 means always", "worker", []Rule{{Message: "*supervisor.ping", Action: Drop, Chance: 0}},
			[]any{&ping{1}, &ping{2}, &ping{3}, &ping{4}, &ping{5}, &ping{6}}, nil, 6},
		{"Chance 1 fires always", "worker", []Rule{{Message: "*supervisor.ping", Action: Drop, Chance: 1}},
			[]any{&ping{1}, &ping{2}, &pong{3}}, []string{"pong 3"}, 2},
		{"the first rule that fires wins", "worker", []Rule{
			{Message: "*supervisor.ping", Action: Drop, Times: 1},
			{Message: "*supervisor.ping", Action: Delay, Delay: 0, Times: 1},
			{Message: "*supervisor.ping", Action: Drop, Times: 1},
		}, []any{&ping{1}, &ping{2}, &ping{3}, &ping{4}}, []string{"ping 2", "ping 4"}, 3},
		{"Delay delivers after the delay", "worker", []Rule{{Message: "*supervisor.pong", Action: Delay, Delay: time.Millisecond}},
			[]any{&ping{1}, &pong{2}, &ping{3}}, []string{"ping 1", "pong 2", "ping 3"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := NewInjector(1)
			in.Set(tt.rules...)
			g := spawnTarget(t, in, tt.kind)
			defer g.stop()
			for _, m := range tt.send {
				g.sys.Root.Send(g.pid, m)
			}
			if got := g.through(); !slices.Equal(got, tt.want) {
				t.Fatalf("target received %q, want %q", got, tt.want)
			}
			if in.Hits() != tt.hits {
				t.Fatalf("Hits() = %d, want %d", in.Hits(), tt.hits)
			}
		})
	}
}

// A nil injector's middleware passes everything through (production wiring calls it always).
func TestNilInjectorMiddleware(t *testing.T) {
	var in *Injector
	g := spawnTarget(t, in, "worker")
	defer g.stop()
	g.sys.Root.Send(g.pid, &ping{1})
	if got := g.through(); !slices.Equal(got, []string{"ping 1"}) {
		t.Fatalf("got %q", got)
	}
}

// Fired is told each time a rule fires, with the message type, and never blocks the actor.
func TestInjectorFired(t *testing.T) {
	fired := make(chan string, 16)
	unread := make(chan string) // nobody reads it: the actor must not block on it
	in := NewInjector(1)
	in.Set(
		Rule{Message: "*supervisor.ping", Action: Drop, Fired: fired},
		Rule{Message: "*supervisor.pong", Action: Drop, Fired: unread},
	)
	g := spawnTarget(t, in, "worker")
	defer g.stop()
	for i := 0; i < 3; i++ {
		g.sys.Root.Send(g.pid, &ping{i})
		g.sys.Root.Send(g.pid, &pong{i})
	}
	if got := g.through(); len(got) != 0 {
		t.Fatalf("dropped messages arrived: %q", got)
	}
	close(fired)
	var names []string
	for n := range fired {
		names = append(names, n)
	}
	if !slices.Equal(names, []string{"*supervisor.ping", "*supervisor.ping", "*supervisor.ping"}) {
		t.Fatalf("Fired got %q", names)
	}
}

// A Delay whose Until is closed ends at once, long before its Delay.
func TestInjectorDelayUntilReleasedEarly(t *testing.T) {
	release := make(chan struct{})
	fired := make(chan string, 1)
	in := NewInjector(1)
	in.Set(Rule{Message: "*supervisor.ping", Action: Delay, Delay: time.Hour, Until: release, Fired: fired, Times: 1})
	g := spawnTarget(t, in, "worker")
	defer g.stop()
	g.sys.Root.Send(g.pid, &ping{1})
	g.sys.Root.Send(g.pid, &pong{2})
	select {
	case <-fired:
	case <-time.After(wait):
		t.Fatal("the delay never started")
	}
	select {
	case s := <-g.seen:
		t.Fatalf("%q arrived while the actor's turn was held", s)
	default:
	}
	close(release)
	// Held for an hour unless released: arriving within the wait proves Until ended it.
	g.expect("ping 1", "pong 2")
}

// A Panic fault is a real panic: the actor is restarted by its supervisor, the message is lost,
// the next one is handled by the new incarnation.
func TestInjectorPanic(t *testing.T) {
	fired := make(chan string, 1)
	in := NewInjector(1)
	in.Set(Rule{Kind: "worker", Message: "*supervisor.ping", Action: Panic, Times: 1, Fired: fired})
	g := spawnTarget(t, in, "worker")
	defer g.stop()
	g.sys.Root.Send(g.pid, &ping{1})
	g.sys.Root.Send(g.pid, &ping{2})
	g.expect("Restarting", "Started", "ping 2")
	if got := <-fired; got != "*supervisor.ping" {
		t.Fatalf("Fired %q", got)
	}
	if in.Hits() != 1 {
		t.Fatalf("Hits() = %d", in.Hits())
	}
}

// Clear removes every rule; Set replaces them, with fresh Times budgets.
func TestInjectorClearAndSet(t *testing.T) {
	in := NewInjector(1)
	in.Set(Rule{Message: "*supervisor.ping", Action: Drop})
	g := spawnTarget(t, in, "worker")
	defer g.stop()
	g.sys.Root.Send(g.pid, &ping{1})
	if got := g.through(); len(got) != 0 {
		t.Fatalf("got %q before Clear", got)
	}
	in.Clear()
	g.sys.Root.Send(g.pid, &ping{2})
	if got := g.through(); !slices.Equal(got, []string{"ping 2"}) {
		t.Fatalf("got %q after Clear", got)
	}
	rule := Rule{Message: "*supervisor.ping", Action: Drop, Times: 1}
	for round := 0; round < 2; round++ {
		in.Set(rule)
		g.sys.Root.Send(g.pid, &ping{10})
		g.sys.Root.Send(g.pid, &ping{11})
		if got := g.through(); !slices.Equal(got, []string{"ping 11"}) {
			t.Fatalf("round %d: got %q", round, got)
		}
	}
}

// Lifecycle and system messages are never matched, not by a catch-all rule and not by a rule
// naming their type: an actor under such rules starts, restarts, sees its child terminate and
// stops normally, and nothing fires.
func TestInjectorNeverMatchesSystemMessages(t *testing.T) {
	names := []string{"*actor.Started", "*actor.Stopping", "*actor.Stopped", "*actor.Restarting",
		"*actor.PoisonPill", "*actor.Terminated", "*actor.Stop", "*actor.Watch", "*actor.Unwatch",
		"*actor.Failure", "*actor.Restart"}
	t.Run("match", func(t *testing.T) {
		in := NewInjector(1)
		rules := []Rule{{Action: Panic}}
		for _, n := range names {
			rules = append(rules, Rule{Message: n, Action: Panic})
		}
		in.Set(rules...)
		msgs := []any{&actor.Started{}, &actor.Stopping{}, &actor.Stopped{}, &actor.Restarting{},
			&actor.PoisonPill{}, &actor.Terminated{}, &actor.Stop{}, &actor.Watch{}, &actor.Unwatch{},
			&actor.Failure{}, &actor.Restart{}}
		for _, m := range msgs {
			if r := in.match("worker", m); r != nil {
				t.Errorf("%T matched %+v", m, *r)
			}
		}
		if in.Hits() != 0 {
			t.Fatalf("Hits() = %d", in.Hits())
		}
		if in.match("worker", &ping{}) == nil {
			t.Fatal("the catch-all rule does not match a user message")
		}
	})
	t.Run("named types, real actor", func(t *testing.T) {
		fired := make(chan string, 16)
		in := NewInjector(1)
		var rules []Rule
		for _, n := range names {
			rules = append(rules, Rule{Message: n, Action: Panic, Fired: fired})
		}
		in.Set(rules...)
		g := spawnTarget(t, in, "worker")
		g.sys.Root.Send(g.pid, &spawnChild{})
		g.sys.Root.Send(g.pid, &stopChild{})
		g.expect("Terminated")
		g.sys.Root.Send(g.pid, &crash{})
		g.expect("Restarting", "Started")
		g.stop()
		g.expect("Stopping", "Stopped")
		if in.Hits() != 0 {
			t.Fatalf("Hits() = %d", in.Hits())
		}
		select {
		case n := <-fired:
			t.Fatalf("fired on %s", n)
		default:
		}
	})
	t.Run("catch-all drop, real actor", func(t *testing.T) {
		in := NewInjector(1)
		in.Set(Rule{Action: Drop})
		g := spawnTarget(t, in, "worker") // its Started arrived
		g.sys.Root.Send(g.pid, &ping{1})
		g.stop() // PoisonPill is not dropped, or this times out
		g.expect("Stopping", "Stopped")
		if in.Hits() != 1 {
			t.Fatalf("Hits() = %d, want 1 (the ping)", in.Hits())
		}
	})
}

// The same seed gives the same decisions for Chance rules, whatever else the actor receives; a
// different seed gives different ones. A failing chaos run can be replayed from its seed.
func TestInjectorSeedReplays(t *testing.T) {
	const n = 300
	rule := Rule{Message: "*supervisor.ping", Action: Drop, Chance: 0.5}
	decisions := func(seed uint64) []bool {
		in := NewInjector(seed)
		if in.Seed() != seed {
			t.Fatalf("Seed() = %d, want %d", in.Seed(), seed)
		}
		in.Set(rule)
		out := make([]bool, n)
		for i := range out {
			out[i] = in.match("worker", &ping{i}) != nil
		}
		return out
	}
	a, b, c := decisions(7), decisions(7), decisions(8)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different decisions")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same decisions")
	}
	if !slices.Contains(a, true) || !slices.Contains(a, false) {
		t.Fatal("a Chance 0.5 rule always or never fired")
	}

	// Through real actors: the pings that get through are the ones match predicts, also when
	// other messages (which draw nothing) are interleaved.
	for _, interleave := range []bool{false, true} {
		t.Run(fmt.Sprintf("interleaved=%v", interleave), func(t *testing.T) {
			in := NewInjector(7)
			in.Set(rule)
			g := spawnTarget(t, in, "worker")
			defer g.stop()
			var want []string
			for i := 0; i < n; i++ {
				g.sys.Root.Send(g.pid, &ping{i})
				if !a[i] {
					want = append(want, fmt.Sprintf("ping %d", i))
				}
				if interleave {
					g.sys.Root.Send(g.pid, &pong{i})
					want = append(want, fmt.Sprintf("pong %d", i))
				}
			}
			if got := g.through(); !slices.Equal(got, want) {
				t.Fatalf("seed 7 let through\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// HitsOf counts by actor kind and action; a kind's count does not leak into another's.
func TestInjectorHitsOf(t *testing.T) {
	in := NewInjector(1)
	in.Set(
		Rule{Kind: "worker", Message: "*supervisor.ping", Action: Drop, Times: 2},
		Rule{Kind: "worker", Message: "*supervisor.pong", Action: Delay, Delay: 0},
		Rule{Kind: "vm", Action: Drop},
	)
	g := spawnTarget(t, in, "worker")
	defer g.stop()
	for _, m := range []any{&ping{1}, &pong{2}, &ping{3}, &ping{4}, &pong{5}} {
		g.sys.Root.Send(g.pid, m)
	}
	if got, want := g.through(), []string{"pong 2", "ping 4", "pong 5"}; !slices.Equal(got, want) {
		t.Fatalf("target received %q, want %q", got, want)
	}
	for _, c := range []struct {
		kind   string
		action Action
		want   int64
	}{
		{"worker", Drop, 2}, {"worker", Delay, 2}, {"worker", Panic, 0},
		{"vm", Drop, 0}, {"", Drop, 2}, {"", Delay, 2},
	} {
		if got := in.HitsOf(c.kind, c.action); got != c.want {
			t.Errorf("HitsOf(%q, %s) = %d, want %d", c.kind, c.action, got, c.want)
		}
	}
}

// A Panic rule panics with InjectedPanic's text, so a test can predict the answer it causes.
func TestInjectedPanicText(t *testing.T) {
	in := NewInjector(1)
	in.Set(Rule{Kind: "worker", Action: Panic})
	mw := in.Middleware("worker")(func(actor.ReceiverContext, *actor.MessageEnvelope) {
		t.Error("the message reached the actor")
	})
	defer func() {
		if p := recover(); p != InjectedPanic("worker", "*supervisor.ping") || p != "injected fault: *supervisor.ping in worker" {
			t.Fatalf("panicked with %v", p)
		}
	}()
	mw(nil, &actor.MessageEnvelope{Message: &ping{1}})
}
