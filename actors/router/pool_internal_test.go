package router

import "github.com/asynkron/protoactor-go/actor"

// idleWorkers lists the idle workers, for tests that need to know which worker is which.
func (p *Pool) idleWorkers() []*actor.PID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*actor.PID(nil), p.idle...)
}
