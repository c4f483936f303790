package system

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"
)

type testTick struct{ Coalesced }

type blockMsg struct{}

type countMsg struct{}

// An actor blocked in its Receive while many intervals pass finds one tick in its mailbox, not
// one per interval; once it has taken that tick, the next interval sends again.
func TestTickCoalescesBehindABlockedActor(t *testing.T) {
	sys := New(zerolog.Nop())
	entered, release := make(chan struct{}), make(chan struct{})
	counts := make(chan int, 4)
	ticks := 0
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *blockMsg:
			close(entered)
			<-release
		case *testTick:
			m.Take()
			ticks++
		case *countMsg:
			counts <- ticks
			ticks = 0
		}
	}, actor.WithDispatcher(Dispatcher())))
	sys.Root.Send(pid, &blockMsg{})
	<-entered

	const intervals = 100
	clock, stop, done := make(chan time.Time), make(chan struct{}), make(chan struct{})
	msg := &testTick{}
	go func() {
		defer close(done)
		tick(sys.Root, pid, clock, msg, stop)
	}()
	// The clock is unbuffered: each send returns only once the ticker has taken the interval,
	// and the ticker handles an interval completely before it takes the next.
	for i := 0; i < intervals; i++ {
		clock <- time.Now()
	}
	close(stop)
	<-done
	// Everything the ticker sent is in the mailbox ahead of countMsg.
	sys.Root.Send(pid, &countMsg{})
	close(release)
	if n := await(t, counts); n != 1 {
		t.Fatalf("%d ticks waited behind the blocked actor over %d intervals, want 1", n, intervals)
	}

	// Taken, the tick is sent again on the next interval.
	stop, done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick(sys.Root, pid, clock, msg, stop)
	}()
	clock <- time.Now()
	close(stop)
	<-done
	sys.Root.Send(pid, &countMsg{})
	if n := await(t, counts); n != 1 {
		t.Fatalf("%d ticks after the first was taken, want 1", n)
	}
	if err := sys.Root.PoisonFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
}

func await(t *testing.T, ch <-chan int) int {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-time.After(wait):
		t.Fatal("the actor never answered")
	}
	return 0
}

// countingSender counts the ticks sent, then sends them on.
type countingSender struct {
	root *actor.RootContext
	sent chan struct{}
}

func (s countingSender) Send(pid *actor.PID, msg interface{}) {
	s.sent <- struct{}{}
	s.root.Send(pid, msg)
}

// A tick that middleware drops before the actor sees it (an injected fault) is still taken by
// TakeTicks in front of it, so the next interval sends again: ticks never stop.
func TestTakeTicksBeforeAMiddlewareThatDrops(t *testing.T) {
	sys := New(zerolog.Nop())
	drop := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if _, ok := env.Message.(*testTick); !ok {
				next(c, env)
			}
		}
	}
	counts := make(chan int, 1)
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*countMsg); ok {
			counts <- 0
		}
	}, actor.WithDispatcher(Dispatcher()), actor.WithReceiverMiddleware(TakeTicks, drop)))
	s := countingSender{root: sys.Root, sent: make(chan struct{}, 8)}
	clock, stop, done := make(chan time.Time), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick(s, pid, clock, &testTick{}, stop)
	}()
	for i := 0; i < 3; i++ {
		clock <- time.Now()
		select {
		case <-s.sent:
		case <-time.After(wait):
			t.Fatalf("interval %d sent no tick: the dropped one was never taken", i+1)
		}
		// The actor has handled (dropped) the tick once it answers a message sent after it.
		sys.Root.Send(pid, &countMsg{})
		await(t, counts)
	}
	close(stop)
	<-done
	if err := sys.Root.PoisonFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
}
