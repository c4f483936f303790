// Package supervisor holds what keeps the actor tree honest when parts of it fail: the middleware
// that answers a request whose actor panics, supervision strategies, and the fault-injection
// middleware tests use to prove the invariants. It never decides what a verb does.
package supervisor
