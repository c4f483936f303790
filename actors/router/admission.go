package router

// DESIGN: admission
//
// Owns: the slots of the requests in flight (a fixed array: the bound), each with its reply and
// deadline, and the draining flag; under its own lock, taken briefly by whoever calls it.
// Taken by: the Gate (admit), every answer (release, through the request's reply hook), the
// router's tick (overdue), shutdown (Drain, AnswerAll). It sends nothing.

import (
	"sync"
	"time"

	"github.com/hostagent/hostagent/reply"
)

// Admission bounds the requests in flight. The gate admits; whoever answers a request releases
// it (through a hook on its reply), so a slot is held exactly as long as the client waits. The
// slots also carry the requests' deadlines, which the router checks on its tick.
type Admission struct {
	mu       sync.Mutex
	slots    []slot // fixed at the limit; a free slot has no reply
	free     []int32
	draining bool
	drained  chan struct{}
}

type slot struct {
	reply *reply.Reply
	req   *Request      // nil when admitted through Admit
	due   time.Duration // system.Mono(); zero: no deadline, or its expiry is already under way
}

// NewAdmission admits at most limit requests at a time.
func NewAdmission(limit int) *Admission {
	a := &Admission{slots: make([]slot, limit), free: make([]int32, limit), drained: make(chan struct{})}
	for i := range a.free {
		a.free[i] = int32(limit - 1 - i)
	}
	return a
}

// admit takes a slot for req, due at the given time; req's hook releases it.
func (a *Admission) admit(req *Request, due time.Duration) bool {
	i, ok := a.take(req.Reply, req, due)
	if ok {
		req.adm, req.slot = a, i
		req.Reply.AddHook(req)
	}
	return ok
}

func (a *Admission) take(r *reply.Reply, req *Request, due time.Duration) (int32, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.free)
	if a.draining || n == 0 {
		return 0, false
	}
	i := a.free[n-1]
	a.free = a.free[:n-1]
	a.slots[i] = slot{reply: r, req: req, due: due}
	return i, true
}

func (a *Admission) release(i int32) {
	a.mu.Lock()
	a.slots[i] = slot{}
	a.free = append(a.free, i)
	if a.draining && len(a.free) == len(a.slots) {
		select {
		case <-a.drained:
		default:
			close(a.drained)
		}
	}
	a.mu.Unlock()
}

// overdue appends to dst the admitted requests whose deadline is before now, and marks them so
// the next look does not report them again: the caller answers them.
func (a *Admission) overdue(now time.Duration, dst []*Request) []*Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.slots {
		s := &a.slots[i]
		if s.req != nil && s.due != 0 && now > s.due {
			s.due = 0
			dst = append(dst, s.req)
		}
	}
	return dst
}

// InFlight is the number of admitted, unanswered requests.
func (a *Admission) InFlight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.slots) - len(a.free)
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
		if len(a.free) == len(a.slots) {
			close(a.drained)
		}
	}
	return a.drained
}

// AnswerAll answers every request still in flight with the given error: the last resort of a
// shutdown whose grace period ran out. Nothing is left unanswered.
func (a *Admission) AnswerAll(code int, message string) int {
	a.mu.Lock()
	rs := make([]*reply.Reply, 0, len(a.slots)-len(a.free))
	for _, s := range a.slots {
		if s.reply != nil {
			rs = append(rs, s.reply)
		}
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
