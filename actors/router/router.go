package router

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/api"
	"github.com/hostagent/hostagent/actors/metrics"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/supervisor"
)

// Config is the router's and its pool's configuration.
type Config struct {
	Workers   int
	Queue     int
	Deadline  time.Duration            // per verb unless Deadlines names it
	Deadlines map[string]time.Duration // per-verb deadlines
	Table     *api.Table
	Env       *api.Env
	Admission *Admission
	Ready     *atomic.Bool // false while VMs are being recovered: every request is answered 99
	Faults    *supervisor.Injector
	Metrics   *metrics.Metrics
	Log       zerolog.Logger
}

// Router is the admission point and the worker pool's parent.
type Router struct {
	cfg   Config
	root  *actor.RootContext
	self  *actor.PID
	props *actor.Props

	// The pool's state. Workers read it too: one that finishes a job while requests wait takes
	// the next itself (take), without a round trip through the router. idle is the router's own.
	mu        sync.Mutex
	pool      map[string]*actor.PID // workers that belong to the pool, by id
	busy      map[string]*job       // worker id → its job
	queue     []*job
	abandoned map[string]bool // stuck workers, left to finish their call and then stopped
	idle      []*actor.PID

	stuck, replaced int64
	stopping        bool // the pool is being taken down: stopped workers are not replaced

	methods   map[string]*metrics.Method // by method name, for the names the table knows
	other     *metrics.Method            // every name it does not
	stopWatch chan struct{}
	guard     *guard
}

// New makes the router's props. Its children, the workers, are supervised one-for-one with
// backoff (workerSupervision); the router itself resumes after a failure (supervisor.Resume).
func New(cfg Config) *actor.Props {
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	return actor.PropsFromProducer(func() actor.Actor {
		r := &Router{cfg: cfg}
		r.guard = newGuard(cfg.Log, "router", cfg.Faults, r.receive)
		return r
	},
		actor.WithSupervisor(workerSupervision(cfg)),
		actor.WithGuardian(&supervisor.Resume{Kind: "router", Log: cfg.Log, OnFailure: func() { cfg.Metrics.Restarted("router") }}),
		actor.WithDispatcher(system.Dispatcher()),
	)
}

// workerSupervision restarts a panicking worker at once, then with growing delays; past the
// budget the worker is stopped and the router spawns a fresh one.
func workerSupervision(cfg Config) actor.SupervisorStrategy {
	b := supervisor.DefaultBackoff("worker", cfg.Log)
	m := cfg.Metrics
	b.OnFailure = func() { m.Restarted("worker") }
	return b
}

func (r *Router) Receive(c actor.Context) { r.guard.receive(c) }

func (r *Router) receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *Request:
		r.admit(c, m)
	case *workerIdle:
		r.idleWorker(c, m.worker, m.started)
	case *expired:
		r.expire(c, m.job)
	case *actor.Terminated:
		if !r.stopping {
			r.terminated(c, m.Who)
		}
	case *actor.Stopping:
		r.stopping = true
	case *actor.Stopped:
		if r.stopWatch != nil {
			close(r.stopWatch)
			r.stopWatch = nil
		}
	case *Stats:
		c.Respond(r.stats())
	case *actor.Started:
		r.start(c)
	}
}

func (r *Router) start(c actor.Context) {
	r.root = c.ActorSystem().Root
	r.self = c.Self()
	r.pool = make(map[string]*actor.PID, r.cfg.Workers)
	r.busy = make(map[string]*job, r.cfg.Workers)
	r.abandoned = map[string]bool{}
	r.methods = map[string]*metrics.Method{}
	r.other = r.cfg.Metrics.Method("other")
	r.stopWatch = make(chan struct{})
	go r.watch(r.stopWatch, r.tick())
	r.props = actor.PropsFromProducer(func() actor.Actor {
		w := &worker{table: r.cfg.Table, env: r.cfg.Env, pool: r}
		w.guard = newGuard(r.cfg.Log, "worker", r.cfg.Faults, w.receive)
		return w
	}, actor.WithDispatcher(system.Dispatcher()))
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < r.cfg.Workers; i++ {
		r.spawn(c)
	}
}

// spawn adds a worker to the pool; r.mu is held.
func (r *Router) spawn(c actor.Context) {
	w := c.SpawnPrefix(r.props, "worker")
	r.pool[w.Id] = w
}

// take gives worker w the next waiting job, or nil when none waits (the worker then reports
// idle to the router) or w is no longer the pool's to use.
func (r *Router) take(w *actor.PID) *job {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.abandoned[w.Id] || r.pool[w.Id] == nil {
		return nil
	}
	j := r.dequeue()
	if j != nil {
		j.pulled = true
		r.busy[w.Id] = j
	}
	return j
}

// dequeue is the oldest waiting job not yet answered (by its deadline, while it waited), or nil;
// r.mu is held.
func (r *Router) dequeue() *job {
	for len(r.queue) > 0 {
		j := r.queue[0]
		r.queue[0] = nil
		r.queue = r.queue[1:]
		if !j.req.Reply.Done() {
			return j
		}
	}
	return nil
}

