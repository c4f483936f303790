package main

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/hostagent/hostagent/virt"
)

// A guest's watchdog fires (the QEMU lane): the guest of .ci/qemu-guest.sh arms the i6300esb that
// QEMU emulates (hostagent.watchdog=1) and never feeds it. With action pause QEMU stops the vCPUs
// and libvirt raises WATCHDOG (pause) and SUSPENDED/watchdog: VM.getStats and Host.getAllVmStats
// carry watchdogEvent as VDSM sends it, {time: seconds since the epoch, action: "pause"}, and the
// VM is Paused. The engine audits WATCHDOG_EVENT from it (VmAnalyzer.proceedWatchdogEvents).
func TestQEMUWatchdog(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	before := time.Now()
	g := q.create(t, c, "watchdog", "c8c8c8c8-0000-4000-8000-000000000001", "hostagent.watchdog=1",
		withDevices(`<watchdog model='i6300esb' action='pause'/>`))
	ev.wait(g.id, "Powering up")
	g.waitLog(t, "HOSTAGENT-GUEST: watchdog armed", 1)

	var st map[string]any
	libvirtdEventually(t, qemuEventLimit, "no watchdogEvent with a Paused status in VM.getStats", func() bool {
		st = vmStatsOf(t, c, g.id)
		return st["watchdogEvent"] != nil && st["status"] == "Paused"
	})
	after := time.Now()
	wd, _ := st["watchdogEvent"].(map[string]any)
	at, ok := wd["time"].(float64)
	if !ok || wd["action"] != "pause" || len(wd) != 2 {
		t.Fatalf("watchdogEvent %v, want {time: a number, action: pause}", st["watchdogEvent"])
	}
	// The agent took the time when libvirt's event reached the VM: after the guest was created,
	// before VM.getStats showed it.
	if when := time.UnixMicro(int64(math.Round(at * 1e6))); when.Before(before) || when.After(after) {
		t.Fatalf("watchdogEvent time %v, want within [%v, %v]", when, before, after)
	}
	if _, state, reason, _ := q.domain(t, g); state != virt.StatePaused || reason != virt.PausedWatchdog {
		t.Fatalf("libvirt has %s in state %d reason %d, want paused by the watchdog", g.name, state, reason)
	}
	if all := allVMStats(t, c)[g.id]; !reflect.DeepEqual(all["watchdogEvent"], st["watchdogEvent"]) {
		t.Fatalf("Host.getAllVmStats has watchdogEvent %v, VM.getStats %v", all["watchdogEvent"], st["watchdogEvent"])
	}
	t.Logf("watchdogEvent %v (%v after the guest was created)", st["watchdogEvent"], time.UnixMicro(int64(math.Round(at*1e6))).Sub(before))

	if _, err := c.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	ev.wait(g.id, "Down")
}
