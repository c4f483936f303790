// Package router is the request path from admission to a worker. Four pieces, each owning its
// state:
//
//   - Gate (gate.go): called on a connection's reader goroutine. It admits against Admission
//     (at most workers+queue requests in flight; the next is answered 1100 at once, before it
//     waits anywhere) and hands the job to an idle worker, or queues it, through the Pool.
//   - Pool (pool.go): the idle workers, the busy ones with their jobs, and the waiting jobs,
//     under one short lock: the only structure the gate, the workers and the router share.
//   - worker (worker.go): runs one verb at a time; at the end of a turn takes the next waiting
//     job from the Pool itself. It never messages the router.
//   - Router (router.go): the workers' parent. It owns membership (spawning, replacing), and on
//     its coalesced tick answers requests past their deadline, abandoning and replacing a worker
//     stuck in one. It is not on the request path.
//
// No piece ever waits on another actor.
package router
