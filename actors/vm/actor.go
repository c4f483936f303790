package vm

// The VM actor, one per VM, a child of the registry.
//
// Owns: its libvirt domain (the only actor that calls libvirt for it), the VM's status-machine
// State, its DomainInfo, and its forced-shutdown timer. Writes its Handle's counters (busy call,
// queued verbs, armed timer), which workers read without asking.
//
// Takes: the verbs Destroy, Shutdown, Reset, Pause, Cont, SetDestroyOnRebootVerb (each answered
// here, once); libvirtEvent (routed by the registry); resync (after a libvirt reconnect);
// shutdownTimedOut (its own timer); agentTick and agentAnswers (QEMU's guest agent, polled off
// its turn: guestagent_actor.go).
//
// Sends: stateChanged to the registry after every step (the read model follows it and publishes
// the status events it carries); answers on the verbs' replies; shutdownTimedOut to itself;
// DomainNetworks and ProvideDomainNetworks to the host actor before it defines (engine.go),
// EnsureDummyBridge to the network actor when a NIC is on no network (dummybridge.go).

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/virt"
)

// vmActor owns one domain. Every verb on the VM and every libvirt event about it is a message
// here, so operations on one VM never interleave; its status logic is Step, and this actor only
// carries out the effects Step returns (actor_steps.go).
type vmActor struct {
	id       string
	lv       *virt.Conn
	h        *Handle
	registry *actor.PID
	log      zerolog.Logger

	// How the actor came to be: created by VM.create (xml set), recovered at start (rec set,
	// announce: push its status once the agent is ready), or restarted after a panic (reread:
	// whatever the first incarnation did, libvirt has the truth now).
	xml      string
	engine   *engineParams
	rec      *Recovered
	announce bool
	reread   bool
	ran      *atomic.Bool
	// payloadDir is where the VM's payload images are built, and removed from with the VM.
	payloadDir string
	// hostActor owns the host's networks a domain names; hostWait bounds a wait for its answer
	// (engine.go).
	hostActor *actor.PID
	hostWait  time.Duration
	// netActor makes the dummy bridge (dummybridge.go); nil when the agent does not manage the
	// host's networks. Its answer is waited for within hostWait too.
	netActor *actor.PID

	state   State
	info    DomainInfo
	shutGen int
	// forced is the pending forced-shutdown deadline of VM.shutdown with force, nil when none.
	// A later VM.shutdown replaces it, and it is stopped when the VM goes Down or the actor
	// stops: a timer must not outlive the reason it was set for.
	forced *time.Timer
	// forcedReboot: the pending forced part resets the guest rather than destroying it (VDSM's
	// VmReboot.forceCallback resets).
	forcedReboot bool
	// stale: the domain this actor started has not reported its start yet. An earlier VM with
	// the same UUID, just destroyed, may still have events on their way (its Started, Stopped,
	// Undefined) that are not about this run: libvirt delivers events in order, so none comes
	// after the Started that carries our run's id (startedID; -1 when libvirt did not say).
	stale     bool
	startedID int
	unplug    unplugs // NIC unplugs waiting for the guest (hotplug.go)
	con       console // the console's disconnect action (console.go)

	// Live migration (migrate.go): incoming is set on a destination's actor, mig on a source's.
	incoming *IncomingCreated
	inTimer  *time.Timer // the destination's wait for its domain
	migCfg   *MigrationConfig
	mig      *outgoingMigration

	// removed: the VM is gone (remove); the actor only answers the verbs still on their way.
	removed bool

	agent agentState // QEMU's guest agent (guestagent_actor.go)
}

