package virt

import (
	"testing"

	"libvirt.org/go/libvirt"
)

// The test driver raises no watchdog events (the QEMU lane's TestQEMUWatchdog has a real one);
// the conversion is checked here on libvirt's own event value.
func TestWatchdogEventConversion(t *testing.T) {
	e := watchdogEvent("u1", 7, &libvirt.DomainEventWatchdog{Action: libvirt.DOMAIN_EVENT_WATCHDOG_PAUSE})
	if want := (Event{UUID: "u1", Kind: KindWatchdog, ID: 7, WatchdogAction: WatchdogPause}); e != want {
		t.Errorf("watchdog event: %+v, want %+v", e, want)
	}
}
