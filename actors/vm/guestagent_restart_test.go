package vm

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/virt"
)

// A VM actor restarted while its poll of the guest agent is out gets that poll's answers: the
// goroutine sends them to the PID, which the new incarnation has. They are not the new
// incarnation's: taking them would mark its own poll (started by its agent hint on Started)
// done while that is still out, and the next poll would run beside it. The test plays the
// restart in one actor of its own: the first incarnation's answers reach a second incarnation
// that has its own poll out.
func TestAgentAnswersOfAnEarlierIncarnationIgnored(t *testing.T) {
	lv, err := virt.Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lv.Close() })
	sys := actor.NewActorSystem()
	sink := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	incarnation := func() *vmActor {
		a := &vmActor{id: "a9000000-0000-4000-8000-0000000000e1", lv: lv, registry: sink, log: zerolog.Nop()}
		a.state.Status, a.state.CPURunning, a.state.StartTime = "Up", true, time.Now().UnixMilli()
		return a
	}
	first, second := incarnation(), incarnation()
	cur := first
	busy := make(chan bool, 1)
	type begin struct{}
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case begin:
			first.agentChannel(c, true)
		case *agentAnswers:
			if cur == first {
				// Restarted: the new incarnation's own poll goes out before the old answers
				// are taken.
				cur = second
				second.agentChannel(c, true)
				second.agentMessage(c, m)
				busy <- second.agent.busy
			}
		}
	}))
	t.Cleanup(func() {
		sys.Root.Stop(pid)
		first.agentStop()
		second.agentStop()
	})
	sys.Root.Send(pid, begin{})
	if !<-busy {
		t.Fatal("the first incarnation's answers marked the second's poll done while it is out")
	}
}
