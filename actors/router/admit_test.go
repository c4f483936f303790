package router

import "github.com/hostagent/hostagent/reply"

// Admit takes a slot for a bare reply, released when it is answered: admission on its own, for
// the tests, without a Request around the reply.
func (a *Admission) Admit(r *reply.Reply) bool {
	i, ok := a.take(r, nil, 0)
	if ok {
		r.AddHook(&ticket{a: a, slot: i})
	}
	return ok
}

type ticket struct {
	a    *Admission
	slot int32
}

func (t *ticket) Answered(*reply.Reply) { t.a.release(t.slot) }
