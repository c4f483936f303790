package router

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/api"
)

// worker runs one verb at a time. It announces itself idle when it starts (and so after every
// restart) and after every job.
type worker struct {
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
		c.Send(c.Parent(), w.idleMsg(c))
	case *actor.Started:
		c.Send(c.Parent(), w.idleMsg(c))
	}
}

func (w *worker) idleMsg(c actor.Context) *workerIdle {
	if w.idle == nil {
		w.idle = &workerIdle{worker: c.Self()}
	}
	return w.idle
}
