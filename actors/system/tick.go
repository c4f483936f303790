package system

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Tick sends msg to pid every interval until stop is closed. An actor must never sleep in its
// Receive; periodic work is a message from a timer outside it.
func Tick(root *actor.RootContext, pid *actor.PID, every time.Duration, msg any, stop <-chan struct{}) {
	if every <= 0 {
		return
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				root.Send(pid, msg)
			case <-stop:
				return
			}
		}
	}()
}
