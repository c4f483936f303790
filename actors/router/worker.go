package router

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/api"
)

// worker runs one verb at a time. It announces itself idle when it starts (and so after every
// restart), and after a job when no other waits; when one waits it takes it (Router.take).
type worker struct {
	pool  *Router // for take; the worker never touches the rest of it
	table *api.Table
	env   *api.Env
	idle  *workerIdle // the same message every time: it never changes, so it is made once
	guard *guard
}

func (w *worker) Receive(c actor.Context) { w.guard.receive(c) }

func (w *worker) receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *job:
		if req := m.req; !req.Reply.Done() {
			m.call = api.Call{Method: req.Method, Reply: req.Reply, Flow: req.Flow, Local: req.Local, Env: w.env}
			w.table.Dispatch(&m.call, req.Params)
		}
		// Under load requests wait: take the next at once. Sent to itself, it is this
		// worker's next message (no hand-off to another goroutine), and it stays one job per
		// turn, so supervision and fault injection see each job as before.
		if next := w.pool.take(c.Self()); next != nil {
			c.Send(c.Self(), next)
			return
		}
		c.Send(c.Parent(), w.idleMsg(c))
	case *actor.Started:
		c.Send(c.Parent(), &workerIdle{worker: c.Self(), started: true})
	}
}

func (w *worker) idleMsg(c actor.Context) *workerIdle {
	if w.idle == nil {
		w.idle = &workerIdle{worker: c.Self()}
	}
	return w.idle
}
