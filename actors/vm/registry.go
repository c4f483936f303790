package vm

// The registry actor.
//
// Owns: the set of VMs (vmId → entry: the VM actor's handle and the read model of its state,
// info, XML and last two samples), the Index workers read handles from, the VM counters told
// to the host actor, and the libvirt event subscription. VM actors are its children.
//
// Takes: Create (VM.create), GetStats, List, DumpXMLs (answered from the read model, never from
// libvirt: readmodel.go), Recover, LibvirtLost/LibvirtBack, libvirt events (routed to the VM's
// actor; an unknown domain's DEFINED/STARTED asks for a listing), stateChanged (a VM actor's
// report after each step), samples (the sampler's bulk reading), domainsListed (its own
// listing coming back: recovery.go), recoveryDue (the bound on recovery's wait: recovery.go),
// Terminated.
//
// Sends: verbs' answers on their replies; |virt|VM_status| events to the broker; VMCountsUpdate
// to the host actor; libvirtEvent and resync to VM actors.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/host"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/metrics"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// Config is what the registry and its VM actors need.
type Config struct {
	Libvirt    *virt.Conn
	Index      *Index
	Broker     *actor.PID // events go to its subscribers of jms.queue.events
	Host       *actor.PID // told the VM counters for Host.getStats; asked for the networks a domain names
	Net        *actor.PID // the network actor, asked for the dummy bridge; nil without --manage-networks
	Ready      *atomic.Bool
	OnReady    func() // called once recovery is done
	Clock      Clock
	StuckAfter time.Duration // a VM whose libvirt call runs longer is reported not responding
	// RecoveryWait bounds recovery's wait for the adopted VMs' first reports (recovery.go; 0:
	// StuckAfter, by when a VM still in its first libvirt call reads not responding anyway).
	RecoveryWait time.Duration
	Faults       *supervisor.Injector
	Metrics      *metrics.Metrics // VMs by status; nil: not counted
	LastSample   *atomic.Int64    // set to the arrival time (unix ns) of each bulk sample
	Engine       domxml.Host      // the host's facts for resolving an engine's domain XML
	Migration    MigrationConfig  // migrate.go
	// PayloadDir is where payload disk images are built ("": payload sources are left as the
	// engine wrote them).
	PayloadDir string
	// HostWait bounds a VM actor's wait for the host or the network actor's answer (0: a minute).
	HostWait time.Duration
	Log      zerolog.Logger
}

// Registry owns the set of VMs: it admits VM.create, spawns and recovers VM actors, routes
// libvirt events to them, keeps the read model, and publishes status events.
type Registry struct {
	cfg      Config
	vms      map[string]*entry
	props    *actor.Props
	self     *actor.PID
	counts   host.VMCounts
	cancel   func()
	stopping bool   // shutting down: VM actors stopping now are not failures
	spawned  uint64 // VM actors spawned so far: makes each one's name unique
	lists    listings
	rec      recovery
	// postCopied: VMs whose post-copy migration completed, between its JOB_COMPLETED and the
	// VM actor's last report, whichever comes first (migrate_monitor.go).
	postCopied map[string]bool

	statsBuf bytes.Buffer // getStats' scratch; the reply copies out of it
	statsEnc *json.Encoder
}

// NewRegistry makes the registry's props. VM actors are its children, restarted one-for-one with
// backoff on a panic (a restarted VM actor re-reads its domain from libvirt); past the budget a
// VM actor is stopped and its VM reported not responding. The registry itself resumes after a
// failure: its read model must survive.
func NewRegistry(cfg Config) *actor.Props {
	cfg.Migration = cfg.Migration.withDefaults()
	if cfg.HostWait <= 0 {
		cfg.HostWait = time.Minute
	}
	if cfg.RecoveryWait <= 0 {
		cfg.RecoveryWait = cfg.StuckAfter
	}
	if cfg.RecoveryWait <= 0 {
		cfg.RecoveryWait = 15 * time.Second
	}
	count := func(kind string) func() {
		return func() {
			if cfg.Metrics != nil {
				cfg.Metrics.Restarted(kind)
			}
		}
	}
	vms := supervisor.DefaultBackoff("vm", cfg.Log)
	vms.OnFailure = count("vm")
	return actor.PropsFromProducer(func() actor.Actor { return &Registry{cfg: cfg, vms: map[string]*entry{}} },
		actor.WithSupervisor(vms),
		actor.WithGuardian(&supervisor.Resume{Kind: "registry", Log: cfg.Log, OnFailure: count("registry")}),
		actor.WithDispatcher(system.Dispatcher()),
		actor.WithReceiverMiddleware(supervisor.AnswerOnPanic[*reply.Reply](cfg.Log, "registry"), cfg.Faults.Middleware("registry")))
}

