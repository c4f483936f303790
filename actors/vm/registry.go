package vm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/host"
	"github.com/hostagent/hostagent/actors/metrics"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// Config is what the registry and its VM actors need.
type Config struct {
	Libvirt    *virt.Conn
	Index      *Index
	Broker     *actor.PID // events go to its subscribers of jms.queue.events
	Host       *actor.PID // told the VM counters for Host.getStats
	Ready      *atomic.Bool
	OnReady    func() // called once recovery is done
	Clock      Clock
	StuckAfter time.Duration // a VM whose libvirt call runs longer is reported not responding
	Faults     *supervisor.Injector
	Metrics    *metrics.Metrics // VMs by status; nil: not counted
	LastSample *atomic.Int64    // set to the arrival time (unix ns) of each bulk sample
	Log        zerolog.Logger
}

// entry is the registry's read model of one VM: what the VM actor last reported, and the last
// two samples. Every Host list verb and VM.getStats answers from here, never from libvirt and
// never by asking a VM actor that might be stuck.
type entry struct {
	h         *Handle
	state     State
	info      DomainInfo
	xml       string
	prev, cur *Sample
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

	statsBuf bytes.Buffer // getStats' scratch; the reply copies out of it
	statsEnc *json.Encoder
}

// NewRegistry makes the registry's props. VM actors are its children, restarted one-for-one with
// backoff on a panic (a restarted VM actor re-reads its domain from libvirt); past the budget a
// VM actor is stopped and its VM reported not responding. The registry itself resumes after a
// failure: its read model must survive.
func NewRegistry(cfg Config) *actor.Props {
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
		actor.WithReceiverMiddleware(supervisor.AnswerOnPanic(cfg.Log, "registry"), cfg.Faults.Middleware("registry")))
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
	case *Recover:
		r.listDomains(c, listToRecover, "")
	case *domainsListed:
		r.listed(c, m)
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
			r.terminated(m.pid)
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
		busy(h), supervisor.AnswerOnPanic(r.cfg.Log, "vm"), r.cfg.Faults.Middleware("vm")))
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
	} else {
		first, _ = Step(State{}, Created{LaunchPaused: a.info.LaunchPaused, DestroyOnReboot: a.info.Meta.DestroyOnReboot}, time.Now())
	}
	r.vms[id] = &entry{h: h, info: a.info, xml: a.xml, state: first}
	r.cfg.Index.with(id, h)
	return h
}

// Why the registry lists libvirt's domains.
const (
	listToRecover = iota
	listToResync
	listToAdopt
)

// domainsListed is libvirt's domain list, fetched off the registry's turn.
type domainsListed struct {
	why  int
	uuid string // listToAdopt: the domain an event named
	doms []virt.Domain
	err  error
}

// listDomains lists libvirt's domains on a goroutine of its own and sends the result back: the
// registry answers every list verb and VM.getStats, so it must never wait on libvirt itself.
func (r *Registry) listDomains(c actor.Context, why int, uuid string) {
	root, self, lv := c.ActorSystem().Root, c.Self(), r.cfg.Libvirt
	go func() {
		doms, err := lv.Domains()
		root.Send(self, &domainsListed{why: why, uuid: uuid, doms: doms, err: err})
	}()
}

func (r *Registry) listed(c actor.Context, m *domainsListed) {
	switch m.why {
	case listToRecover:
		r.recover(c, m.doms, m.err)
	case listToResync:
		r.resync(c, m.doms, m.err)
	case listToAdopt:
		if _, known := r.vms[m.uuid]; known || m.err != nil {
			return
		}
		for _, d := range m.doms {
			if d.UUID == m.uuid {
				r.adopt(c, d)
				r.updateCounts(c)
			}
		}
	}
}

// resync makes up for the events missed while libvirt was away: every VM actor is told how its
// domain stands now, domains that appeared are adopted.
func (r *Registry) resync(c actor.Context, doms []virt.Domain, err error) {
	if err != nil {
		r.cfg.Log.Error().Err(err).Msg("resync after reconnect")
		return
	}
	seen := map[string]bool{}
	for i := range doms {
		d := doms[i]
		seen[d.UUID] = true
		if en, ok := r.vms[d.UUID]; ok {
			c.Send(en.h.PID, &resync{dom: &d})
			continue
		}
		r.adopt(c, d)
	}
	for id, en := range r.vms {
		if !seen[id] {
			c.Send(en.h.PID, &resync{})
		}
	}
	r.updateCounts(c)
	r.cfg.Log.Info().Int("vms", len(r.vms)).Msg("libvirt connection back; VMs resynced")
}

