package system

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"
)

const wait = 10 * time.Second

func awaitN(t *testing.T, ch <-chan int, n int, what string) []int {
	t.Helper()
	var got []int
	timeout := time.After(wait)
	for len(got) < n {
		select {
		case i := <-ch:
			got = append(got, i)
		case <-timeout:
			t.Fatalf("only %d of %d %s", len(got), n, what)
		}
	}
	return got
}

// More blocking functions than parked goroutines: every one of them starts (so none waits for
// another to finish: the dispatcher fell back to fresh goroutines), and once released each has
// run exactly once. Afterwards the parked goroutines serve again.
func TestDispatcherRunsEveryFunctionOnceWhenAllParkedAreBusy(t *testing.T) {
	for _, tt := range []struct{ parked, fns int }{{1, 5}, {3, 12}, {4, 64}} {
		t.Run(fmt.Sprintf("%d parked, %d functions", tt.parked, tt.fns), func(t *testing.T) {
			d := NewDispatcher(tt.parked)
			if d.Throughput() <= 0 {
				t.Fatalf("Throughput() = %d", d.Throughput())
			}
			runs := make([]atomic.Int32, tt.fns)
			started := make(chan int, tt.fns)
			finished := make(chan int, tt.fns)
			release := make(chan struct{})
			// Scheduled from a goroutine of its own, so a Schedule that blocks fails the test
			// below instead of hanging it.
			go func() {
				for i := 0; i < tt.fns; i++ {
					d.Schedule(func() {
						runs[i].Add(1)
						started <- i
						<-release
						finished <- i
					})
				}
			}()
			awaitN(t, started, tt.fns, "blocking functions started: a busy dispatcher made one wait")
			close(release)
			awaitN(t, finished, tt.fns, "functions finished")
			for i := range runs {
				if n := runs[i].Load(); n != 1 {
					t.Fatalf("function %d ran %d times", i, n)
				}
			}

			// After the release the dispatcher still runs everything, exactly once.
			more := make([]atomic.Int32, 4*tt.fns)
			done := make(chan int, len(more))
			var wg sync.WaitGroup
			for i := range more {
				wg.Add(1)
				go func() { // scheduled from many goroutines at once
					defer wg.Done()
					d.Schedule(func() { more[i].Add(1); done <- i })
				}()
			}
			wg.Wait()
			awaitN(t, done, len(more), "functions run after the release")
			for i := range more {
				if n := more[i].Load(); n != 1 {
					t.Fatalf("function %d ran %d times", i, n)
				}
			}
		})
	}
}

// The same through real actors: more actors blocked inside Receive than the dispatcher has
// parked goroutines; every actor still gets its turn, and each message is handled once.
func TestDispatcherBlockedActorsDoNotStarveOthers(t *testing.T) {
	sys := New(zerolog.Nop())
	d := NewDispatcher(2)
	const actors = 8
	entered := make(chan int, actors)
	handled := make(chan int, 2*actors)
	release := make(chan struct{})
	type blockMsg struct{ i int }
	type plainMsg struct{ i int }
	var pids []*actor.PID
	for i := 0; i < actors; i++ {
		pids = append(pids, sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			switch m := c.Message().(type) {
			case *blockMsg:
				entered <- m.i
				<-release
				handled <- m.i
			case *plainMsg:
				handled <- m.i
			}
		}, actor.WithDispatcher(d))))
	}
	go func() { // a dispatcher that blocks the sender fails the wait below instead of hanging
		for i, pid := range pids {
			sys.Root.Send(pid, &blockMsg{i})
		}
	}()
	got := awaitN(t, entered, actors, "actors entered Receive: a blocked actor starved another")
	seen := map[int]bool{}
	for _, i := range got {
		if seen[i] {
			t.Fatalf("actor %d entered twice", i)
		}
		seen[i] = true
	}
	for i, pid := range pids {
		sys.Root.Send(pid, &plainMsg{actors + i})
	}
	close(release)
	all := awaitN(t, handled, 2*actors, "messages handled")
	count := map[int]int{}
	for _, i := range all {
		count[i]++
	}
	for i := 0; i < 2*actors; i++ {
		if count[i] != 1 {
			t.Fatalf("message %d handled %d times", i, count[i])
		}
	}
	for _, pid := range pids {
		if err := sys.Root.PoisonFuture(pid).Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

// The process-wide dispatcher is one value.
func TestSharedDispatcher(t *testing.T) {
	if Dispatcher() != Dispatcher() {
		t.Fatal("Dispatcher() returns a different dispatcher each time")
	}
	done := make(chan int, 1)
	Dispatcher().Schedule(func() { done <- 1 })
	awaitN(t, done, 1, "scheduled function on the shared dispatcher")
}
