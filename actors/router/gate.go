package router

// DESIGN: gate
//
// Owns: nothing mutable of its own; it is the entry of the request path, called on each
// connection's reader goroutine, and acts on two shared structures built for it: Admission (the
// bound on requests in flight) and the Pool (which worker takes a job).
// Takes: Submit(*Request), a plain call, before the request waits anywhere.
// Sends: the admitted job to an idle worker (or leaves it in the Pool's queue for the next worker
// that frees up). Refusals are answered at once, in the caller's goroutine: 99 while VMs are
// being recovered, the shutdown error once draining, 1100 when admission is full. A request
// that is refused never enters a mailbox.

import (
	"sync/atomic"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/metrics"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
)

// Gate admits requests and hands them to the workers.
type Gate struct {
	send      reply.Sender
	pool      *Pool
	admission *Admission
	ready     *atomic.Bool
	queue     int
	deadlines deadlines
	metrics   *metrics.Metrics
	label     func(string) string
	methods   map[string]*metrics.Method // the served methods' counters; read-only once made
	other     *metrics.Method            // every name VDSM does not know
}

// NewGate makes the gate in front of the router made from the same cfg; jobs go to workers
// through s (the actor system's root context).
func NewGate(s reply.Sender, cfg Config) *Gate {
	cfg.defaults()
	g := &Gate{
		send: s, pool: cfg.Pool, admission: cfg.Admission, ready: cfg.Ready, queue: cfg.Queue,
		deadlines: cfg.deadlines(), metrics: cfg.Metrics, label: cfg.Table.Label,
		methods: map[string]*metrics.Method{}, other: cfg.Metrics.Method("other"),
	}
	for _, n := range cfg.Table.Names() {
		g.methods[n] = cfg.Metrics.Method(n)
	}
	return g
}

// Submit admits req and hands it on, or answers it at once. Every request given to Submit is
// answered exactly once, by whoever gets to its Reply first.
func (g *Gate) Submit(req *Request) {
	mm := g.metric(req.Method)
	if g.ready != nil && !g.ready.Load() {
		req.Reply.Error(vdsm.CodeRecovery, vdsm.Message(vdsm.CodeRecovery))
		mm.Answered(vdsm.CodeRecovery, 0)
		return
	}
	req.metric = mm
	req.admitted = system.Mono()
	if !g.admission.admit(req, req.admitted+g.deadlines.of(req.Method)) {
		if g.admission.Draining() {
			req.Reply.Error(vdsm.CodeInternal, vdsm.Internal("the agent is shutting down").Message)
			mm.Answered(vdsm.CodeInternal, 0)
			return
		}
		e := vdsm.ResourceExhausted(g.queue)
		req.Reply.Error(e.Code, e.Message)
		g.metrics.Rejected.Inc()
		mm.Answered(e.Code, 0)
		return
	}
	j := &req.job
	j.req = req
	if w := g.pool.Put(j); w != nil {
		g.send.Send(w, j)
	}
}

// metric is the method's counters. Names VDSM does not know share one label, so a client cannot
// grow the label set with made-up names.
func (g *Gate) metric(method string) *metrics.Method {
	if mm, ok := g.methods[method]; ok {
		return mm
	}
	if g.label(method) != method {
		return g.other
	}
	return g.metrics.Method(method) // a VDSM verb this agent does not serve: rare, and cached there
}
