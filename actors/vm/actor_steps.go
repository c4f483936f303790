package vm

// How the VM actor (actor.go) turns libvirt's events and the outcome of its own calls into steps
// of the status machine, carries out the effects each step returns, and reports to the registry.

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

func (a *vmActor) event(c actor.Context, e virt.Event) {
	switch e.Kind {
	case virt.KindDeviceRemoved:
		a.deviceRemoved(c, e.Alias)
		return
	case virt.KindGraphics:
		a.graphicsEvent(c, e.Graphics)
		return
	}
	started := e.Kind == virt.KindLifecycle && e.Type == virt.EventStarted
	if a.stale {
		if !started || (a.startedID >= 0 && e.ID != a.startedID) {
			return
		}
		a.stale = false
	}
	var ev Event
	switch e.Kind {
	case virt.KindReboot:
		a.agentRebooted() // guestagent_actor.go
		ev = LibvirtReboot{}
	case virt.KindIOError:
		ev = a.ioError(e.IOError)
	case virt.KindRTCChange:
		ev = LibvirtRTCChange{Offset: e.RTCOffset}
	case virt.KindWatchdog:
		ev = LibvirtWatchdog{Action: e.WatchdogAction}
	case virt.KindLifecycle:
		switch e.Type {
		case virt.EventStarted:
			ev = LibvirtStarted{Detail: e.Detail}
		case virt.EventSuspended:
			ev = LibvirtSuspended{Detail: e.Detail}
		case virt.EventResumed:
			ev = LibvirtResumed{Detail: e.Detail}
		case virt.EventStopped:
			ev = LibvirtStopped{Detail: e.Detail}
		case virt.EventShutdown:
			ev = LibvirtShutdown{Detail: e.Detail}
		case virt.EventUndefined:
			if a.state.Removing {
				return
			}
			ev = DomainMissing{}
		case virt.EventDefined:
			a.refreshXML(c)
			return
		default:
			return
		}
	case virt.KindAgent:
		a.agentChannel(c, e.AgentConnected) // guestagent_actor.go
		return
	default:
		return
	}
	a.step(c, ev)
	if started {
		a.refreshXML(c)
	}
}

// ioError names the failed disk as VDSM's ioerror payload does: its alias, target and source,
// from the domain XML (libvirt's path is the fallback when the alias is not there).
func (a *vmActor) ioError(e virt.IOError) LibvirtIOError {
	out := LibvirtIOError{Alias: e.Alias, Path: e.Path, Reason: e.Reason, Action: e.Action}
	for _, d := range a.info.Disks {
		if d.Alias != "" && d.Alias == e.Alias {
			out.Name, out.Path = d.Target, d.Source
			break
		}
	}
	return out
}

// step applies an event and carries out its effects: the state and its events are reported
// first, then effects that may lead to further steps (a destroy) run, so reports stay in order.
// A domain the agent destroys on its own account that is already off counts as destroyed.
func (a *vmActor) step(c actor.Context, e Event) { _ = a.stepWith(c, e, destroyHow{graceful: 1}) }

// destroyHow is how a DestroyDomain effect destroys. strict (VM.destroy) returns a failed
// destroy, a domain already off included, instead of taking it as done: VDSM answers 42 then
// (vm.py _destroyVmGraceful gives destroyErr for any libvirt error while the VM is not Down).
// graceful is VDSM's gracefulAttempts: 1 wherever VDSM destroys with its default.
type destroyHow struct {
	strict   bool
	graceful int
}

// stepWith is step, destroying as how says.
func (a *vmActor) stepWith(c actor.Context, e Event, how destroyHow) error {
	var effects []Effect
	a.state, effects = Step(a.state, e, time.Now())
	a.migrationStepped() // migrate.go
	if a.state.Status == vdsm.StatusDown {
		a.disarm() // nothing left to force; before the report, so whoever sees Down sees it
	}
	var emit []EmitStatus
	var later []Effect
	remove := false
	for _, f := range effects {
		switch f := f.(type) {
		case EmitStatus:
			emit = append(emit, f)
		case Remove:
			remove = true
		case SaveMetadata:
			a.saveMetadata(f.Meta)
		default:
			later = append(later, f)
		}
	}
	if remove {
		for _, f := range later {
			if _, ok := f.(DestroyDomain); ok {
				// Whatever a start in progress brought up goes before the definition does.
				_ = a.call(a.lv.Destroy)
			}
		}
		a.remove(c, emit)
		return nil
	}
	a.reportEmit(c, emit)
	var failed error
	for _, f := range later {
		if _, ok := f.(DestroyDomain); ok {
			if err := a.destroyDomain(c, how); err != nil && failed == nil {
				failed = err
			}
		}
	}
	return failed
}

