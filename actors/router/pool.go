package router

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// Pool is the one structure the request path shares: the gate (on connections' reader
// goroutines), the workers and the router all use it, each through its own methods, under one
// short lock. Handing a job over through it costs a lock, where a message to the router and one
// back cost two mailbox hops; it holds nothing else.
//
// Each worker it knows has a member: whether it is idle, the job it has, whether it is retired.
// A job points back at its member, so handing a job over and back touches no map: the members
// are few (the pool's size plus retired workers still in a call) and found by a short scan.
//
// Invariants (checked by TestPoolInvariants), true whenever the lock is free:
//   - A worker is in at most one of idle and busy; a retired worker is in neither.
//   - While a job waits in the queue no worker is idle: whoever frees a worker takes the queue's
//     head first, and Put hands a job to an idle worker before it queues it.
//   - A job is in at most one place: the queue, or busy under the worker that has it (in its
//     mailbox or in its hands). Its worker field names that worker's member while it is busy.
//   - The queue keeps arrival order, and holds no more jobs than admission lets in: a job
//     answered by its deadline while it waits is removed (Abandon), not left behind.
//   - A worker is retired only for a job its turn began on (Request.turn): one that has the job
//     on its way to its mailbox keeps it, and skips it when it comes.
//
// Membership (which workers exist, spawning, stopping) is the router's; the pool only learns of
// a worker when the worker reports ready, and forgets it on Abandon (the worker is retired: its
// next Ready tells it to stop) or Leave (its supervisor stopped it).
type Pool struct {
	mu      sync.Mutex
	members []*member // every worker the pool knows, retired ones included
	idle    []*member
	queue   []*job
	head    int // queue[head:] waits; the slice is compacted when it empties
}

// member is one worker as the pool sees it. Its fields are written under the Pool's lock only.
type member struct {
	pid     *actor.PID
	job     *job // the job it has (busy), or nil
	idle    bool
	retired bool // abandoned, not yet back from its call
}

// NewPool makes an empty pool.
func NewPool() *Pool { return &Pool{} }

// Put hands j to an idle worker, which the caller must then send j to, or queues it (nil).
func (p *Pool) Put(j *job) *actor.PID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if j.req.Reply.Done() {
		// Its deadline answered it between admission and here, and Abandon found nothing to
		// take out: it must not wait in the queue past its admission slot.
		return nil
	}
	if n := len(p.idle); n > 0 {
		m := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		m.idle = false
		p.assign(m, j)
		return m.pid
	}
	if p.head > 0 && len(p.queue) == cap(p.queue) {
		// Full, with taken jobs at the front: slide the waiting ones down rather than grow.
		n := copy(p.queue, p.queue[p.head:])
		clear(p.queue[n:])
		p.queue, p.head = p.queue[:n], 0
	}
	p.queue = append(p.queue, j)
	return nil
}

// Ready is worker w done with whatever it had (or new, or restarted): it gets the next waiting
// job, to run now, or nil and goes idle. stop is true when w was retired and must stop itself.
func (p *Pool) Ready(w *actor.PID) (next *job, stop bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.find(w)
	if m == nil {
		m = &member{pid: w}
		p.members = append(p.members, m)
	}
	if m.retired {
		p.forget(m)
		return nil, true
	}
	if j := m.job; j != nil {
		j.worker, m.job = nil, nil
	}
	if j := p.dequeue(); j != nil {
		p.assign(m, j)
		return j, false
	}
	if !m.idle {
		m.idle = true
		p.idle = append(p.idle, m)
	}
	return nil, false
}

// Abandon takes j out of the pool once its deadline has claimed and answered it. If a worker's
// turn on it began, that worker is stuck in the call: it is retired and returned (the caller
// replaces it). A worker that has it on its way to its mailbox keeps it: its turn skips it and
// reports ready as after any job. If it waits, it leaves the queue.
func (p *Pool) Abandon(j *job) *actor.PID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m := j.worker; m != nil && m.job == j {
		if !j.req.begun() {
			return nil
		}
		j.worker, m.job = nil, nil
		m.retired = true
		return m.pid
	}
	for i := p.head; i < len(p.queue); i++ {
		if p.queue[i] == j {
			copy(p.queue[i:], p.queue[i+1:])
			p.queue[len(p.queue)-1] = nil
			p.queue = p.queue[:len(p.queue)-1]
			p.compact()
			break
		}
	}
	return nil
}

// Leave forgets w, stopped by its supervisor. Its job, if any, was answered by the panic that
// stopped it.
func (p *Pool) Leave(w *actor.PID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.find(w)
	if m == nil {
		return
	}
	if j := m.job; j != nil {
		j.worker, m.job = nil, nil
	}
	if m.idle {
		for i, v := range p.idle {
			if v == m {
				p.idle = append(p.idle[:i], p.idle[i+1:]...)
				break
			}
		}
	}
	p.forget(m)
}

// PoolCounts is a snapshot of the pool.
type PoolCounts struct{ Idle, Busy, Queued, Retired int }

// Counts is the pool's state now.
func (p *Pool) Counts() PoolCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := PoolCounts{Idle: len(p.idle), Queued: len(p.queue) - p.head}
	for _, m := range p.members {
		switch {
		case m.retired:
			c.Retired++
		case m.job != nil:
			c.Busy++
		}
	}
	return c
}

// find is w's member, or nil. A worker always reports with the same PID (its context's own), so
// the pointer matches; the id is the fallback for a PID that came another way (Terminated).
func (p *Pool) find(w *actor.PID) *member {
	for _, m := range p.members {
		if m.pid == w {
			return m
		}
	}
	for _, m := range p.members {
		if m.pid.Id == w.Id {
			return m
		}
	}
	return nil
}

// forget drops m, which is neither idle nor busy, from the members.
func (p *Pool) forget(m *member) {
	for i, v := range p.members {
		if v == m {
			last := len(p.members) - 1
			p.members[i] = p.members[last]
			p.members[last] = nil
			p.members = p.members[:last]
			return
		}
	}
}

func (p *Pool) assign(m *member, j *job) {
	j.worker = m
	m.job = j
}

// dequeue is the oldest waiting job, or nil.
func (p *Pool) dequeue() *job {
	if p.head == len(p.queue) {
		return nil
	}
	j := p.queue[p.head]
	p.queue[p.head] = nil
	p.head++
	p.compact()
	return j
}

// compact reuses the queue's array once it is empty, so a queue that keeps draining never grows.
func (p *Pool) compact() {
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
	}
}
