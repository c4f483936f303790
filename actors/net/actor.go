// Package net is the network actor: the one owner of the host's network configuration. It
// applies Host.setupNetworks requests one at a time, each all-or-nothing, keeps the running and
// the safe configuration on disk, rolls a change back when the connectivity check is not
// confirmed in time, and restores the safe configuration at start. It also makes VDSM's dummy
// bridge for the VM actors (dummybridge.go). It changes links only through hostnet; nothing else
// in the agent changes links.
package net

import (
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/host"
	"github.com/hostagent/hostagent/hostnet"
	"github.com/hostagent/hostagent/protocol/vdsm"
)

// Config is what the network actor needs.
type Config struct {
	// Namespace is the named network namespace to manage; "" is the agent's own. Tests name one
	// they created, so nothing reaches the machine's own network.
	Namespace string
	FakeNICs  []string // default hostnet.DefaultFakeNICs
	// StateDir holds running.json and safe.json; "" keeps nothing on disk and restores nothing.
	StateDir string
	Host     *actor.PID // where Host.getCapabilities goes once the networks are added
	Log      zerolog.Logger
}

// Actor owns the running configuration and the netlink handle.
type Actor struct {
	cfg     Config
	h       *hostnet.Handle
	openErr error
	store   store
	running hostnet.Config
	safe    hostnet.Config
	dirty   bool
	journal []hostnet.Step // undoes every change since the last setSafeNetworkConfig
	pending *pending
	gen     int
}

// pending is an applied setupNetworks waiting for a client to show up.
type pending struct {
	plan  hostnet.Plan
	prev  hostnet.Config
	msg   *SetupNetworks
	gen   int
	timer *time.Timer
}

// New makes the network actor's producer.
func New(cfg Config) actor.Producer {
	if cfg.FakeNICs == nil {
		cfg.FakeNICs = hostnet.DefaultFakeNICs
	}
	return func() actor.Actor { return &Actor{cfg: cfg, store: store{dir: cfg.StateDir}} }
}

func (a *Actor) Receive(c actor.Context) {
	switch c.Message().(type) {
	case *actor.Started, *SetupNetworks, *connectivityTimeout, *SetSafeNetworkConfig:
		// Whatever they change (or fail to), the host actor hears the outcome.
		defer a.announce(c)
	}
	switch m := c.Message().(type) {
	case *actor.Started:
		a.start()
	case *actor.Stopping:
		if a.pending != nil {
			a.pending.timer.Stop()
			a.pending.msg.Reply.Error(vdsm.CodeNetLostConnection, vdsm.MsgNetConnectivityFailed)
			a.pending = nil
		}
		if a.h != nil {
			a.h.Close()
		}
	case *SetupNetworks:
		a.setup(c, m)
	case *ClientSeen:
		if p := a.pending; p != nil {
			p.timer.Stop()
			a.pending = nil
			p.msg.Reply.Result(doneStatus)
			a.cfg.Log.Info().Msg("setupNetworks confirmed by a client")
		}
	case *connectivityTimeout:
		if p := a.pending; p != nil && p.gen == m.gen {
			a.pending = nil
			a.rollBack(p)
		}
	case *SetSafeNetworkConfig:
		if a.pending != nil {
			m.Reply.Error(vdsm.CodeResourceUnavail, vdsm.Message(vdsm.CodeResourceUnavail))
			return
		}
		if err := a.store.save(safeFile, a.running); err != nil {
			m.Reply.Error(vdsm.CodeGeneralException, vdsm.WithContext(vdsm.Message(vdsm.CodeGeneralException), "reason", err.Error()))
			return
		}
		if err := a.store.saveJournal(nil); err != nil {
			a.cfg.Log.Error().Err(err).Msg("clear the network undo journal")
		}
		a.safe, a.dirty, a.journal = a.running, false, nil
		m.Reply.Result(true)
	case *EnsureDummyBridge:
		c.Respond(a.ensureDummyBridge())
	case *GetCapabilities:
		c.Send(a.cfg.Host, &host.GetCapabilities{Reply: m.Reply, ClientIface: m.ClientIface, Networks: a.report()})
	case *GetNetworkCapabilities:
		c.Send(a.cfg.Host, &host.GetNetworkCapabilities{Reply: m.Reply, Networks: a.report()})
	}
}

