package router

// DESIGN: router
//
// Owns: the pool's membership (which workers exist, by id), the abandoned workers still inside
// a call, the stuck/replaced counters, and the deadline ticker. It is not on the request path:
// requests go from the Gate to a worker, and a worker takes the next waiting job from the Pool.
// Takes: *tick (its own coalesced timer: answer every request past its deadline, abandon and
// replace the workers whose turn on one began); *actor.Terminated (a worker stopped: an
// abandoned one is forgotten, one its supervisor gave up on is replaced); *Stats; lifecycle
// messages.
// Sends: Stop to abandoned workers (they stop after their call returns); spawns workers. It
// answers expired requests through their Reply.

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/actors/verbs"
	"github.com/hostagent/hostagent/metrics"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/supervisor"
)

// Config is the router's, its gate's and its pool's configuration. The router (New) and the gate
// (NewGate) made from one Config share its Admission and Pool.
type Config struct {
	Workers   int
	Queue     int
	Deadline  time.Duration            // per verb unless Deadlines names it
	Deadlines map[string]time.Duration // per-verb deadlines
	Table     *verbs.Table
	Env       *verbs.Env
	Admission *Admission
	Pool      *Pool
	Ready     *atomic.Bool // false while VMs are being recovered: every request is answered 99
	Faults    *supervisor.Injector
	Metrics   *metrics.Metrics // nil: the router and the gate each count in a set of their own
	Log       zerolog.Logger
}

// deadlines are the verbs' deadlines. A request does not keep its own: the gate and the
// router's expiry each look it up (the expiry rarely), which keeps a request, allocated for
// each one, within a smaller size class (384 bytes, not 416).
type deadlines struct {
	def time.Duration
	per map[string]time.Duration
}

func (cfg *Config) deadlines() deadlines { return deadlines{cfg.Deadline, cfg.Deadlines} }

func (d deadlines) of(method string) time.Duration {
	if v, ok := d.per[method]; ok {
		return v
	}
	return d.def
}

func (cfg *Config) defaults() {
	if cfg.Pool == nil || cfg.Admission == nil {
		panic("router: Config needs the Pool and Admission its router and gate share")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
}

// Router keeps the worker pool at its size and answers deadlines.
type Router struct {
	cfg   Config
	props *actor.Props
	guard *guard

	workers         map[string]*actor.PID // the pool's members, by id
	abandoned       map[string]bool       // stuck workers, stopped once their call returns
	stuck, replaced int64
	stopping        bool // the pool is being taken down: stopped workers are not replaced
	stopTick        chan struct{}
	due             []*Request // scratch for the deadline scan
}

// New makes the router's props. Its children, the workers, are supervised one-for-one with
// backoff (workerSupervision); the router itself resumes after a failure (supervisor.Resume).
func New(cfg Config) *actor.Props {
	cfg.defaults()
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
	case *tick:
		r.expire(c, system.Mono())
	case *actor.Terminated:
		if !r.stopping {
			r.terminated(c, m.Who)
		}
	case *actor.Stopping:
		r.stopping = true
		if r.stopTick != nil {
			close(r.stopTick)
			r.stopTick = nil
		}
	case *Stats:
		c.Respond(r.stats())
	case *actor.Started:
		r.start(c)
	}
}

func (r *Router) start(c actor.Context) {
	r.workers = make(map[string]*actor.PID, r.cfg.Workers)
	r.abandoned = map[string]bool{}
	r.props = actor.PropsFromProducer(func() actor.Actor {
		w := &worker{table: r.cfg.Table, env: r.cfg.Env, pool: r.cfg.Pool}
		w.guard = newGuard(r.cfg.Log, "worker", r.cfg.Faults, w.receive)
		return w
	}, actor.WithDispatcher(system.Dispatcher()))
	for i := 0; i < r.cfg.Workers; i++ {
		r.spawn(c)
	}
	r.stopTick = make(chan struct{})
	system.Tick(c.ActorSystem().Root, c.Self(), r.tickEvery(), &tick{}, r.stopTick)
}

// spawn adds a worker; it joins the Pool itself, from its Started.
func (r *Router) spawn(c actor.Context) {
	w := c.SpawnPrefix(r.props, "worker")
	r.workers[w.Id] = w
}

// tickEvery is how often the router looks for requests past their deadline: a small fraction of
// the shortest deadline, so none is answered much later than it should be. One coalesced tick
// serves every request in flight, where a timer per request cost an allocation, a closure and a
// timer-heap update each.
func (r *Router) tickEvery() time.Duration {
	d := r.cfg.Deadline
	for _, v := range r.cfg.Deadlines {
		if v < d || d <= 0 {
			d = v
		}
	}
	return min(max(d/16, time.Millisecond), 100*time.Millisecond)
}

// expire answers the admitted requests whose deadline passed. A worker whose turn on one began is
// stuck in its call: it is abandoned (stopped once the call returns, its late answer dropped by
// the Reply) and replaced at once, so the pool keeps its size. A job still waiting, in the queue
// or on its way to a worker, never runs.
func (r *Router) expire(c actor.Context, now time.Duration) {
	r.due = r.cfg.Admission.overdue(now, r.due[:0])
	for i, req := range r.due {
		r.due[i] = nil
		// Claimed before the answer goes out: a worker whose turn on the job has not begun will
		// skip it, so only one already in the call is stuck.
		req.expire()
		msg := vdsm.Internal(fmt.Sprintf("%s did not finish within %s", req.Method, r.cfg.deadlines().of(req.Method))).Message
		if !req.Reply.Error(vdsm.CodeInternal, msg) {
			continue
		}
		r.cfg.Metrics.Expired.Inc()
		w := r.cfg.Pool.Abandon(&req.job)
		if w == nil || r.workers[w.Id] == nil {
			continue
		}
		delete(r.workers, w.Id)
		r.abandoned[w.Id] = true
		r.stuck++
		r.replaced++
		r.cfg.Metrics.Stuck.Inc()
		r.cfg.Log.Error().Str("method", req.Method).Str("flow", req.Flow).Str("worker", w.Id).
			Msg("verb exceeded its deadline; worker abandoned and replaced")
		c.Stop(w)
		r.spawn(c)
	}
}

func (r *Router) terminated(c actor.Context, w *actor.PID) {
	if r.abandoned[w.Id] {
		delete(r.abandoned, w.Id)
		r.cfg.Pool.Leave(w)
		return
	}
	if _, ok := r.workers[w.Id]; !ok {
		return
	}
	// The supervisor gave up on this worker (restart budget spent). Its job, if any, was answered
	// by the panic handler; the pool gets a fresh worker.
	delete(r.workers, w.Id)
	r.cfg.Pool.Leave(w)
	r.replaced++
	r.cfg.Log.Error().Str("worker", w.Id).Msg("worker stopped by its supervisor; replaced")
	r.spawn(c)
}

func (r *Router) stats() *PoolStats {
	p := r.cfg.Pool.Counts()
	return &PoolStats{
		Workers:   len(r.workers),
		Idle:      p.Idle,
		Queued:    p.Queued,
		InFlight:  r.cfg.Admission.InFlight(),
		Stuck:     r.stuck,
		Replaced:  r.replaced,
		Abandoned: len(r.abandoned),
	}
}
