package router

import (
	"sync"

	"github.com/hostagent/hostagent/actors/reply"
)

// Admission bounds the requests in flight. The router admits; whoever answers a request releases
// it (through the reply's OnDone), so a slot is held exactly as long as the client waits.
type Admission struct {
	limit int

	mu       sync.Mutex
	live     map[*reply.Reply]struct{}
	draining bool
	drained  chan struct{}
}

// NewAdmission admits at most limit requests at a time.
func NewAdmission(limit int) *Admission {
	return &Admission{limit: limit, live: make(map[*reply.Reply]struct{}, limit), drained: make(chan struct{})}
}

// Admit takes a slot for r, or reports that none is free (or that the agent is draining).
func (a *Admission) Admit(r *reply.Reply) bool {
	a.mu.Lock()
	if a.draining || len(a.live) >= a.limit {
		a.mu.Unlock()
		return false
	}
	a.live[r] = struct{}{}
	a.mu.Unlock()
	r.OnDone(func() { a.release(r) })
	return true
}

func (a *Admission) release(r *reply.Reply) {
	a.mu.Lock()
	delete(a.live, r)
	if a.draining && len(a.live) == 0 {
		select {
		case <-a.drained:
		default:
			close(a.drained)
		}
	}
	a.mu.Unlock()
}

// InFlight is the number of admitted, unanswered requests.
func (a *Admission) InFlight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.live)
}

// Draining reports whether Drain was called.
func (a *Admission) Draining() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.draining
}

// Drain stops admitting; the channel closes once every admitted request is answered.
func (a *Admission) Drain() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.draining {
		a.draining = true
		if len(a.live) == 0 {
			close(a.drained)
		}
	}
	return a.drained
}

// AnswerAll answers every request still in flight with the given error: the last resort of a
// shutdown whose grace period ran out. Nothing is left unanswered.
func (a *Admission) AnswerAll(code int, message string) int {
	a.mu.Lock()
	rs := make([]*reply.Reply, 0, len(a.live))
	for r := range a.live {
		rs = append(rs, r)
	}
	a.mu.Unlock()
	n := 0
	for _, r := range rs {
		if r.Error(code, message) {
			n++
		}
	}
	return n
}