// announce tells the host actor the running VM networks and whether they are unsaved, for
// Host.getStats and the libvirt networks vdsm-<name>.
func (a *Actor) announce(c actor.Context) {
	vmNets := map[string]string{}
	for name, n := range a.running.Networks {
		if n.Bridged {
			vmNets[name] = name // a legacy-switch bridge is named after its network
		}
	}
	c.Send(a.cfg.Host, &host.NetworksChanged{Dirty: a.dirty, VMNetworks: vmNets})
}

// doneStatus is VDSM's status for a successful setupNetworks, which is its wire result.
var doneStatus = map[string]any{"code": vdsm.CodeDone, "message": vdsm.Message(vdsm.CodeDone)}

func (a *Actor) open() (*hostnet.Handle, error) {
	if a.cfg.Namespace != "" {
		return hostnet.OpenNamespace(a.cfg.Namespace, a.cfg.FakeNICs)
	}
	return hostnet.Open(a.cfg.FakeNICs)
}

// start opens the handle, loads both configurations and restores the safe one, as VDSM does after
// a reboot: a running configuration never made safe is undone, and a network that vanished from
// the kernel is created again.
func (a *Actor) start() {
	a.running, a.safe = emptyConfig(), emptyConfig()
	// Whatever fails below, caps say whether what runs is what was saved.
	defer func() { a.dirty = !reflect.DeepEqual(a.running, a.safe) }()
	if a.h, a.openErr = a.open(); a.openErr != nil {
		a.cfg.Log.Error().Err(a.openErr).Msg("network configuration unavailable")
		return
	}
	var err error
	if a.running, err = a.store.load(runningFile); err != nil {
		a.cfg.Log.Error().Err(err).Msg("running network configuration unreadable; starting from none")
		a.running = emptyConfig()
	}
	if a.safe, err = a.store.load(safeFile); err != nil {
		a.cfg.Log.Error().Err(err).Msg("safe network configuration unreadable; keeping the running one")
		a.safe = a.running
	}
	journal, err := a.store.loadJournal()
	if err != nil {
		a.cfg.Log.Error().Err(err).Msg("network undo journal unreadable")
	}
	if len(journal) > 0 {
		// Each step is tried even when one before it fails: after a reboot some of what they
		// undo is gone already, and the rest must still come back.
		if err := a.h.Run(journal); err != nil {
			a.cfg.Log.Warn().Err(err).Msg("undoing the unsaved network changes: some steps failed")
		}
		a.running = a.safe
		a.persistRunning() // the journal is empty now: its file goes
		a.cfg.Log.Info().Int("steps", len(journal)).Msg("unsaved network changes undone")
	}
	cur, err := a.h.Read()
	if err != nil {
		a.cfg.Log.Error().Err(err).Msg("read links")
		return
	}
	p, err := restorePlan(cur, a.running, a.safe)
	if err != nil {
		a.cfg.Log.Error().Err(err).Msg("safe network configuration cannot be restored")
		return
	}
	if len(p.Changes) == 0 {
		return
	}
	if err := a.h.Execute(p); err != nil {
		a.cfg.Log.Error().Err(err).Msg("restoring the safe network configuration failed")
		return
	}
	a.running = a.safe
	if err := a.store.save(runningFile, a.running); err != nil {
		a.cfg.Log.Error().Err(err).Msg("persist running network configuration")
	}
	a.cfg.Log.Info().Int("steps", len(p.Changes)).Msg("safe network configuration restored")
}

func (a *Actor) setup(c actor.Context, m *SetupNetworks) {
	if a.pending != nil {
		// VDSM's networkSemaphore: one network change at a time, the others are refused.
		m.Reply.Error(vdsm.CodeResourceUnavail, vdsm.Message(vdsm.CodeResourceUnavail))
		return
	}
	if a.h == nil {
		m.Reply.Error(vdsm.CodeNetFailedIfup, fmt.Sprintf("network configuration unavailable: %v", a.openErr))
		return
	}
	req, err := hostnet.DecodeRequest(m.Networks, m.Bondings, m.Options)
	if err != nil {
		replyErr(m, err)
		return
	}
	cur, err := a.h.Read()
	if err != nil {
		m.Reply.Error(vdsm.CodeNetFailedIfup, err.Error())
		return
	}
	cur.Networks, cur.Bonds = a.running.Networks, a.running.Bonds
	p, err := hostnet.PlanSetup(cur, req)
	if err != nil {
		replyErr(m, err)
		return
	}
	a.dirty = true
	if err := a.h.Execute(p); err != nil {
		a.cfg.Log.Error().Err(err).Msg("setupNetworks failed and was rolled back")
		m.Reply.Error(vdsm.CodeNetFailedIfup, err.Error())
		return
	}
	prev := a.running
	a.running = p.Config
	a.journal = append(p.Rollback(len(p.Changes)), a.journal...)
	a.persistRunning()
	a.cfg.Log.Info().Int("steps", len(p.Changes)).Bool("connectivityCheck", req.Options.ConnectivityCheck).Msg("setupNetworks applied")
	if !req.Options.ConnectivityCheck {
		m.Reply.Result(doneStatus)
		return
	}
	a.gen++
	gen, self, root := a.gen, c.Self(), c.ActorSystem().Root
	a.pending = &pending{plan: p, prev: prev, msg: m, gen: gen,
		timer: time.AfterFunc(req.Options.ConnectivityTimeout, func() { root.Send(self, &connectivityTimeout{gen: gen}) })}
}

