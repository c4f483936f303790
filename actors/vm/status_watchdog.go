package vm

import (
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// libvirt's watchdog actions (virDomainEventWatchdogAction), mirrored as status_libvirt.go
// mirrors its other numbers.
const (
	WatchdogNone      = 0
	WatchdogPause     = 1
	WatchdogReset     = 2
	WatchdogPoweroff  = 3
	WatchdogShutdown  = 4
	WatchdogDebug     = 5
	WatchdogInjectNMI = 6
)

// LibvirtWatchdog is the WATCHDOG event: the guest's watchdog fired and QEMU took Action. A
// pause also arrives as SUSPENDED/watchdog, which stops the vCPUs like any other suspend.
type LibvirtWatchdog struct{ Action int }

func (LibvirtWatchdog) isEvent() {}

// watchdogActions are VDSM's names by libvirt's number (vm.py onWatchdogEvent's actionEnum).
var watchdogActions = [...]string{
	WatchdogNone:     vdsm.WatchdogIgnore,
	WatchdogPause:    vdsm.WatchdogPause,
	WatchdogReset:    vdsm.WatchdogReset,
	WatchdogPoweroff: vdsm.WatchdogDestroy,
	WatchdogShutdown: vdsm.WatchdogShutdown,
	WatchdogDebug:    vdsm.WatchdogLog,
}

// watchdogFired records the last firing, as VDSM's _watchdogEvent does: in memory only, so an
// agent restart or a migration forgets it, as VDSM's does. An action VDSM has no name for
// (inject-nmi) makes VDSM fail half-way, keeping the new time with the previous firing's action;
// here it is reported with no action, which the engine takes, rather than one that did not
// happen.
func watchdogFired(s State, e LibvirtWatchdog, now time.Time) State {
	if s.Status == vdsm.StatusDown {
		return s
	}
	w := &vdsm.WatchdogEvent{Time: float64(now.UnixMicro()) / 1e6}
	if e.Action >= 0 && e.Action < len(watchdogActions) {
		w.Action = watchdogActions[e.Action]
	}
	s.Watchdog = w
	return s
}
