package virt

import (
	"math"

	"libvirt.org/go/libvirt"
)

// Lifecycle events, as libvirt numbers them (virDomainEventType).
const (
	EventDefined     = int(libvirt.DOMAIN_EVENT_DEFINED)
	EventUndefined   = int(libvirt.DOMAIN_EVENT_UNDEFINED)
	EventStarted     = int(libvirt.DOMAIN_EVENT_STARTED)
	EventSuspended   = int(libvirt.DOMAIN_EVENT_SUSPENDED)
	EventResumed     = int(libvirt.DOMAIN_EVENT_RESUMED)
	EventStopped     = int(libvirt.DOMAIN_EVENT_STOPPED)
	EventShutdown    = int(libvirt.DOMAIN_EVENT_SHUTDOWN)
	EventPMSuspended = int(libvirt.DOMAIN_EVENT_PMSUSPENDED)
	EventCrashed     = int(libvirt.DOMAIN_EVENT_CRASHED)
)

// Kind says which of libvirt's domain events an Event is.
type Kind int

const (
	KindLifecycle     Kind = iota // Type and Detail are set
	KindReboot                    // the guest rebooted
	KindIOError                   // IOError is set: a disk error, and what QEMU did about it
	KindRTCChange                 // RTCOffset is set: the guest set its clock
	KindDeviceRemoved             // Alias is set: a device left the running domain (devices.go)
	KindGraphics                  // Graphics is set: a console client came or went (devices.go)
	KindJobCompleted              // Job is set: a job of the domain completed (migrate.go)
	KindAgent                     // AgentConnected is set: the guest agent's channel (guestagent.go)
	KindWatchdog                  // WatchdogAction is set: the guest's watchdog fired (watchdog.go)
)

// IO error actions, as libvirt numbers them (virDomainEventIOErrorAction).
const (
	IOErrorNone   = int(libvirt.DOMAIN_EVENT_IO_ERROR_NONE)
	IOErrorPause  = int(libvirt.DOMAIN_EVENT_IO_ERROR_PAUSE)
	IOErrorReport = int(libvirt.DOMAIN_EVENT_IO_ERROR_REPORT)
)

// IOError is an IO_ERROR_REASON event's payload.
type IOError struct {
	Path   string // the disk's source
	Alias  string // the disk's device alias
	Action int    // IOErrorPause: the domain was paused
	Reason string // "enospc", or "" when libvirt gives no reason
}

// Event is a domain event, reduced to plain values.
type Event struct {
	UUID   string
	Kind   Kind
	Type   int
	Detail int
	// ID is the domain's id when the event was raised: a new one at each start, -1 when it
	// is not running. It tells the events of one run of a domain from those of an earlier
	// run under the same UUID.
	ID        int
	IOError   IOError
	RTCOffset int64  // seconds from the host's UTC
	Alias     string // the device's alias (KindDeviceRemoved)
	Graphics  Graphics
	Job       JobCompleted
	// AgentConnected: QEMU's guest agent channel connected (false: disconnected).
	AgentConnected bool
	WatchdogAction int // a Watchdog* action (KindWatchdog)
}

// Handler receives events on libvirt's event-loop goroutine. It must only hand the event off:
// anything slow there stalls every event and the connection's keepalive.
type Handler func(Event)

// Subscribe registers h for the domain events the agent acts on — lifecycle, reboot, IO error
// (with reason), RTC change, watchdog and the rest register() lists — of every domain, on this connection and on every one that
// replaces it after a loss. The returned function deregisters them (a registration holds a
// reference on the connection).
func (c *Conn) Subscribe(h Handler) (cancel func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, err := register(c.lc(), h)
	if err != nil {
		return nil, err
	}
	c.handlers = append(c.handlers, h)
	c.events = append(c.events, ids...)
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, id := range c.events {
			_ = c.lc().DomainEventDeregister(id)
		}
		c.events, c.handlers = nil, nil
	}, nil
}

func register(lc *libvirt.Connect, h Handler) ([]int, error) {
	var ids []int
	fail := func(what string, err error) ([]int, error) {
		for _, id := range ids {
			_ = lc.DomainEventDeregister(id)
		}
		return nil, wrap("register "+what+" events", "", err)
	}
	// Each callback runs on the event loop: it reads the UUID (kept in the handle, no call to
	// the daemon) and hands the event off.
	id, err := lc.DomainEventLifecycleRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventLifecycle) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(Event{UUID: uuid, Kind: KindLifecycle, Type: int(e.Event), Detail: e.Detail, ID: domainID(d)})
		}
	})
	if err != nil {
		return fail("lifecycle", err)
	}
	ids = append(ids, id)
	id, err = lc.DomainEventRebootRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(Event{UUID: uuid, Kind: KindReboot, ID: domainID(d)})
		}
	})
	if err != nil {
		return fail("reboot", err)
	}
	ids = append(ids, id)
	id, err = lc.DomainEventIOErrorReasonRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventIOErrorReason) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(ioErrorEvent(uuid, domainID(d), e))
		}
	})
	if err != nil {
		return fail("IO error", err)
	}
	ids = append(ids, id)
	id, err = lc.DomainEventRTCChangeRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventRTCChange) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(rtcChangeEvent(uuid, domainID(d), e))
		}
	})
	if err != nil {
		return fail("RTC change", err)
	}
	ids = append(ids, id)
	if id, err = registerDeviceRemoved(lc, h); err != nil {
		return fail("device removed", err)
	}
	ids = append(ids, id)
	if id, err = registerGraphics(lc, h); err != nil {
		return fail("graphics", err)
	}
	ids = append(ids, id)
	if id, err = registerJobCompleted(lc, h); err != nil {
		return fail("job completed", err)
	}
	ids = append(ids, id)
	if id, err = registerAgentLifecycle(lc, h); err != nil {
		return fail("agent lifecycle", err)
	}
	ids = append(ids, id)
	if id, err = registerWatchdog(lc, h); err != nil {
		return fail("watchdog", err)
	}
	return append(ids, id), nil
}

func ioErrorEvent(uuid string, id int, e *libvirt.DomainEventIOErrorReason) Event {
	return Event{UUID: uuid, Kind: KindIOError, ID: id,
		IOError: IOError{Path: e.SrcPath, Alias: e.DevAlias, Action: int(e.Action), Reason: e.Reason}}
}

func rtcChangeEvent(uuid string, id int, e *libvirt.DomainEventRTCChange) Event {
	return Event{UUID: uuid, Kind: KindRTCChange, ID: id, RTCOffset: e.Utcoffset}
}

// domainID is d's id, -1 when it is not running. libvirt keeps it in the handle: no call to the
// daemon, so it is safe on the event loop.
func domainID(d *libvirt.Domain) int {
	id, err := d.GetID()
	if err != nil || id > math.MaxInt32 {
		return -1
	}
	return int(id)
}
