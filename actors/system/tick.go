package system

// DESIGN: ticks
//
// Owns: one goroutine per Tick call (its ticker), ended by the caller's stop channel; the pending
// mark lives in the tick message itself (Coalesced).
// Takes: nothing; it is not an actor.
// Sends: the one tick message to its actor, only when the previous send has been taken: an actor
// has at most one tick in its mailbox, however long it is blocked.

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Coalesced makes a message a coalesced tick: embed it in the tick's type. Tick sends the message
// only when the previous one has been taken, so an actor that is blocked or slow has at most one
// tick waiting in its mailbox however many intervals pass; the next tick after it catches up
// does the work of all the missed ones (a sample, a deadline scan, a heart-beat are all "now").
type Coalesced struct{ pending atomic.Bool }

// Take marks the tick as received, so the next interval sends it again. The receiving actor
// calls it as the first thing it does with the message, before any middleware that may panic on
// it or drop it: a tick that is never taken is never sent again.
func (c *Coalesced) Take() { c.pending.Store(false) }

// TakeTicks is receiver middleware that takes a tick before the rest of the chain: put it in
// front of middleware that may panic on a message or drop it (fault injection). Taking a tick
// twice is harmless, so the actor's own Take stays for when it runs without this middleware.
func TakeTicks(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		if t, ok := env.Message.(TickMessage); ok {
			t.Take()
		}
		next(c, env)
	}
}

func (c *Coalesced) offer() bool { return c.pending.CompareAndSwap(false, true) }

// TickMessage is a message that embeds Coalesced.
type TickMessage interface {
	Take()
	offer() bool
}

// Sender is what ticks are sent through (an actor.RootContext).
type Sender interface {
	Send(pid *actor.PID, message interface{})
}

// Tick sends msg to pid every interval until stop is closed, skipping the intervals in which the
// previous msg is still untaken. An actor must never sleep in its Receive; periodic work is a
// message from a timer outside it. msg is the same value every time: the pending mark lives in it.
func Tick(root Sender, pid *actor.PID, every time.Duration, msg TickMessage, stop <-chan struct{}) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	go func() {
		defer t.Stop()
		tick(root, pid, t.C, msg, stop)
	}()
}

func tick(root Sender, pid *actor.PID, c <-chan time.Time, msg TickMessage, stop <-chan struct{}) {
	for {
		select {
		case <-c:
			if msg.offer() {
				root.Send(pid, msg)
			}
		case <-stop:
			return
		}
	}
}
