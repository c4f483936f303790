package vm

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/virt"
)

// A SPICE session is a connection per channel, each with libvirt's graphics events of its own
// (the QEMU lane's TestQEMUSpiceTicket sees them): the console's disconnect action starts only
// when the session's last initialized channel has gone, whichever went first. The libvirt test
// driver raises no graphics events, so the test feeds them to the console in an actor of its own
// and reads, after each, whether the grace before the action is running.
func TestConsoleActionWaitsForTheLastClient(t *testing.T) {
	sys := actor.NewActorSystem()
	a := &vmActor{}
	armed := make(chan bool)
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if g, ok := c.Message().(virt.Graphics); ok {
			a.graphicsEvent(c, g)
			armed <- a.con.timer != nil
		}
	}))
	t.Cleanup(func() { sys.Root.Stop(pid) })
	ev := func(phase int, port string) virt.Graphics {
		return virt.Graphics{Phase: phase, ClientNode: "192.0.2.7", ClientPort: port, AuthScheme: "spice"}
	}
	for i, step := range []struct {
		what  string
		ev    virt.Graphics
		armed bool
	}{
		{"main channel initialized", ev(virt.GraphicsInitialize, "40001"), false},
		{"display channel initialized", ev(virt.GraphicsInitialize, "40002"), false},
		{"display channel gone, main still there", ev(virt.GraphicsDisconnect, "40002"), false},
		{"a client that never logged in gone", ev(virt.GraphicsDisconnect, "40009"), false},
		{"a connection refused at login", ev(virt.GraphicsConnect, "40010"), false},
		{"main channel gone: the session is", ev(virt.GraphicsDisconnect, "40001"), true},
		{"reconnected within the grace", ev(virt.GraphicsInitialize, "40003"), false},
		{"the reconnected session gone", ev(virt.GraphicsDisconnect, "40003"), true},
	} {
		sys.Root.Send(pid, step.ev)
		if got := <-armed; got != step.armed {
			t.Fatalf("step %d, %s: disconnect action pending %v, want %v", i, step.what, got, step.armed)
		}
	}
}
