package vm

import (
	"testing"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
)

// A VM actor restarted after a panic starts afresh from libvirt: the timers its earlier
// incarnation set (the forced shutdown's, the guest agent's poll, the console's action, the
// unplugs') are that incarnation's and stop with it, as they do when the actor stops. Otherwise
// they fire into the new incarnation, whose generations start over and can match theirs, and
// the forced-shutdown count stays up for a timer nobody owns.
func TestRestartStopsTimers(t *testing.T) {
	h := newHarness(t)
	id := "f0000000-0000-4000-8000-0000000000a1"
	hd := h.create("restarted", id)
	if a := h.verb(id, func(r *reply.Reply) any { return &Shutdown{Reply: r, Reboot: true, Force: true, Timeout: 3600} }); a.Error != nil {
		t.Fatalf("forced reboot: %+v", a.Error)
	}
	if n := hd.ForcedShutdownsArmed(); n != 1 {
		t.Fatalf("after a forced reboot: %d timers armed, want 1", n)
	}
	panicked := make(chan string, 1)
	h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.SetDestroyOnRebootVerb", Action: supervisor.Panic, Times: 1, Fired: panicked})
	if a := h.verb(id, func(r *reply.Reply) any { return &SetDestroyOnRebootVerb{Reply: r} }); a.Error == nil {
		t.Fatal("the injected panic was answered as a success")
	}
	<-panicked
	h.faults.Clear()
	// The actor's mailbox is suspended until the restart is done: this verb is the new
	// incarnation's.
	if a := h.verb(id, func(r *reply.Reply) any { return &SetDestroyOnRebootVerb{Reply: r} }); a.Error != nil {
		t.Fatalf("after the restart: %+v", a.Error)
	}
	if n := hd.ForcedShutdownsArmed(); n != 0 {
		t.Fatalf("after the restart: %d forced-shutdown timers armed, want 0", n)
	}
}
