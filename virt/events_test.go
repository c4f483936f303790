package virt

import (
	"testing"

	"libvirt.org/go/libvirt"
)

// The test driver raises neither IO-error nor RTC-change events; their conversion is checked
// here on libvirt's own event values.
func TestIOErrorAndRTCEventConversion(t *testing.T) {
	e := ioErrorEvent("u1", 7, &libvirt.DomainEventIOErrorReason{SrcPath: "/images/a.img", DevAlias: "ua-disk0",
		Action: libvirt.DOMAIN_EVENT_IO_ERROR_PAUSE, Reason: "enospc"})
	want := Event{UUID: "u1", Kind: KindIOError, ID: 7, IOError: IOError{Path: "/images/a.img", Alias: "ua-disk0", Action: IOErrorPause, Reason: "enospc"}}
	if e != want {
		t.Errorf("IO error event: %+v, want %+v", e, want)
	}
	r := rtcChangeEvent("u1", 7, &libvirt.DomainEventRTCChange{Utcoffset: -3600})
	if r != (Event{UUID: "u1", Kind: KindRTCChange, ID: 7, RTCOffset: -3600}) {
		t.Errorf("RTC change event: %+v", r)
	}
}

// Every event kind the agent acts on registers on the test driver too.
func TestSubscribeRegistersEveryKind(t *testing.T) {
	c := openPrivate(t)
	cancel, err := c.Subscribe(func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	c.mu.Lock()
	n := len(c.events)
	c.mu.Unlock()
	if n != 9 {
		t.Fatalf("%d registrations, want 9 (lifecycle, reboot, IO error, RTC change, device removed, graphics, job completed, agent lifecycle, watchdog)", n)
	}
}
