package system

// DESIGN: dispatcher
//
// Owns: a few parked goroutines, for the life of the process.
// Takes: mailbox turns (Schedule), from every actor.
// Sends: nothing; a turn that finds every parked goroutine busy runs on a fresh one.

import (
	"github.com/asynkron/protoactor-go/actor"
)

// throughput is how many messages an actor handles before yielding its goroutine; protoactor's
// own default.
const throughput = 300

// pooled runs mailbox turns on a few parked goroutines instead of starting one per turn:
// protoactor's default dispatcher starts a goroutine every time an idle mailbox gets a message,
// which on the request path (several hops per request) costs about a fifth of the CPU in stack
// growth. When every parked goroutine is busy (a worker blocked in libvirt, say) a turn falls
// back to a fresh goroutine, so a stuck actor never delays another.
type pooled struct {
	work chan func()
}

// NewDispatcher starts a dispatcher with n parked goroutines. They live as long as the process:
// the dispatcher is shared by every actor system the process makes.
func NewDispatcher(n int) actor.Dispatcher {
	d := &pooled{work: make(chan func())}
	for i := 0; i < n; i++ {
		go d.loop()
	}
	return d
}

func (d *pooled) loop() {
	for fn := range d.work {
		fn()
	}
}

func (d *pooled) Schedule(fn func()) {
	select {
	case d.work <- fn:
	default:
		go fn()
	}
}

func (d *pooled) Throughput() int { return throughput }

var shared = NewDispatcher(4)

// Dispatcher is the process-wide pooled dispatcher.
func Dispatcher() actor.Dispatcher { return shared }