func (r *Router) admit(c actor.Context, req *Request) {
	mm := r.metric(req.Method)
	if r.cfg.Ready != nil && !r.cfg.Ready.Load() {
		req.Reply.Error(vdsm.CodeRecovery, vdsm.Message(vdsm.CodeRecovery))
		mm.Answered(vdsm.CodeRecovery, 0)
		return
	}
	req.metric, req.owner = mm, r.self
	req.deadline = r.deadline(req.Method)
	req.admitted = time.Now()
	if !r.cfg.Admission.admit(req, req.admitted.Add(req.deadline)) {
		if r.cfg.Admission.Draining() {
			req.Reply.Error(vdsm.CodeInternal, vdsm.Internal("the agent is shutting down").Message)
			mm.Answered(vdsm.CodeInternal, 0)
			return
		}
		e := vdsm.ResourceExhausted(r.cfg.Queue)
		req.Reply.Error(e.Code, e.Message)
		r.cfg.Metrics.Rejected.Inc()
		mm.Answered(e.Code, 0)
		return
	}
	j := &req.job
	j.req = req
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.idle); n > 0 {
		w := r.idle[n-1]
		r.idle = r.idle[:n-1]
		r.run(c, w, j)
		return
	}
	r.queue = append(r.queue, j)
}

// metric is the method's counters. Names the table does not know share one label, so a client
// cannot grow the cache (or the label set) with made-up names.
func (r *Router) metric(method string) *metrics.Method {
	if mm, ok := r.methods[method]; ok {
		return mm
	}
	label := r.cfg.Table.Label(method)
	if label != method {
		return r.other
	}
	mm := r.cfg.Metrics.Method(label)
	r.methods[method] = mm
	return mm
}

// tick is how often the watch looks for requests past their deadline: a small fraction of the
// shortest deadline, so none is answered much later than it should be.
func (r *Router) tick() time.Duration {
	d := r.cfg.Deadline
	for _, v := range r.cfg.Deadlines {
		if v < d || d <= 0 {
			d = v
		}
	}
	return min(max(d/16, time.Millisecond), 100*time.Millisecond)
}

// watch answers the requests that outlive their deadline. One ticker serves every request in
// flight, where a timer per request cost an allocation, a closure and a timer-heap update each.
// It runs beside the router rather than in it, so a deadline is kept even while the router
// itself is busy or stuck.
func (r *Router) watch(stop <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var due []*Request
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			due = r.cfg.Admission.overdue(now, due[:0])
			for i, req := range due {
				r.expireRequest(req)
				due[i] = nil
			}
		}
	}
}

func (r *Router) expireRequest(req *Request) {
	msg := vdsm.Internal(fmt.Sprintf("%s did not finish within %s", req.Method, req.deadline)).Message
	if req.Reply.Error(vdsm.CodeInternal, msg) {
		r.cfg.Metrics.Expired.Inc()
		r.root.Send(req.owner, &expired{job: &req.job})
	}
}

func (r *Router) deadline(method string) time.Duration {
	if d, ok := r.cfg.Deadlines[method]; ok {
		return d
	}
	return r.cfg.Deadline
}

func (r *Router) run(c actor.Context, w *actor.PID, j *job) {
	j.pulled = false
	r.busy[w.Id] = j
	c.Send(w, j)
}

func (r *Router) idleWorker(c actor.Context, w *actor.PID, started bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if bj := r.busy[w.Id]; started && bj != nil && bj.pulled && !bj.req.Reply.Done() {
		// A worker restarted after a panic, with a job it took still ahead in its mailbox:
		// it is not idle, and says so itself after that job.
		return
	}
	if r.abandoned[w.Id] {
		// Back from the call it was stuck in; its place was filled long ago.
		delete(r.abandoned, w.Id)
		c.Stop(w)
		return
	}
	if _, ok := r.pool[w.Id]; !ok {
		return
	}
	delete(r.busy, w.Id)
	if j := r.dequeue(); j != nil {
		r.run(c, w, j)
		return
	}
	for _, p := range r.idle {
		if p.Id == w.Id {
			return
		}
	}
	r.idle = append(r.idle, w)
}

func (r *Router) expire(c actor.Context, j *job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, bj := range r.busy {
		if bj != j {
			continue
		}
		w := r.pool[id]
		delete(r.busy, id)
		delete(r.pool, id)
		r.abandoned[id] = true
		r.stuck++
		r.replaced++
		r.cfg.Metrics.Stuck.Inc()
		r.cfg.Log.Error().Str("method", j.req.Method).Str("flow", j.req.Flow).Str("worker", w.Id).
			Msg("verb exceeded its deadline; worker abandoned and replaced")
		r.spawn(c)
		return
	}
	for i, qj := range r.queue {
		if qj == j {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			return
		}
	}
}

func (r *Router) terminated(c actor.Context, w *actor.PID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.abandoned[w.Id] {
		delete(r.abandoned, w.Id)
		return
	}
	if _, ok := r.pool[w.Id]; !ok {
		return
	}
	// The supervisor gave up on this worker (restart budget spent). Its job, if any, was answered
	// by the panic handler; the pool gets a fresh worker.
	delete(r.pool, w.Id)
	delete(r.busy, w.Id)
	for i, p := range r.idle {
		if p.Id == w.Id {
			r.idle = append(r.idle[:i], r.idle[i+1:]...)
			break
		}
	}
	r.replaced++
	r.cfg.Log.Error().Str("worker", w.Id).Msg("worker stopped by its supervisor; replaced")
	r.spawn(c)
}

func (r *Router) stats() *PoolStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &PoolStats{
		Workers:   len(r.pool),
		Idle:      len(r.idle),
		Queued:    len(r.queue),
		InFlight:  r.cfg.Admission.InFlight(),
		Stuck:     r.stuck,
		Replaced:  r.replaced,
		Abandoned: len(r.abandoned),
	}
}
