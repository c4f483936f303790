package router

import "github.com/asynkron/protoactor-go/actor"

// idleWorkers lists the idle workers, for tests that need to know which worker is which.
func (p *Pool) idleWorkers() []*actor.PID {
	p.mu.Lock()
	defer p.mu.Unlock()
	ws := make([]*actor.PID, 0, len(p.idle))
	for _, m := range p.idle {
		ws = append(ws, m.pid)
	}
	return ws
}
