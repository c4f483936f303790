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
}

func (w *worker) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *job:
		if !m.req.Reply.Done() {
			call := &api.Call{Method: m.req.Method, Reply: m.req.Reply, Flow: m.req.Flow, Local: m.req.Local, Env: w.env}
			w.table.Dispatch(call, m.req.Params)
		}
		c.Send(c.Parent(), &workerIdle{worker: c.Self()})
	case *actor.Started:
		c.Send(c.Parent(), &workerIdle{worker: c.Self()})
	}
}