func (a *vmActor) Receive(c actor.Context) {
	if a.removed && a.afterRemoval(c) {
		return
	}
	switch m := c.Message().(type) {
	case *actor.Started:
		a.start(c)
	case *libvirtEvent:
		was := a.state.Status
		a.event(c, m.e)
		a.incomingSettled(c, was) // migrate_destination.go
	case *Destroy:
		a.h.taken()
		a.destroy(c, m)
	case *Pause:
		a.h.taken()
		if a.refuse(m.Reply, VerbPause) {
			return
		}
		if err := a.call(a.lv.Suspend); err != nil {
			fail(m.Reply, vdsm.GeneralException(virt.Reason(err)))
			return
		}
		a.step(c, PauseDone{})
		m.Reply.Result(map[string]any{"vmList": map[string]any{}})
	case *Cont:
		a.h.taken()
		if a.refuse(m.Reply, VerbCont) {
			return
		}
		if err := a.call(a.lv.Resume); err != nil {
			fail(m.Reply, vdsm.GeneralException(virt.Reason(err)))
			return
		}
		a.step(c, ContDone{})
		m.Reply.Result(map[string]any{"vmList": map[string]any{}})
	case *Reset:
		a.h.taken()
		if a.refuse(m.Reply, VerbReset) {
			return
		}
		if err := a.call(a.lv.Reset); err != nil {
			fail(m.Reply, vdsm.ResetFailed(virt.Reason(err)))
			return
		}
		a.step(c, ResetDone{})
		m.Reply.Result(true)
	case *Shutdown:
		a.h.taken()
		a.shutdown(c, m)
	case *actor.Stopping, *actor.Restarting:
		// A restarted actor starts afresh from libvirt: the timers of this incarnation go with it.
		a.disarm()
		a.stopUnplugs()
		a.stopConsole()
		a.stopMonitor() // migrate_monitor.go
		a.agentStop()   // guestagent_actor.go
	case *shutdownTimedOut:
		if m.gen != a.shutGen {
			return // a timer that fired as it was being replaced
		}
		a.forced = nil
		a.h.forced.Add(-1)
		switch {
		case a.state.Status == vdsm.StatusDown:
		case a.forcedReboot:
			a.log.Info().Msg("guest did not reboot in time; resetting it (forced reboot)")
			if err := a.call(a.lv.Reset); err != nil {
				a.log.Warn().Err(err).Msg("forced reboot: reset failed")
			}
		default:
			a.log.Info().Msg("guest did not power off in time; destroying it (forced shutdown)")
			_ = a.destroyDomain(c, destroyHow{graceful: 1})
		}
	case *resync:
		a.resync(c, m.dom)
	case *SetTicket:
		a.h.taken()
		a.setTicket(m)
	case *HotplugNic, *HotunplugNic, *UpdateNic, *unplugTimedOut:
		a.hotplug(c, m)
	case *SetNumberOfCpus, *HotplugMemory, *HotunplugMemory:
		a.hotplugResources(c, m) // hotplug_cpu.go
	case *consoleDue:
		a.consoleDue(c, m)
	case *agentTick, *agentAnswers:
		a.agentMessage(c, m) // guestagent_actor.go
	case *UpdateVMPolicy, *SetCPUTune:
		a.policy(c, m) // policy.go
	case *SetDestroyOnRebootVerb:
		a.h.taken()
		a.step(c, SetDestroyOnReboot{})
		m.Reply.Result(true)
	default:
		a.migrationMessage(c) // migrate.go
	}
}

func (a *vmActor) start(c actor.Context) {
	now := time.Now()
	a.ran.Store(true)
	if a.reread {
		a.rec = a.fromLibvirt()
		a.announce = true
	}
	if a.rec != nil {
		a.state, _ = Step(State{}, *a.rec, now)
		a.recoverMigration(c) // migrate_monitor.go
		var emit []EmitStatus
		if a.announce {
			emit = []EmitStatus{{Kind: PayloadRunning}}
		}
		a.report(c, emit, true)
		a.agentHint(c, a.xml) // guestagent_actor.go
		return
	}
	if a.incoming != nil { // migrate.go
		a.startIncoming(c)
		return
	}
	a.state, _ = Step(State{}, Created{LaunchPaused: a.info.LaunchPaused, DestroyOnReboot: a.info.Meta.DestroyOnReboot}, now)
	a.report(c, nil, true)
	// Define and start now, in this turn: VM.create was already answered WaitForLaunch, as VDSM
	// answers it before its creation thread runs.
	a.stale = true
	// Once defined, libvirt holds the domain XML (the registry keeps libvirt's copy): an
	// engine-sized XML kept here too would cost every VM several KiB for nothing.
	defer func() { a.xml = "" }()
	if _, err := a.defineEngine(c); err != nil {
		a.step(c, StartFailed{Reason: vdsm.ExitReasonGenericError, Message: err.Error()})
		return
	}
	a.saveMetadata(metadataOf(a.state))
	if err := a.call(func(id string) (err error) {
		a.startedID, err = a.lv.Start(id, a.state.LaunchPaused)
		return err
	}); err != nil {
		a.step(c, StartFailed{Reason: vdsm.ExitReasonLibvirtStartFailed, Message: err.Error()})
		return
	}
	// libvirt's XML reaches the registry before the status event does, so an engine that reads
	// Host.dumpxmls on that event gets the domain as defined, not the request.
	a.refreshXML(c)
	a.step(c, StartSucceeded{})
}

