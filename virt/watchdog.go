package virt

import "libvirt.org/go/libvirt"

// Watchdog actions, as libvirt numbers them (virDomainEventWatchdogAction): what QEMU did when
// the guest's watchdog device fired. VDSM names the first six (vm.py onWatchdogEvent);
// inject-nmi came later and VDSM has no name for it.
const (
	WatchdogNone      = int(libvirt.DOMAIN_EVENT_WATCHDOG_NONE)
	WatchdogPause     = int(libvirt.DOMAIN_EVENT_WATCHDOG_PAUSE)
	WatchdogReset     = int(libvirt.DOMAIN_EVENT_WATCHDOG_RESET)
	WatchdogPoweroff  = int(libvirt.DOMAIN_EVENT_WATCHDOG_POWEROFF)
	WatchdogShutdown  = int(libvirt.DOMAIN_EVENT_WATCHDOG_SHUTDOWN)
	WatchdogDebug     = int(libvirt.DOMAIN_EVENT_WATCHDOG_DEBUG)
	WatchdogInjectNMI = int(libvirt.DOMAIN_EVENT_WATCHDOG_INJECTNMI)
)

// PausedWatchdog is the reason of a domain QEMU paused for its watchdog (virDomainPausedReason).
const PausedWatchdog = int(libvirt.DOMAIN_PAUSED_WATCHDOG)

// registerWatchdog delivers libvirt's watchdog events (the guest's watchdog fired) as
// KindWatchdog, the action as libvirt's number: naming it is the VM's business.
func registerWatchdog(lc *libvirt.Connect, h Handler) (int, error) {
	return lc.DomainEventWatchdogRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventWatchdog) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(watchdogEvent(uuid, domainID(d), e))
		}
	})
}

func watchdogEvent(uuid string, id int, e *libvirt.DomainEventWatchdog) Event {
	return Event{UUID: uuid, Kind: KindWatchdog, ID: id, WatchdogAction: int(e.Action)}
}