// rollBack restores the configuration before an unconfirmed change and answers it with VDSM's
// connectivity error.
func (a *Actor) rollBack(p *pending) {
	if err := a.h.Rollback(p.plan); err != nil {
		a.cfg.Log.Error().Err(err).Msg("rollback after a failed connectivity check is incomplete")
	} else {
		a.cfg.Log.Warn().Msg("connectivity check failed; previous network configuration restored")
	}
	a.running = p.prev
	a.journal = a.journal[len(p.plan.Rollback(len(p.plan.Changes))):]
	a.persistRunning()
	p.msg.Reply.Error(vdsm.CodeNetLostConnection, vdsm.MsgNetConnectivityFailed)
}

// persistRunning writes the journal first: a crash between the two files then leaves a journal
// that undoes a change the running file does not show yet, which replaying at start tolerates.
func (a *Actor) persistRunning() {
	if err := a.store.saveJournal(a.journal); err != nil {
		a.cfg.Log.Error().Err(err).Msg("persist the network undo journal")
	}
	if err := a.store.save(runningFile, a.running); err != nil {
		a.cfg.Log.Error().Err(err).Msg("persist running network configuration")
	}
}

func replyErr(m *SetupNetworks, err error) {
	if ve, ok := err.(*vdsm.Error); ok {
		m.Reply.Error(ve.Code, ve.Message)
		return
	}
	m.Reply.Error(vdsm.CodeNetBadParams, err.Error())
}

// report is the running networks for the capabilities.
func (a *Actor) report() *host.NetworkReport {
	r := &host.NetworkReport{Networks: map[string]host.ConfiguredNetwork{}, Dirty: a.dirty}
	for name, n := range a.running.Networks {
		r.Networks[name] = host.ConfiguredNetwork{Bridged: n.Bridged, Device: n.L3(), MTU: n.MTU, STP: n.STP}
	}
	return r
}

// restorePlan is the plan from the kernel's state and the running configuration to the safe
// one. A running network whose devices are gone counts as absent, so the plan creates it again
// when the safe configuration has it.
func restorePlan(kernel hostnet.Current, running, safe hostnet.Config) (hostnet.Plan, error) {
	links := map[string]hostnet.Link{}
	for _, l := range kernel.Links {
		links[l.Name] = l
	}
	cur := kernel
	cur.Networks, cur.Bonds = map[string]hostnet.Network{}, map[string]hostnet.Bond{}
	for name, n := range running.Networks {
		top, ok := links[n.Top()]
		if !ok {
			continue
		}
		if n.Bridged && top.Master != n.Name {
			continue
		}
		cur.Networks[name] = n
	}
	for name, b := range running.Bonds {
		if _, ok := links[name]; ok {
			cur.Bonds[name] = b
		}
	}
	var req hostnet.Request
	for _, name := range sortedNames(cur.Networks) {
		if _, keep := safe.Networks[name]; !keep {
			req.Networks = append(req.Networks, hostnet.Network{Name: name, Remove: true})
		}
	}
	for _, name := range sortedNames(safe.Networks) {
		n := safe.Networks[name]
		n.Name = name
		req.Networks = append(req.Networks, n)
	}
	for _, name := range sortedNames(cur.Bonds) {
		if _, keep := safe.Bonds[name]; !keep {
			req.Bonds = append(req.Bonds, hostnet.Bond{Name: name, Remove: true})
		}
	}
	for _, name := range sortedNames(safe.Bonds) {
		b := safe.Bonds[name]
		b.Name = name
		req.Bonds = append(req.Bonds, b)
	}
	return hostnet.PlanSetup(cur, req)
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