// fromLibvirt reads the domain's state, XML and metadata afresh.
func (a *vmActor) fromLibvirt() *Recovered {
	var state, reason int
	err := a.call(func(id string) error {
		var err error
		state, reason, err = a.lv.State(id)
		return err
	})
	if err != nil {
		a.log.Warn().Err(err).Msg("re-reading the domain")
		return &Recovered{State: virt.StateShutoff}
	}
	var x string
	if err := a.call(func(id string) error { var err error; x, err = a.lv.XML(id); return err }); err == nil {
		if info, err := ParseDomainXML(x); err == nil {
			a.info, a.xml = info, x
		}
	}
	return &Recovered{State: state, Reason: reason, Meta: a.info.Meta}
}

// call runs one libvirt call on this VM's domain. The whole turn it runs in is marked busy on
// the handle (see busy), so a hung call shows to everyone who would queue behind it.
func (a *vmActor) call(f func(id string) error) error { return f(a.id) }

// refuse answers a verb the VM's status does not allow, as VDSM would.
func (a *vmActor) refuse(r interface{ Error(int, string) bool }, v Verb) bool {
	if e := Refuse(a.id, a.state, v); e != nil {
		r.Error(e.Code, e.Message)
		return true
	}
	return false
}

// destroy is VM.destroy. A libvirt destroy that fails is code 42 and the VM stays, Powering down,
// for the engine to destroy again (vm.py releaseVm returns destroyErr after setting
// POWERING_DOWN). A domain already off is no failure: it is off, which is what was asked.
func (a *vmActor) destroy(c actor.Context, m *Destroy) {
	if err := a.stepWith(c, DestroyRequested{}, destroyHow{strict: true, graceful: m.GracefulAttempts}); err != nil {
		a.log.Warn().Err(err).Msg("VM.destroy: libvirt could not destroy the domain")
		a.step(c, DestroyFailed{})
		fail(m.Reply, vdsm.DestroyFailed())
		return
	}
	m.Reply.Result(true)
}

func (a *vmActor) shutdown(c actor.Context, m *Shutdown) {
	if a.refuse(m.Reply, VerbShutdown) {
		return
	}
	var err error
	if m.Reboot {
		err = a.call(a.lv.Reboot)
	} else {
		err = a.call(func(id string) error { return a.lv.Shutdown(id, a.info.ACPI) })
	}
	if err != nil {
		// VDSM answers true and leaves the power-down to a thread that logs its failures
		// (vm.py shutdown → VmPowerDown.start); with force, the destroy below follows at once.
		a.log.Warn().Err(err).Bool("reboot", m.Reboot).Msg("VM.shutdown: the guest could not be asked")
	}
	a.log.Info().Bool("reboot", m.Reboot).Int64("delay", m.Delay).Str("message", m.Message).
		Msg("VM.shutdown: guest asked by ACPI or QEMU's agent; delay and message are for the oVirt guest agent only")
	a.step(c, ShutdownRequested{Reboot: m.Reboot})
	// A new VM.shutdown supersedes the forced part of an earlier one.
	a.disarm()
	if m.Force && a.state.Status != vdsm.StatusDown {
		a.shutGen++
		gen, self, root := a.shutGen, c.Self(), c.ActorSystem().Root
		wait := time.Duration(m.Timeout) * time.Second
		if err != nil {
			wait = 0 // the guest cannot be asked: straight to the forced part
		}
		a.h.forced.Add(1)
		a.forcedReboot = m.Reboot
		a.forced = time.AfterFunc(wait, func() { root.Send(self, &shutdownTimedOut{gen: gen}) })
	}
	m.Reply.Result(true)
}

// disarm stops the pending forced-shutdown timer. One that already fired has its message on the
// way; bumping the generation makes that message a no-op, and it is counted off then.
func (a *vmActor) disarm() {
	if a.forced == nil {
		return
	}
	a.forced.Stop()
	a.forced = nil
	a.shutGen++
	a.h.forced.Add(-1)
}
