package main

import (
	"testing"
)

// The engine's text for VmGracefulShutdownMessage (its config default), sent with every graceful
// stop of a VM.
const engineShutdownMessage = "System Administrator has initiated shutdown of this Virtual Machine. Virtual Machine is shutting down."

// The engine stops a VM gracefully (DestroyVDSCommand with gracefully set) as VM.shutdown with
// only vmID, delay as a string and message, then removes it with VM.destroy {vmID}: the VM goes
// Down as an admin shutdown and is then gone.
func TestEngineGracefulStop(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	id := "e5000000-0000-4000-8000-000000000001"
	createVM(t, c, "engine-stop", id)
	ev.wait(id, "Powering up")
	res, err := c.Call("VM.shutdown", map[string]any{"vmID": id, "delay": "30", "message": engineShutdownMessage})
	if err != nil || string(res) != "true" {
		t.Fatalf("VM.shutdown as the engine sends it: %s %v", res, err)
	}
	if down := ev.wait(id, "Down"); down["exitReason"] != float64(6) || down["exitCode"] != float64(0) {
		t.Fatalf("Down after the engine's shutdown: %v", down)
	}
	if res, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil || string(res) != "true" {
		t.Fatalf("VM.destroy {vmID}: %s %v", res, err)
	}
	if e := rpcError(t, c, "VM.getStats", map[string]any{"vmID": id}); e.Code != 1 {
		t.Fatalf("VM.getStats after VM.destroy: %+v", e)
	}
}

// The engine reboots a VM (RebootVmBrokerVDSCommand) as VM.shutdown with delay as a string,
// message and reboot true: the VM stays, reported RebootInProgress, and no Down is sent.
func TestEngineReboot(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	id := "e5000000-0000-4000-8000-000000000002"
	createVM(t, c, "engine-reboot", id)
	ev.wait(id, "Powering up")
	res, err := c.Call("VM.shutdown", map[string]any{"vmID": id, "delay": "30", "message": engineShutdownMessage, "reboot": true})
	if err != nil || string(res) != "true" {
		t.Fatalf("VM.shutdown with reboot: %s %v", res, err)
	}
	if st := vmStatsOf(t, c, id); st["status"] != "RebootInProgress" {
		t.Fatalf("status after the engine's reboot: %v", st["status"])
	}
	// The test driver ignores reboots: the VM stays, with no event of its own before the next
	// VM's start.
	marker := "e5000000-0000-4000-8000-000000000003"
	createVM(t, c, "engine-reboot-marker", marker)
	ev.noEventFor(id, marker)
	if res, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil || string(res) != "true" {
		t.Fatalf("VM.destroy: %s %v", res, err)
	}
	if down := ev.wait(id, "Down"); down["exitReason"] != float64(6) {
		t.Fatalf("Down after the destroy: %v", down)
	}
}

// What Python takes as false ("" or 0) gets VDSM's defaults rather than an error; what int()
// or a boolean cannot be is refused naming the parameter.
func TestEngineShutdownParams(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	for i, p := range []map[string]any{
		{"delay": "", "message": ""},
		{"delay": 0},
		{"delay": "0", "reboot": "true"},
		{"delay": 5, "reboot": false},
	} {
		id := "e5000000-0000-4000-8000-00000000010" + string(rune('0'+i))
		createVM(t, c, "engine-params-"+string(rune('a'+i)), id)
		p["vmID"] = id
		if res, err := c.Call("VM.shutdown", p); err != nil || string(res) != "true" {
			t.Fatalf("VM.shutdown %v: %s %v", p, res, err)
		}
	}
	id := "e5000000-0000-4000-8000-000000000110"
	createVM(t, c, "engine-params-bad", id)
	for _, p := range []map[string]any{
		{"vmID": id, "delay": "soon"},
		{"vmID": id, "delay": true},
		{"vmID": id, "message": 7},
		{"vmID": id, "reboot": "maybe"},
	} {
		if e := rpcError(t, c, "VM.shutdown", p); e.Code != -32602 {
			t.Fatalf("VM.shutdown %v: %+v, want -32602", p, e)
		}
	}
	if st := vmStatsOf(t, c, id); st["status"] == "Down" || st["status"] == "Powering down" {
		t.Fatalf("a refused VM.shutdown acted: %v", st["status"])
	}
}

// VM.destroy's gracefulAttempts (VDSM's API, used by vdsm-client): any count of graceful tries,
// 0 straight to the forceful destroy, ends Down and removed; a count that is not a JSON integer
// is refused, as VDSM's range() refuses it.
func TestDestroyGracefulAttempts(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	for i, n := range []int{0, 1, 3} {
		id := "e5000000-0000-4000-8000-00000000020" + string(rune('0'+i))
		createVM(t, c, "graceful-"+string(rune('a'+i)), id)
		ev.wait(id, "Powering up")
		if res, err := c.Call("VM.destroy", map[string]any{"vmID": id, "gracefulAttempts": n}); err != nil || string(res) != "true" {
			t.Fatalf("VM.destroy gracefulAttempts=%d: %s %v", n, res, err)
		}
		if down := ev.wait(id, "Down"); down["exitReason"] != float64(6) {
			t.Fatalf("Down after VM.destroy gracefulAttempts=%d: %v", n, down)
		}
		if e := rpcError(t, c, "VM.getStats", map[string]any{"vmID": id}); e.Code != 1 {
			t.Fatalf("VM.getStats after VM.destroy gracefulAttempts=%d: %+v", n, e)
		}
	}
	id := "e5000000-0000-4000-8000-000000000210"
	createVM(t, c, "graceful-bad", id)
	if e := rpcError(t, c, "VM.destroy", map[string]any{"vmID": id, "gracefulAttempts": "2"}); e.Code != -32602 {
		t.Fatalf("VM.destroy with gracefulAttempts as a string: %+v", e)
	}
	if st := vmStatsOf(t, c, id); st["status"] == "Down" {
		t.Fatalf("a refused VM.destroy acted: %v", st)
	}
}
