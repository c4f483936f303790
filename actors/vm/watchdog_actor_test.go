package vm

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// The test driver has no watchdog device: the test hands the registry the messages virt's
// callbacks make for QEMU's watchdog pause — WATCHDOG with the pause action, then
// SUSPENDED/watchdog, in libvirt's order — and reads them back in VM.getStats and
// Host.getAllVmStats: Paused, and watchdogEvent with VDSM's action name and the time the agent
// heard of it.
func TestWatchdogEventReachesStats(t *testing.T) {
	h := newHarness(t)
	id := "d0900000-0000-4000-8000-000000000001"
	lifecycle := make(chan string, 16)
	h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.libvirtEvent", Action: supervisor.Delay, Fired: lifecycle})
	h.create("watchdog", id)
	for range 2 {
		<-lifecycle // DEFINED and STARTED: the actor takes events of its own run from here on
	}
	h.faults.Clear()

	before := time.Now()
	h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindWatchdog, ID: -1, WatchdogAction: virt.WatchdogPause}})
	h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindLifecycle, ID: -1,
		Type: virt.EventSuspended, Detail: SuspendedWatchdog}})
	// The events go registry → VM actor → registry. A round trip through each, in that order,
	// puts the VM actor's report ahead of the stats requests.
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &List{Reply: r})
	wait()
	if a := h.verb(id, func(r *reply.Reply) any { return &SetDestroyOnRebootVerb{Reply: r} }); a.Error != nil {
		t.Fatal(a.Error)
	}
	after := time.Now()

	type vmStats struct {
		VMID     string `json:"vmId"`
		Status   string `json:"status"`
		Watchdog *struct {
			Time   *float64 `json:"time"`
			Action *string  `json:"action"`
		} `json:"watchdogEvent"`
	}
	for _, m := range []GetStats{{VMID: id}, {All: true}} { // VM.getStats, Host.getAllVmStats
		r, wait = h.reply()
		m.Reply = r
		h.sys.Root.Send(h.reg, &m)
		var stats []vmStats
		if err := json.Unmarshal(wait().Result, &stats); err != nil {
			t.Fatalf("stats (all %t): %v", m.All, err)
		}
		i := slices.IndexFunc(stats, func(s vmStats) bool { return s.VMID == id })
		if i < 0 {
			t.Fatalf("stats (all %t): %s is not there", m.All, id)
		}
		st := stats[i]
		if st.Status != "Paused" || st.Watchdog == nil || st.Watchdog.Time == nil || st.Watchdog.Action == nil {
			t.Fatalf("stats (all %t): status %s, watchdogEvent %+v", m.All, st.Status, st.Watchdog)
		}
		if *st.Watchdog.Action != "pause" {
			t.Errorf("stats (all %t): action %q, want pause", m.All, *st.Watchdog.Action)
		}
		// Taken when the VM actor stepped the event: after it was sent, before the verb behind
		// it was answered.
		at := time.UnixMicro(int64(math.Round(*st.Watchdog.Time * 1e6)))
		if at.Before(before.Truncate(time.Microsecond)) || at.After(after) {
			t.Errorf("stats (all %t): time %v, want within [%v, %v]", m.All, at, before, after)
		}
	}
}
