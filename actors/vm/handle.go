package vm

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Handle is what a worker needs to reach a VM without asking the registry: its actor, and
// whether that actor is stuck in libvirt or has too much queued already. The VM actor writes
// the counters; everyone else only reads them.
type Handle struct {
	ID  string
	PID *actor.PID

	busySince atomic.Int64           // unix ns when the current libvirt call began; 0 when none
	busyOp    atomic.Pointer[string] // the turn's message, as turnLabel names it
	pending   atomic.Int32           // verbs sent and not yet taken up
	dead      atomic.Bool            // the actor was stopped after failing past its restart budget
	gone      atomic.Bool            // the VM was removed: no verb is taken for it any more
	// forced counts the VM's armed forced-shutdown timers: at most one, none once the VM is
	// Down. Its actor keeps it; it shows, to tests and to anyone reading the handle, that a
	// timer is not left running for a VM that no longer needs it.
	forced atomic.Int32
}

// ForcedShutdownsArmed reports whether a forced-shutdown deadline is pending for the VM.
func (h *Handle) ForcedShutdownsArmed() int { return int(h.forced.Load()) }

// Dead reports a VM whose actor its supervisor gave up on: it is reported not responding and
// refuses verbs, while the agent carries on.
func (h *Handle) Dead() bool { return h.dead.Load() }

// MaxPending is how many verbs may wait for one VM actor. A VM is a serial thing: the engine
// never needs more, and a stuck VM must not collect requests.
const MaxPending = 16

func (h *Handle) enter(op *string) {
	h.busyOp.Store(op)
	h.busySince.Store(time.Now().UnixNano())
}

func (h *Handle) leave() { h.busySince.Store(0) }

// busy marks every turn of the VM actor on its handle. A turn is where libvirt calls happen, so
// a turn that does not end is a VM stuck in libvirt (or, in tests, a turn held by an injected
// delay): it shows as Stuck, the VM reports monitorResponse "-1", and new verbs fail fast.
func busy(h *Handle) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			h.enter(turnLabel(env.Message))
			defer h.leave()
			next(c, env)
		}
	}
}

// Stuck reports the libvirt call the VM actor has been inside for longer than after.
func (h *Handle) Stuck(now time.Time, after time.Duration) (op string, d time.Duration, stuck bool) {
	since := h.busySince.Load()
	if since == 0 {
		return "", 0, false
	}
	d = now.Sub(time.Unix(0, since))
	if d < after {
		return "", d, false
	}
	if p := h.busyOp.Load(); p != nil {
		op = *p
	}
	return op, d, true
}

// Labels of the VM actor's turns, as %T prints their messages. They are variables so a turn
// stores a pointer to one: naming every turn with fmt costs an allocation and a reflection
// walk, on every verb and every event.
var (
	labelEvent         = "*vm.libvirtEvent"
	labelDestroy       = "*vm.Destroy"
	labelPause         = "*vm.Pause"
	labelCont          = "*vm.Cont"
	labelReset         = "*vm.Reset"
	labelShutdown      = "*vm.Shutdown"
	labelShutdownTimer = "*vm.shutdownTimedOut"
	labelResync        = "*vm.resync"
	labelDestroyReboot = "*vm.SetDestroyOnRebootVerb"
	labelAgentTick     = "*vm.agentTick"
	labelAgentAnswers  = "*vm.agentAnswers"
)

func turnLabel(m any) *string {
	switch m.(type) {
	case *libvirtEvent:
		return &labelEvent
	case *Destroy:
		return &labelDestroy
	case *Pause:
		return &labelPause
	case *Cont:
		return &labelCont
	case *Reset:
		return &labelReset
	case *Shutdown:
		return &labelShutdown
	case *shutdownTimedOut:
		return &labelShutdownTimer
	case *resync:
		return &labelResync
	case *SetDestroyOnRebootVerb:
		return &labelDestroyReboot
	case *agentTick:
		return &labelAgentTick
	case *agentAnswers:
		return &labelAgentAnswers
	}
	// Lifecycle turns (start, restart, stop) are rare.
	s := fmt.Sprintf("%T", m)
	return &s
}

// Reserve takes a place in the VM actor's queue; false when it is full, or the VM is Gone.
func (h *Handle) Reserve() bool {
	// pending is raised before gone is read, and the actor sets gone before it reads pending
	// (remove): either the actor sees this verb coming and waits for it, or this sees gone.
	if h.pending.Add(1) > MaxPending || h.gone.Load() {
		h.pending.Add(-1)
		return false
	}
	return true
}

// Gone reports a VM removed after the handle was looked up: it does not exist any more.
func (h *Handle) Gone() bool { return h.gone.Load() }

func (h *Handle) taken() { h.pending.Add(-1) }

// Index maps VM ids to handles. Only the registry writes it, by publishing a new map; readers
// never lock.
type Index struct {
	m atomic.Pointer[map[string]*Handle]
}

// NewIndex is an empty index.
func NewIndex() *Index {
	ix := &Index{}
	ix.m.Store(&map[string]*Handle{})
	return ix
}

// Lookup finds a VM's handle.
func (ix *Index) Lookup(id string) *Handle { return (*ix.m.Load())[id] }

// Len is the number of VMs.
func (ix *Index) Len() int { return len(*ix.m.Load()) }

func (ix *Index) with(id string, h *Handle) {
	old := *ix.m.Load()
	m := make(map[string]*Handle, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	if h == nil {
		delete(m, id)
	} else {
		m[id] = h
	}
	ix.m.Store(&m)
}