func (r *Registry) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *libvirtEvent:
		r.route(c, m.e)
	case *stateChanged:
		r.changed(c, m)
	case *samples:
		r.sampled(m.stats)
	case *GetStats:
		r.getStats(m)
	case *List:
		r.list(m)
	case *DumpXMLs:
		r.dumpXMLs(m)
	case *Create:
		r.create(c, m)
	case *MigrationCreate:
		r.migrationCreate(c, m) // migrate.go
	case *migrationProgress:
		r.publishMigration(c, m) // migrate_monitor.go
	case *Recover:
		r.listDomains(c, listToRecover, "")
	case *domainsListed:
		r.listed(c, m)
	case *recoveryDue:
		r.recoveryTimedOut(c) // recovery.go
	case *LibvirtLost:
		r.cfg.Log.Error().Str("reason", m.Reason).Msg("libvirt connection lost; VMs reported not responding until it is back")
	case *LibvirtBack:
		r.listDomains(c, listToResync, "")
	case *actor.Terminated:
		// A system message, so it can overtake the actor's last report: a VM actor that removed
		// its VM sends that report and then stops. Decide after whatever it sent before it went.
		if !r.stopping {
			c.Send(c.Self(), &vmStopped{pid: m.Who})
		}
	case *vmStopped:
		if !r.stopping {
			r.terminated(c, m.pid)
		}
	case *actor.Started:
		r.self = c.Self()
		root, self := c.ActorSystem().Root, c.Self()
		cancel, err := r.cfg.Libvirt.Subscribe(func(e virt.Event) { root.Send(self, &libvirtEvent{e: e}) })
		if err != nil {
			r.cfg.Log.Error().Err(err).Msg("libvirt events unavailable; VM status follows verbs only")
		}
		r.cancel = cancel
		r.props = actor.PropsFromProducer(nil, actor.WithDispatcher(system.Dispatcher()))
	case *actor.Stopping:
		r.stopping = true
		if r.rec.timer != nil {
			r.rec.timer.Stop()
		}
		if r.cancel != nil {
			r.cancel()
		}
	}
}

func (r *Registry) spawn(c actor.Context, id string, a *vmActor) *Handle {
	h := &Handle{ID: id}
	a.id, a.h, a.lv, a.registry = id, h, r.cfg.Libvirt, c.Self()
	a.log = r.cfg.Log.With().Str("vm_id", id).Logger()
	a.ran = new(atomic.Bool)
	a.migCfg = &r.cfg.Migration
	a.payloadDir = r.cfg.PayloadDir
	a.hostActor, a.hostWait, a.netActor = r.cfg.Host, r.cfg.HostWait, r.cfg.Net
	created := *a
	producer := func() actor.Actor {
		fresh := created
		created.xml = "" // only the first incarnation defines the domain from it
		if fresh.ran.Load() {
			// A restart after a panic starts from the domain as libvirt has it now, not from
			// the request that created the VM.
			fresh.xml, fresh.rec, fresh.reread = "", nil, true
		}
		return &fresh
	}
	props := r.props.Clone(actor.WithProducer(producer), actor.WithReceiverMiddleware(
		busy(h), supervisor.AnswerOnPanic[*reply.Reply](r.cfg.Log, "vm"), r.cfg.Faults.Middleware("vm")))
	// Never the name of an earlier actor: a VM destroyed and created again with the same UUID (as
	// the engine does on a restart) would get its predecessor's PID, and the predecessor's
	// Terminated would then be taken for the new actor's death.
	r.spawned++
	pid, err := c.SpawnNamed(props, "vm-"+id+"."+strconv.FormatUint(r.spawned, 10))
	if err != nil {
		pid = c.Spawn(props)
	}
	h.PID = pid
	// The read model starts from the state the actor is about to take, so a list right after a
	// create or a recovery already shows it.
	var first State
	if a.rec != nil {
		first, _ = Step(State{}, *a.rec, time.Now())
	} else if a.incoming != nil {
		first, _ = Step(State{}, *a.incoming, time.Now())
	} else {
		first, _ = Step(State{}, Created{LaunchPaused: a.info.LaunchPaused, DestroyOnReboot: a.info.Meta.DestroyOnReboot}, time.Now())
	}
	r.vms[id] = &entry{h: h, info: a.info, xml: a.xml, state: first}
	r.cfg.Index.with(id, h)
	return h
}

// terminated is a VM actor stopping. A removed VM is already gone; any other was stopped by its
// supervisor after failing again and again, and stays listed as not responding.
func (r *Registry) terminated(c actor.Context, pid *actor.PID) {
	for id, en := range r.vms {
		if en.h.PID.Equal(pid) {
			en.h.dead.Store(true)
			r.cfg.Log.Error().Str("vm_id", id).Msg("VM actor failed past its restart budget; the VM is reported not responding")
			r.reported(c, id, nil) // a dead VM does not hold recovery up
			return
		}
	}
}

