package router

// DESIGN: worker
//
// Owns: nothing but its turn. A worker runs one verb at a time from the api table; the job it
// runs belongs to the Pool until it is handed over, and its answer to the request's Reply.
// Takes: *job (from the Gate, or from itself: the next waiting job, taken from the Pool at the
// end of a turn), run unless its deadline claimed it before the turn began; *actor.Started (new,
// or restarted after a panic).
// Sends: the job to itself when one waits; nothing to the router. It answers through the Reply
// (to the connection actor). A worker the Pool has retired stops itself.

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/verbs"
)

type worker struct {
	pool  *Pool
	table *verbs.Table
	env   *verbs.Env
	guard *guard
	run   bool // this turn's job is the worker's to run: its deadline had not claimed it first
}

func (w *worker) Receive(c actor.Context) {
	if j, ok := c.Message().(*job); ok {
		// The turn on a job begins here, outside the middleware: a job that a fault then holds
		// or drops counts as begun, so its worker is abandoned at the deadline as one stuck in a
		// call is (a worker whose job was dropped would otherwise never report ready again).
		w.run = j.req.begin()
	}
	w.guard.receive(c)
}

func (w *worker) receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *job:
		if req := m.req; w.run && !req.Reply.Done() {
			m.call = verbs.Call{Method: req.Method, Reply: req.Reply, Flow: req.Flow, Local: req.Local, Env: w.env}
			w.table.Dispatch(&m.call, req.Params)
		}
		w.ready(c)
	case *actor.Started:
		// New, or restarted after a panic: the job it panicked on was answered by the panic
		// handler, and the Pool still counts it busy with that job until now.
		w.ready(c)
	}
}

// ready takes the next waiting job, sent to itself so it stays one job per turn (supervision and
// fault injection see each job), or leaves the worker idle in the Pool for the Gate to use.
func (w *worker) ready(c actor.Context) {
	next, stop := w.pool.Ready(c.Self())
	switch {
	case stop:
		c.Stop(c.Self())
	case next != nil:
		c.Send(c.Self(), next)
	}
}
