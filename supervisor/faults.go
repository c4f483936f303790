package supervisor

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Action is what an injected fault does to a message.
type Action int

const (
	// Panic panics in the actor's turn, as a bug would.
	Panic Action = iota
	// Delay holds the actor's turn, as a hung libvirt call would.
	Delay
	// Drop swallows the message before the actor sees it.
	Drop
)

func (a Action) String() string {
	switch a {
	case Panic:
		return "panic"
	case Delay:
		return "delay"
	case Drop:
		return "drop"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// Rule picks messages by actor kind and message type and says what to do to them.
type Rule struct {
	Kind    string // actor kind given to Middleware ("worker", "vm", ...); "" matches any
	Message string // message type as %T prints it ("*router.Job"); "" matches any user message
	Action  Action //
	Delay   time.Duration
	Chance  float64 // probability per matching message; 0 means always
	Times   int64   // how many times the rule may fire; 0 means unlimited
	// Until, when set, ends a Delay early once closed (lets a test release a "hung" actor).
	Until <-chan struct{}
	// Fired, when set, gets a value each time the rule fires (sent without blocking), so a test
	// knows the fault is in effect instead of guessing with a sleep.
	Fired chan<- string

	fired *atomic.Int64
}

// Injector holds the fault rules in force. Rules are switched at run time; the middleware reads
// them without locks. Its random source is seeded so a failing run can be replayed.
type Injector struct {
	rules atomic.Pointer[[]Rule]
	seed  uint64
	mu    sync.Mutex
	rng   *rand.Rand
	hits  atomic.Int64
	// byKind counts hits per actor kind and action, under mu: a test proves each fault it planned
	// really fired, and compares the count with the answers it caused.
	byKind map[hitKey]int64
}

type hitKey struct {
	kind   string
	action Action
}

// NewInjector makes an injector with no rules.
func NewInjector(seed uint64) *Injector {
	in := &Injector{seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), byKind: map[hitKey]int64{}}
	in.rules.Store(&[]Rule{})
	return in
}

// Seed is the seed the injector was made with.
func (in *Injector) Seed() uint64 { return in.seed }

// Hits is how many faults have been injected.
func (in *Injector) Hits() int64 { return in.hits.Load() }

// HitsOf is how many faults of action a have been injected into actors of the given kind ("" for
// any kind).
func (in *Injector) HitsOf(kind string, a Action) int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	if kind != "" {
		return in.byKind[hitKey{kind, a}]
	}
	var n int64
	for k, v := range in.byKind {
		if k.action == a {
			n += v
		}
	}
	return n
}

// InjectedPanic is the value a Panic rule panics with, for a message of type msgType (as %T
// prints it) in an actor of the given kind: a test can tell the answer it causes from others.
func InjectedPanic(kind, msgType string) string {
	return fmt.Sprintf("injected fault: %s in %s", msgType, kind)
}

// Set replaces the rules in force.
func (in *Injector) Set(rules ...Rule) {
	rs := make([]Rule, len(rules))
	for i, r := range rules {
		r.fired = new(atomic.Int64)
		rs[i] = r
	}
	in.rules.Store(&rs)
}

// Clear removes every rule.
func (in *Injector) Clear() { in.Set() }

func (in *Injector) chance(p float64) bool {
	if p <= 0 {
		return true
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.rng.Float64() < p
}

func (in *Injector) match(kind string, msg any) *Rule {
	rs := *in.rules.Load()
	if len(rs) == 0 {
		return nil
	}
	switch msg.(type) {
	case actor.SystemMessage, actor.AutoReceiveMessage:
		return nil
	}
	name := fmt.Sprintf("%T", msg)
	for i := range rs {
		r := &rs[i]
		if (r.Kind != "" && r.Kind != kind) || (r.Message != "" && r.Message != name) {
			continue
		}
		if !in.chance(r.Chance) {
			continue
		}
		if r.Times > 0 && r.fired.Add(1) > r.Times {
			continue
		}
		in.hits.Add(1)
		in.mu.Lock()
		in.byKind[hitKey{kind, r.Action}]++
		in.mu.Unlock()
		return r
	}
	return nil
}

// Middleware injects the rules into the turns of actors of the given kind. A nil injector gives
// a middleware that does nothing, so production wiring can call it unconditionally.
func (in *Injector) Middleware(kind string) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		if in == nil {
			return next
		}
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if r := in.match(kind, env.Message); r != nil {
				if r.Fired != nil {
					select {
					case r.Fired <- fmt.Sprintf("%T", env.Message):
					default:
					}
				}
				switch r.Action {
				case Panic:
					panic(InjectedPanic(kind, fmt.Sprintf("%T", env.Message)))
				case Delay:
					if r.Until != nil {
						select {
						case <-time.After(r.Delay):
						case <-r.Until:
						}
					} else {
						time.Sleep(r.Delay)
					}
				case Drop:
					return
				}
			}
			next(c, env)
		}
	}
}