func (r *Registry) create(c actor.Context, m *Create) {
	raw, ok := m.Params["xml"]
	var xml string
	if !ok || json.Unmarshal(raw, &xml) != nil || xml == "" {
		// API.py create reads vmParams['xml'] before its try: the KeyError becomes code 100,
		// "General Exception: (\"'xml'\",)". Same code, in words.
		fail(m.Reply, vdsm.GeneralException("vmParams has no 'xml': VM.create needs the domain XML"))
		return
	}
	info, err := ParseDomainXML(xml)
	if err == nil && info.UUID == "" {
		err = errors.New("the domain has no <uuid>")
	}
	if err != nil {
		// DomainDescriptor(xml) also runs before create's try: a parse error is code 100.
		fail(m.Reply, vdsm.GeneralException(fmt.Sprintf("cannot read the domain XML in vmParams: %v", err)))
		return
	}
	if _, exists := r.vms[info.UUID]; exists {
		fail(m.Reply, vdsm.VMExists())
		return
	}
	eng, ok := r.engineCreate(m, xml)
	if !ok {
		return
	}
	// No hash until libvirt's own XML is read (the actor does once the domain starts): the
	// request's devices lack what libvirt adds, and an engine that sees a hash fetches the XML
	// (VDSM's DomainDescriptor of XmlSource.INITIAL has no devices hash either).
	info.DevicesHash = ""
	r.spawn(c, info.UUID, &vmActor{xml: xml, info: info, engine: eng})
	r.updateCounts(c)
	now := time.Now()
	m.Reply.Result(map[string]any{
		"vmId": info.UUID, "status": vdsm.StatusWaitForLaunch,
		"statusTime": r.cfg.Clock.StatusTime(now), "xml": xml,
	})
}

func (r *Registry) route(c actor.Context, e virt.Event) {
	if e.Kind == virt.KindJobCompleted {
		r.jobCompleted(c, e) // migrate_monitor.go
		return
	}
	if en, ok := r.vms[e.UUID]; ok {
		c.Send(en.h.PID, &libvirtEvent{e: e})
		return
	}
	if e.Kind == virt.KindLifecycle && (e.Type == virt.EventDefined || e.Type == virt.EventStarted) {
		// A domain made behind the agent's back (virsh, another tool): take it in, as VDSM's
		// external-VM lookup does.
		r.listDomains(c, listToAdopt, e.UUID)
	}
}

func (r *Registry) changed(c actor.Context, m *stateChanged) {
	en, ok := r.vms[m.id]
	if !ok {
		return
	}
	en.state = m.state
	if m.state.Status != vdsm.StatusMigrationSource {
		en.progress = 0 // the next migration starts from nothing, as VDSM's new source thread
	}
	if m.info != nil {
		en.info = *m.info
	}
	if m.xml != "" {
		en.xml = m.xml
	}
	if m.remove {
		r.leftInPostCopy(m) // migrate_monitor.go
		delete(r.vms, m.id)
		r.cfg.Index.with(m.id, nil)
	}
	// The host's counts before the events: the broker and the client run while this turn goes
	// on, so a client reading Host.getStats on an event would otherwise race the update it
	// announces (vmMigrating still counting a VM its event says is Down).
	r.updateCounts(c)
	if r.reported(c, m.id, m.emit) { // recovery.go: held until the agent is ready
		return
	}
	for _, e := range m.emit {
		r.publish(c, m.id, en, e)
	}
}

// publish sends a |virt|VM_status|<vmId> event. Events wait for readiness (recovery.go reported).
func (r *Registry) publish(c actor.Context, id string, en *entry, e EmitStatus) {
	now := time.Now()
	st := r.eventStats(id, en, now) // readmodel.go
	params := vdsm.VMStatusParams{VMID: id, Details: e.Payload(st), NotifyTime: r.cfg.Clock.EventTime(now)}
	body, err := jsonrpc.AppendNotification(nil, vdsm.VMStatusMethod(id), params)
	if err != nil {
		r.cfg.Log.Error().Err(err).Str("vm_id", id).Msg("encoding a status event")
		return
	}
	c.Send(r.cfg.Broker, &broker.Publish{Dest: stomp.EventQueue, Body: body})
}

func (r *Registry) updateCounts(c actor.Context) {
	var n host.VMCounts
	byStatus := map[string]int{}
	for _, en := range r.vms {
		n.Total++
		byStatus[LastStatus(en.state)]++
		switch LastStatus(en.state) {
		case vdsm.StatusUp:
			n.Active++
		case vdsm.StatusMigrationSource: // migrate.go
			n.Migrating++
			n.Outgoing++
		case vdsm.StatusMigrationDestination:
			n.Migrating++
			n.Incoming++
		}
	}
	if r.cfg.Metrics != nil {
		r.cfg.Metrics.SetVMs(byStatus)
	}
	if n != r.counts && r.cfg.Host != nil {
		r.counts = n
		c.Send(r.cfg.Host, &host.VMCountsUpdate{Counts: n})
	}
}
