package vm

import (
	"testing"

	"github.com/hostagent/hostagent/reply"
)

// The forced part of VM.shutdown is one timer per VM: a later VM.shutdown replaces it, and it is
// stopped as soon as the VM is Down, instead of running out its timeout for a VM that no longer
// needs it. The test driver ignores reboots, so a forced reboot keeps the VM Up with its timer
// armed for as long as the test needs.
func TestForcedShutdownTimerDisarmed(t *testing.T) {
	h := newHarness(t)
	id := "f0000000-0000-4000-8000-000000000001"
	hd := h.create("forced", id)
	reboot := func(r *reply.Reply) any { return &Shutdown{Reply: r, Reboot: true, Force: true, Timeout: 3600} }
	if a := h.verb(id, reboot); a.Error != nil {
		t.Fatalf("forced reboot: %+v", a.Error)
	}
	if n := hd.ForcedShutdownsArmed(); n != 1 {
		t.Fatalf("after a forced reboot: %d timers armed, want 1", n)
	}
	// Superseded: still one.
	if a := h.verb(id, reboot); a.Error != nil {
		t.Fatalf("second forced reboot: %+v", a.Error)
	}
	if n := hd.ForcedShutdownsArmed(); n != 1 {
		t.Fatalf("after a second forced reboot: %d timers armed, want 1", n)
	}
	// Down (the test driver powers off at once on a shutdown without reboot): none.
	if a := h.verb(id, func(r *reply.Reply) any { return &Shutdown{Reply: r, Timeout: 3600} }); a.Error != nil {
		t.Fatalf("shutdown: %+v", a.Error)
	}
	h.waitStatus(id, "Down")
	if n := hd.ForcedShutdownsArmed(); n != 0 {
		t.Fatalf("after Down: %d timers armed, want 0", n)
	}
}

// A forced shutdown whose guest powers off in time leaves no timer behind either.
func TestForcedShutdownTimerStopsAtDown(t *testing.T) {
	h := newHarness(t)
	id := "f0000000-0000-4000-8000-000000000002"
	hd := h.create("forced2", id)
	if a := h.verb(id, func(r *reply.Reply) any { return &Shutdown{Reply: r, Force: true, Timeout: 3600} }); a.Error != nil {
		t.Fatalf("forced shutdown: %+v", a.Error)
	}
	if down := h.waitStatus(id, "Down"); down["exitReason"] != float64(6) {
		t.Fatalf("Down: %v", down)
	}
	if n := hd.ForcedShutdownsArmed(); n != 0 {
		t.Fatalf("after Down: %d timers armed, want 0", n)
	}
}
