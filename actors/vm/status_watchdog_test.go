package vm

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

func TestWatchdogEvent(t *testing.T) {
	up := State{Status: vdsm.StatusUp, CPURunning: true}
	at := t0.Add(1500 * time.Millisecond)
	when := float64(t0.Unix()) + 1.5
	earlier := &vdsm.WatchdogEvent{Time: float64(t0.Unix()) - 60, Action: vdsm.WatchdogReset}
	tests := []struct {
		name string
		s    State
		e    Event
		want *vdsm.WatchdogEvent
	}{
		{"none is ignore", up, LibvirtWatchdog{Action: WatchdogNone}, &vdsm.WatchdogEvent{Time: when, Action: "ignore"}},
		{"pause", up, LibvirtWatchdog{Action: WatchdogPause}, &vdsm.WatchdogEvent{Time: when, Action: "pause"}},
		{"reset", up, LibvirtWatchdog{Action: WatchdogReset}, &vdsm.WatchdogEvent{Time: when, Action: "reset"}},
		{"poweroff is destroy", up, LibvirtWatchdog{Action: WatchdogPoweroff}, &vdsm.WatchdogEvent{Time: when, Action: "destroy"}},
		{"shutdown", up, LibvirtWatchdog{Action: WatchdogShutdown}, &vdsm.WatchdogEvent{Time: when, Action: "shutdown"}},
		{"debug is log", up, LibvirtWatchdog{Action: WatchdogDebug}, &vdsm.WatchdogEvent{Time: when, Action: "log"}},
		{"a later firing replaces the earlier", State{Status: vdsm.StatusUp, CPURunning: true, Watchdog: earlier},
			LibvirtWatchdog{Action: WatchdogPause}, &vdsm.WatchdogEvent{Time: when, Action: "pause"}},
		// VDSM has no name for inject-nmi: the time, and no action rather than the earlier one.
		{"inject-nmi has no VDSM name", State{Status: vdsm.StatusUp, CPURunning: true, Watchdog: earlier},
			LibvirtWatchdog{Action: WatchdogInjectNMI}, &vdsm.WatchdogEvent{Time: when}},
		{"paused VM", State{Status: vdsm.StatusUp}, LibvirtWatchdog{Action: WatchdogPause}, &vdsm.WatchdogEvent{Time: when, Action: "pause"}},
		{"Down is terminal", State{Status: vdsm.StatusDown}, LibvirtWatchdog{Action: WatchdogReset}, nil},
		{"before Created", State{}, LibvirtWatchdog{Action: WatchdogReset}, nil},
		// QEMU's pause arrives as SUSPENDED/watchdog too: the vCPUs stop, the record stays.
		{"SUSPENDED/watchdog keeps it", State{Status: vdsm.StatusUp, CPURunning: true, Watchdog: earlier},
			LibvirtSuspended{Detail: SuspendedWatchdog}, earlier},
		// Kept in memory only, as VDSM's: a restarted agent does not know it.
		{"recovery forgets it", State{Status: vdsm.StatusUp, CPURunning: true, Watchdog: earlier},
			Recovered{State: DomainPaused, Reason: PausedUnknown}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.s.Watchdog
			s, effects := Step(tt.s, tt.e, at)
			if _, ok := tt.e.(Recovered); !ok && len(effects) != 0 {
				t.Errorf("effects %v, want none", effects)
			}
			switch {
			case tt.want == nil && s.Watchdog != nil:
				t.Errorf("watchdog %+v, want none", *s.Watchdog)
			case tt.want != nil && (s.Watchdog == nil || *s.Watchdog != *tt.want):
				t.Errorf("watchdog %+v, want %+v", s.Watchdog, *tt.want)
			}
			if before != nil && *before != *earlier {
				t.Errorf("the earlier record was changed in place: %+v", *before)
			}
		})
	}
}

// QEMU's pause: SUSPENDED/watchdog stops the vCPUs, the VM reads Paused with no pause code
// (VDSM's _handle_libvirt_domain_suspended reads one only for an IO error).
func TestWatchdogPauseReadsPaused(t *testing.T) {
	s := State{Status: vdsm.StatusUp, CPURunning: true}
	s, _ = Step(s, LibvirtWatchdog{Action: WatchdogPause}, t0)
	s, _ = Step(s, LibvirtSuspended{Detail: SuspendedWatchdog}, t0)
	if got := Reported(s, t0); got != vdsm.StatusPaused || s.PauseCode != "" || s.Watchdog == nil {
		t.Fatalf("after a watchdog pause: %s, pauseCode %q, watchdog %v", got, s.PauseCode, s.Watchdog)
	}
}

// VM.getStats carries the record with VDSM's types (time a number, action a string), and no
// watchdogEvent key before the watchdog fired; a Down VM's record has none either.
func TestWatchdogStats(t *testing.T) {
	clock := NewClock(t0, time.Hour)
	s := State{Status: vdsm.StatusUp, CPURunning: true, StartTime: t0.UnixMilli()}
	key := func(s State) string {
		b, err := json.Marshal(BuildStats("id", "name", s, nil, nil, DomainInfo{Type: "kvm"}, t0, clock, 0, true))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return string(m["watchdogEvent"])
	}
	if got := key(s); got != "" {
		t.Errorf("before a firing: watchdogEvent %s", got)
	}
	s, _ = Step(s, LibvirtWatchdog{Action: WatchdogReset}, time.Unix(1765000000, 250_000_000))
	if got, want := key(s), `{"time":1765000000.25,"action":"reset"}`; got != want {
		t.Errorf("watchdogEvent %s, want %s", got, want)
	}
	s.Status = vdsm.StatusDown
	if got := key(s); got != "" {
		t.Errorf("Down VM: watchdogEvent %s", got)
	}
}

// The status machine's copy of libvirt's numbers is libvirt's.
func TestWatchdogActionNumbers(t *testing.T) {
	pairs := [][2]int{{WatchdogNone, virt.WatchdogNone}, {WatchdogPause, virt.WatchdogPause}, {WatchdogReset, virt.WatchdogReset},
		{WatchdogPoweroff, virt.WatchdogPoweroff}, {WatchdogShutdown, virt.WatchdogShutdown}, {WatchdogDebug, virt.WatchdogDebug},
		{WatchdogInjectNMI, virt.WatchdogInjectNMI}}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("watchdog action %d here is %d in libvirt", p[0], p[1])
		}
	}
}
