package router

import (
	"runtime"
	"testing"
	"time"
)

// goroutineBaseline is the goroutine count to come back to once a test's actors are stopped.
// Take it before spawning anything. The pooled dispatcher's parked goroutines (system.Dispatcher)
// are started when the package is initialised and live for the process, so they are already in
// the baseline; the goroutines it starts when every parked one is busy end with their turn.
// Making an actor system starts no goroutine.
func goroutineBaseline() int {
	runtime.GC()
	return runtime.NumGoroutine()
}

// checkNoGoroutineLeak waits, boundedly, for the goroutine count to fall back to baseline: once
// the actors are stopped there is no message left to wait on, only goroutines to exit (mailbox
// turns finishing, timers' goroutines returning). On failure it prints every goroutine's stack.
func checkNoGoroutineLeak(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		n := runtime.NumGoroutine()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 4<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutine(s) left over after the actors stopped (now %d, baseline %d):\n%s", n-baseline, n, baseline, buf)
		}
		<-tick.C
	}
}
