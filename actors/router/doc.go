// Package router is the admission point and the worker pool. The router admits at most
// workers+queue requests at a time (the next is answered 1100 at once), hands each to an idle
// worker or queues it, arms its deadline, and keeps the pool at its size: a worker that panics is
// restarted by its supervisor, a worker stuck past a deadline is abandoned and replaced. Workers
// run verbs from the api table. Neither ever waits on another actor.
package router