func (a *vmActor) destroyDomain(c actor.Context, how destroyHow) error {
	err := a.call(func(id string) error {
		return destroyWith(how.graceful, func() error { return a.lv.DestroyGraceful(id) }, func() error { return a.lv.Destroy(id) })
	})
	off := errors.Is(err, virt.ErrNotRunning) || errors.Is(err, virt.ErrNoDomain)
	if err == nil || (off && !how.strict) {
		a.step(c, DestroyDone{})
		return nil
	}
	if !how.strict {
		a.log.Error().Err(err).Msg("destroy failed")
	}
	return err
}

// destroyWith is vm.py _destroyVm: libvirt's graceful destroy (SIGTERM, then a wait) up to
// attempts times, then the forceful one (SIGKILL) only when none was tried or the last failed
// in a way that says the process is stuck (OPERATION_FAILED, SYSTEM_ERROR), not when the domain
// is gone or off, which a forceful destroy would not change.
func destroyWith(attempts int, graceful, forceful func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = graceful(); err == nil {
			return nil
		}
	}
	if attempts > 0 && !stuck(err) {
		return err
	}
	return forceful()
}

func stuck(err error) bool {
	var e *virt.Error
	return errors.As(err, &e) && (e.Code == virt.CodeOperationFailed || e.Code == virt.CodeSystemError)
}

func (a *vmActor) saveMetadata(meta Metadata) {
	err := a.call(func(id string) error {
		return a.lv.SetMetadata(id, MetadataXML(meta), MetadataPrefix, MetadataNamespace)
	})
	if err != nil && !errors.Is(err, virt.ErrNoDomain) {
		a.log.Warn().Err(err).Msg("saving VM metadata")
	}
}

// refreshXML reads libvirt's live XML of the domain into the actor and the registry, and
// returns it ("" when libvirt had none to give).
func (a *vmActor) refreshXML(c actor.Context) string {
	var x string
	err := a.call(func(id string) error {
		var err error
		x, err = a.lv.XML(id)
		return err
	})
	if err != nil {
		return ""
	}
	info, err := ParseDomainXML(x)
	if err != nil {
		return ""
	}
	a.info = info
	c.Send(a.registry, &stateChanged{id: a.id, state: a.state, info: &info, xml: x})
	return x
}

func (a *vmActor) remove(c actor.Context, emit []EmitStatus) {
	err := a.call(a.lv.Undefine)
	if err != nil && !errors.Is(err, virt.ErrNoDomain) {
		a.log.Error().Err(err).Msg("undefine failed; the VM is removed all the same")
	}
	if err := removePayloads(a.payloadDir, a.id); err != nil {
		a.log.Warn().Err(err).Msg("removing the VM's payload images")
	}
	c.Send(a.registry, &stateChanged{id: a.id, state: a.state, emit: emit, remove: true})
	// Verbs already reserved (looked up before the registry dropped the VM) are still on their
	// way: stopping now would lose them unanswered, a request in flight until its deadline.
	a.removed = true
	a.h.gone.Store(true)
	a.stopOnceAnswered(c)
}

// afterRemoval handles what reaches the actor once its VM is removed: a verb is answered as
// about a VM that does not exist (as VDSM answers one for a VM it just released), anything else
// is dropped; the actor stops once no reserved verb is left on its way. false: a lifecycle
// message, handled as usual.
func (a *vmActor) afterRemoval(c actor.Context) bool {
	switch m := c.Message().(type) {
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
		return false
	case interface{ Answer() *reply.Reply }:
		a.h.taken()
		fail(m.Answer(), vdsm.NoSuchVM(a.id))
	}
	a.stopOnceAnswered(c)
	return true
}

func (a *vmActor) stopOnceAnswered(c actor.Context) {
	if a.h.pending.Load() <= 0 {
		c.Stop(c.Self())
	}
}

func (a *vmActor) report(c actor.Context, emit []EmitStatus, withInfo bool) {
	msg := &stateChanged{id: a.id, state: a.state, emit: emit}
	if withInfo {
		info := a.info
		msg.info = &info
		msg.xml = a.xml
	}
	c.Send(a.registry, msg)
}

func (a *vmActor) reportEmit(c actor.Context, emit []EmitStatus) { a.report(c, emit, false) }

// resync steps the VM to match its domain as libvirt lists it after a reconnect, as the lifecycle
// events missed in the gap would have.
func (a *vmActor) resync(c actor.Context, d *virt.Domain) {
	if d == nil {
		if a.state.Status != vdsm.StatusDown {
			a.step(c, DomainMissing{})
		}
		return
	}
	running := d.State == virt.StateRunning || d.State == virt.StateBlocked || d.State == virt.StateShutdown
	switch {
	case d.State == virt.StateShutoff || d.State == virt.StateCrashed:
		if a.state.Status != vdsm.StatusDown {
			detail := d.Reason - 1 // shut-off reasons are the STOPPED details, one up
			if detail < 0 {
				detail = 5 // unknown: failed
			}
			a.step(c, LibvirtStopped{Detail: detail})
		}
	case d.State == virt.StatePaused && a.state.CPURunning:
		a.step(c, LibvirtSuspended{})
	case running && !a.state.CPURunning && a.state.Status != vdsm.StatusDown:
		a.step(c, LibvirtResumed{})
	}
}