// terminated is a VM actor stopping. A removed VM is already gone; any other was stopped by its
// supervisor after failing again and again, and stays listed as not responding.
func (r *Registry) terminated(pid *actor.PID) {
	for id, en := range r.vms {
		if en.h.PID.Equal(pid) {
			en.h.dead.Store(true)
			r.cfg.Log.Error().Str("vm_id", id).Msg("VM actor failed past its restart budget; the VM is reported not responding")
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
	r.spawn(c, info.UUID, &vmActor{xml: xml, info: info})
	r.updateCounts(c)
	now := time.Now()
	m.Reply.Result(map[string]any{
		"vmId": info.UUID, "status": vdsm.StatusWaitForLaunch,
		"statusTime": r.cfg.Clock.StatusTime(now), "xml": xml,
	})
}

// recover attaches a VM actor to every domain libvirt has. Nothing is restarted. The agent is
// ready once they are all spawned; each VM's status is pushed as an event when its actor
// reports, so the engine hears every recovered VM.
func (r *Registry) recover(c actor.Context, doms []virt.Domain, err error) {
	if err != nil {
		r.cfg.Log.Error().Err(err).Msg("listing domains for recovery")
	}
	for _, d := range doms {
		if _, ok := r.vms[d.UUID]; ok {
			continue
		}
		r.adopt(c, d)
	}
	r.updateCounts(c)
	r.cfg.Log.Info().Int("vms", len(r.vms)).Msg("recovery done")
	r.cfg.Ready.Store(true)
	if r.cfg.OnReady != nil {
		r.cfg.OnReady()
		r.cfg.OnReady = nil
	}
}

func (r *Registry) adopt(c actor.Context, d virt.Domain) {
	info, err := ParseDomainXML(d.XML)
	if err != nil {
		r.cfg.Log.Warn().Err(err).Str("vm_id", d.UUID).Msg("domain XML unreadable; recovering with what libvirt says")
		info = DomainInfo{UUID: d.UUID, Name: d.Name}
	}
	rec := &Recovered{State: d.State, Reason: d.Reason, Meta: info.Meta}
	r.spawn(c, d.UUID, &vmActor{rec: rec, info: info, xml: d.XML, announce: true})
}

func (r *Registry) route(c actor.Context, e virt.Event) {
	if en, ok := r.vms[e.UUID]; ok {
		c.Send(en.h.PID, &libvirtEvent{e: e})
		return
	}
	if e.Type == virt.EventDefined || e.Type == virt.EventStarted {
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
	if m.info != nil {
		en.info = *m.info
	}
	if m.xml != "" {
		en.xml = m.xml
	}
	for _, e := range m.emit {
		r.publish(c, m.id, en, e)
	}
	if m.remove {
		delete(r.vms, m.id)
		r.cfg.Index.with(m.id, nil)
	}
	r.updateCounts(c)
}

// publish sends a |virt|VM_status|<vmId> event. Events wait for readiness: the engine ignores
// what a recovering host says, so recovered VMs announce themselves once the agent is ready.
func (r *Registry) publish(c actor.Context, id string, en *entry, e EmitStatus) {
	now := time.Now()
	st := r.stats(id, en, now)
	params := vdsm.VMStatusParams{VMID: id, Details: e.Payload(st), NotifyTime: r.cfg.Clock.EventTime(now)}
	body, err := jsonrpc.AppendNotification(nil, vdsm.VMStatusMethod(id), params)
	if err != nil {
		r.cfg.Log.Error().Err(err).Str("vm_id", id).Msg("encoding a status event")
		return
	}
	c.Send(r.cfg.Broker, &broker.Publish{Dest: stomp.EventQueue, Body: body})
}

func (r *Registry) stats(id string, en *entry, now time.Time) vdsm.VmStats {
	ok := SampleFresh(en.cur, now) && !en.h.Dead() && r.cfg.Libvirt.Alive()
	if _, _, stuck := en.h.Stuck(now, r.cfg.StuckAfter); stuck {
		ok = false
	}
	return BuildStats(id, en.info.Name, en.state, en.prev, en.cur, en.info, now, r.cfg.Clock, ok)
}

func (r *Registry) sampled(ss []virt.DomainStats) {
	if r.cfg.LastSample != nil {
		r.cfg.LastSample.Store(time.Now().UnixNano())
	}
	for i := range ss {
		en, ok := r.vms[ss[i].UUID]
		if !ok {
			continue
		}
		en.prev, en.cur = en.cur, toSample(&ss[i])
	}
}

func (r *Registry) getStats(m *GetStats) {
	now := time.Now()
	ids := []string{m.VMID}
	if m.All {
		ids = r.sortedIDs()
	} else if _, ok := r.vms[m.VMID]; !ok {
		// API.py VM.vm raises NoSuchVM(vmId=...).
		fail(m.Reply, vdsm.NoSuchVM(m.VMID))
		return
	}
	out, err := r.encodeStats(ids, now)
	if err != nil {
		m.Reply.Error(vdsm.CodeInternal, vdsm.Internal("VM stats cannot be encoded").Message)
		return
	}
	m.Reply.Result(out)
}

// encodeStats encodes the VmStats of ids as a JSON list, each element its Variant as
// VmStats.MarshalJSON writes it, into the registry's scratch buffer: valid until the next call.
func (r *Registry) encodeStats(ids []string, now time.Time) (jsonrpc.Encoded, error) {
	if r.statsEnc == nil {
		r.statsEnc = json.NewEncoder(&r.statsBuf)
	}
	b := &r.statsBuf
	b.Reset()
	b.WriteByte('[')
	for _, id := range ids {
		v, err := r.stats(id, r.vms[id], now).Variant()
		if err != nil {
			return nil, fmt.Errorf("VM %s: %w", id, err)
		}
		if err := r.statsEnc.Encode(v); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode ends every value with a newline
		b.WriteByte(',')
	}
	if len(ids) > 0 {
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte(']')
	return jsonrpc.Encoded(b.Bytes()), nil
}

func (r *Registry) sortedIDs() []string {
	ids := make([]string, 0, len(r.vms))
	for id := range r.vms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (r *Registry) short(id string, en *entry, now time.Time) vdsm.VmShortStatus {
	return vdsm.VmShortStatus{VMID: id, Status: LastStatus(en.state), StatusTime: r.cfg.Clock.StatusTime(now)}
}

func (r *Registry) list(m *List) {
	now := time.Now()
	if m.One {
		en, ok := r.vms[firstOr(m.VMIDs)]
		if !ok {
			// rpc/Bridge.py VM_getInfo_Ret takes getVMList's [0]: for an unknown VM an
			// IndexError, which yajsonrpc answers -32603. Same code, in words.
			fail(m.Reply, vdsm.Internal(fmt.Sprintf("Virtual machine %s does not exist", firstOr(m.VMIDs))))
			return
		}
		m.Reply.Result(r.short(m.VMIDs[0], en, now))
		return
	}
	ids := m.VMIDs
	if len(ids) == 0 {
		ids = r.sortedIDs()
	}
	out := make([]vdsm.VmShortStatus, 0, len(ids))
	for _, id := range ids {
		if en, ok := r.vms[id]; ok {
			out = append(out, r.short(id, en, now))
		}
	}
	m.Reply.Result(out)
}

func fail(r interface{ Error(int, string) bool }, e *vdsm.Error) { r.Error(e.Code, e.Message) }

func firstOr(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func (r *Registry) dumpXMLs(m *DumpXMLs) {
	ids := m.VMIDs
	if len(ids) == 0 {
		ids = r.sortedIDs()
	}
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		en, ok := r.vms[id]
		if !ok {
			// API.py dumpxmls indexes vmContainer: a KeyError, which yajsonrpc answers -32603
			// with str(e), the quoted id.
			fail(m.Reply, vdsm.Internal(vdsm.PyRepr(id)))
			return
		}
		out[id] = en.xml
	}
	m.Reply.Result(out)
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
		case vdsm.StatusMigrationSource:
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

func toSample(s *virt.DomainStats) *Sample {
	out := &Sample{Time: s.Time, State: s.State, CPUTime: s.CPUTime, CPUUser: s.CPUUser, CPUSystem: s.CPUSystem,
		VCPUs: s.VCPUs, BalloonCurKiB: s.BalloonCur, BalloonMaxKiB: s.BalloonMax, MemStats: s.Mem}
	for _, n := range s.Nets {
		out.Nets = append(out.Nets, NetSample{Name: n.Name, RxBytes: n.RxBytes, TxBytes: n.TxBytes,
			RxErrs: n.RxErrs, TxErrs: n.TxErrs, RxDrop: n.RxDrop, TxDrop: n.TxDrop})
	}
	for _, b := range s.Blocks {
		out.Disks = append(out.Disks, DiskSample{Name: b.Name, RdBytes: b.RdBytes, WrBytes: b.WrBytes, RdReqs: b.RdReqs,
			WrReqs: b.WrReqs, FlReqs: b.FlReqs, RdTimes: b.RdTimes, WrTimes: b.WrTimes, FlTimes: b.FlTimes,
			Capacity: b.Capacity, Allocation: b.Allocation, Physical: b.Physical})
	}
	return out
}
