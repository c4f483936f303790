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
// Invariants (checked by TestPoolInvariants), true whenever the lock is free:
//   - A worker is in at most one of idle and busy; a retired worker is in neither.
//   - While a job waits in the queue no worker is idle: whoever frees a worker takes the queue's
//     head first, and Put hands a job to an idle worker before it queues it.
//   - A job is in at most one place: the queue, or busy under the worker that has it (in its
//     mailbox or in its hands). Its worker field names that worker while it is busy.
//   - The queue keeps arrival order, and holds no more jobs than admission lets in: a job
//     answered by its deadline while it waits is removed (Abandon), not left behind.
//
// Membership (which workers exist, spawning, stopping) is the router's; the pool only learns of
// a worker when the worker reports ready, and forgets it on Abandon (the worker is retired: its
// next Ready tells it to stop) or Leave (its supervisor stopped it).
type Pool struct {
	mu      sync.Mutex
	idle    []*actor.PID
	busy    map[string]*job // worker id → its job
	queue   []*job
	head    int             // queue[head:] waits; the slice is compacted when it empties
	retired map[string]bool // abandoned workers not yet back from their call
}

// NewPool makes an empty pool.
func NewPool() *Pool {
	return &Pool{busy: map[string]*job{}, retired: map[string]bool{}}
}

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
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.assign(w, j)
		return w
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
	if p.retired[w.Id] {
		delete(p.retired, w.Id)
		return nil, true
	}
	if j := p.busy[w.Id]; j != nil {
		j.worker = nil
		delete(p.busy, w.Id)
	}
	if j := p.dequeue(); j != nil {
		p.assign(w, j)
		return j, false
	}
	for _, v := range p.idle {
		if v.Id == w.Id {
			return nil, false
		}
	}
	p.idle = append(p.idle, w)
	return nil, false
}

// Abandon takes j out of the pool once its deadline has answered it. If a worker has it, that
// worker is retired and returned (the caller replaces it); if it waits, it leaves the queue.
func (p *Pool) Abandon(j *job) *actor.PID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w := j.worker; w != nil && p.busy[w.Id] == j {
		j.worker = nil
		delete(p.busy, w.Id)
		p.retired[w.Id] = true
		return w
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
	delete(p.retired, w.Id)
	if j := p.busy[w.Id]; j != nil {
		j.worker = nil
		delete(p.busy, w.Id)
	}
	for i, v := range p.idle {
		if v.Id == w.Id {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return
		}
	}
}

// PoolCounts is a snapshot of the pool.
type PoolCounts struct{ Idle, Busy, Queued, Retired int }

// Counts is the pool's state now.
func (p *Pool) Counts() PoolCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolCounts{Idle: len(p.idle), Busy: len(p.busy), Queued: len(p.queue) - p.head, Retired: len(p.retired)}
}

func (p *Pool) assign(w *actor.PID, j *job) {
	j.worker = w
	p.busy[w.Id] = j
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
