package virt

import (
	"libvirt.org/go/libvirt"
	"math"
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

// Event is a domain event, reduced to plain values. Reboot is set for a guest reboot (libvirt's
// REBOOT event, which is not a lifecycle event).
type Event struct {
	UUID   string
	Type   int
	Detail int
	Reboot bool
	// ID is the domain's id when the event was raised: a new one at each start, -1 when it
	// is not running. It tells the events of one run of a domain from those of an earlier
	// run under the same UUID.
	ID int
}

// Handler receives events on libvirt's event-loop goroutine. It must only hand the event off:
// anything slow there stalls every event and the connection's keepalive.
type Handler func(Event)

// Subscribe registers h for lifecycle and reboot events of every domain, on this connection and
// on every one that replaces it after a loss. The returned function deregisters them (a
// registration holds a reference on the connection).
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
	life, err := lc.DomainEventLifecycleRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventLifecycle) {
		uuid, err := d.GetUUIDString()
		if err != nil {
			return
		}
		h(Event{UUID: uuid, Type: int(e.Event), Detail: e.Detail, ID: domainID(d)})
	})
	if err != nil {
		return nil, wrap("register lifecycle events", "", err)
	}
	reboot, err := lc.DomainEventRebootRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain) {
		uuid, err := d.GetUUIDString()
		if err != nil {
			return
		}
		h(Event{UUID: uuid, Reboot: true, ID: domainID(d)})
	})
	if err != nil {
		_ = lc.DomainEventDeregister(life)
		return nil, wrap("register reboot events", "", err)
	}
	return []int{life, reboot}, nil
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
