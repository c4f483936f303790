package vm

// Live migration, both ends. The source VM actor accepts VM.migrate, asks the destination agent
// to prepare (VM.migrationCreate over STOMP), then has its libvirtd migrate the domain peer to
// peer; the destination's registry spawns a VM actor in "Migration Destination" that waits for
// the domain to arrive (libvirt's RESUMED/migrated makes it Up, status.go). The blocking parts —
// the peer call and libvirt's MigrateToURI3, which lasts as long as the migration — run on a
// goroutine the VM actor owns; it reports back with migrationEnded, and the actor stays free for
// the verbs that are safe meanwhile (stats, cancel, status).

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/virt"
)

// MigrationConfig is how this agent reaches a destination.
type MigrationConfig struct {
	// DestURI is the destination libvirtd's URI with %s for the destination's host
	// (virt.DefaultMigrationURI when empty: qemu+tls).
	DestURI string
	// PeerTLS is the client side of mutual TLS towards the destination agent; nil: plain TCP
	// (tests).
	PeerTLS *tls.Config
	// PeerTimeout bounds dialling the destination agent and each call to it.
	PeerTimeout time.Duration
	// MaxIncoming is VDSM's max_incoming_migrations (default 2).
	MaxIncoming int
}

func (m MigrationConfig) peerTimeout() time.Duration {
	if m.PeerTimeout <= 0 {
		return 30 * time.Second
	}
	return m.PeerTimeout
}

func (m MigrationConfig) maxIncoming() int {
	if m.MaxIncoming <= 0 {
		return 2
	}
	return m.MaxIncoming
}

// Migrate is VM.migrate on the source, with the engine's parameters already read.
type Migrate struct {
	Reply *reply.Reply
	// Dst is the destination agent, "host:port".
	Dst string
	// DstQemu is the destination's address on the migration network; empty: its libvirtd picks.
	DstQemu        string
	Tunneled       bool
	AutoConverge   bool
	Compressed     bool
	AbortOnError   bool
	MaxBandwidth   uint64 // MiB/s, 0: unlimited
	IncomingLimit  int    // passed on to the destination's migrationCreate; 0: not sent
	ConsoleAddress string
}

// MigrateCancel is VM.migrateCancel.
type MigrateCancel struct{ Reply *reply.Reply }

// GetMigrationStatus is VM.getMigrationStatus.
type GetMigrationStatus struct{ Reply *reply.Reply }

// MigrationCreate is VM.migrationCreate on the destination: prepare for an incoming domain.
type MigrationCreate struct {
	Reply  *reply.Reply
	VMID   string
	Params map[string]json.RawMessage
}

func (m *Migrate) Answer() *reply.Reply            { return m.Reply }
func (m *MigrateCancel) Answer() *reply.Reply      { return m.Reply }
func (m *GetMigrationStatus) Answer() *reply.Reply { return m.Reply }
func (m *MigrationCreate) Answer() *reply.Reply    { return m.Reply }

// migrationEnded is the migration goroutine's report.
type migrationEnded struct {
	gen int
	err *vdsm.Error // nil: the domain runs on the destination
}

// outgoingMigration is the source actor's record of its latest migration: what
// VM.getMigrationStatus answers, and what VM.migrateCancel stops.
type outgoingMigration struct {
	gen       int
	running   bool
	cancelled *atomic.Bool // read by the goroutine before it starts libvirt's job
	code      int
	message   string
	progress  int
}

// migrationMessage handles the VM actor's migration messages; false: not one of them.
func (a *vmActor) migrationMessage(c actor.Context) bool {
	switch m := c.Message().(type) {
	case *Migrate:
		a.h.taken()
		a.migrate(c, m)
	case *MigrateCancel:
		a.h.taken()
		a.migrateCancel(m)
	case *GetMigrationStatus:
		a.h.taken()
		a.migrationStatus(m)
	case *migrationEnded:
		a.migrationEnded(c, m)
	default:
		return false
	}
	return true
}

func (a *vmActor) migrate(c actor.Context, m *Migrate) {
	switch {
	case a.state.Status == vdsm.StatusWaitForLaunch || a.state.Status == vdsm.StatusDown:
		// vm.py migrate: a VM not started yet or already Down raises a bare NoSuchVM.
		fail(m.Reply, vdsm.NewError(vdsm.CodeNoSuchVM))
		return
	case !outgoingAllowed(a.state):
		// Already migrating, either way.
		fail(m.Reply, vdsm.NewError(vdsm.CodeMigrationError))
		return
	}
	host, _, err := net.SplitHostPort(m.Dst)
	if err != nil {
		m.Reply.Error(vdsm.CodeGeneralException, vdsm.WithContext(vdsm.Message(vdsm.CodeGeneralException),
			"reason", fmt.Sprintf("dst %q is not host:port", m.Dst)))
		return
	}
	var x string
	if err := a.call(func(id string) error { var err error; x, err = a.lv.XML(id); return err }); err != nil {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	opts := virt.MigrateOptions{
		DestURI:        virt.DestURIFor(a.migCfg.DestURI, host),
		BandwidthMiBps: m.MaxBandwidth,
		Tunneled:       m.Tunneled, AutoConverge: m.AutoConverge, Compressed: m.Compressed, AbortOnError: m.AbortOnError,
	}
	if m.DstQemu != "" && !m.Tunneled {
		opts.DataURI = "tcp://" + m.DstQemu
		if strings.Contains(m.DstQemu, ":") && !strings.HasPrefix(m.DstQemu, "[") {
			opts.DataURI = "tcp://[" + m.DstQemu + "]"
		}
	}
	gen := 1
	if a.mig != nil {
		gen = a.mig.gen + 1
	}
	a.mig = &outgoingMigration{gen: gen, running: true, cancelled: new(atomic.Bool),
		code: vdsm.CodeDone, message: "Migration in progress"}
	a.step(c, MigrateRequested{})
	params := map[string]any{
		"vmId":              a.id,
		"_srcDomXML":        x,
		"xml":               x,
		"elapsedTimeOffset": float64(time.Now().UnixMilli()-a.state.StartTime) / 1000,
	}
	peer := peerCall{addr: m.Dst, tls: a.migCfg.PeerTLS, timeout: a.migCfg.peerTimeout(), vmID: a.id, incoming: m.IncomingLimit}
	if peer.tls != nil {
		peer.tls = peer.tls.Clone()
		peer.tls.ServerName = host
	}
	root, self, lv, id, cancelled := c.ActorSystem().Root, c.Self(), a.lv, a.id, a.mig.cancelled
	log := a.log
	go func() {
		verr, cause := runMigration(peer, params, cancelled, func() error { return lv.Migrate(id, opts) })
		if verr != nil {
			log.Warn().Err(cause).Str("dst", peer.addr).Int("code", verr.Code).Msg("migration failed; the VM stays here")
		}
		root.Send(self, &migrationEnded{gen: gen, err: verr})
	}()
	// VDSM answers with its status dict, which its JSON-RPC bridge turns into true.
	m.Reply.Result(true)
}

// peerCall is the way to the destination agent.
type peerCall struct {
	addr     string
	tls      *tls.Config
	timeout  time.Duration
	vmID     string
	incoming int
}

func (p peerCall) call(method string, params map[string]any) (json.RawMessage, error) {
	cl, err := client.Dial(client.Options{Addr: p.addr, TLS: p.tls, Timeout: p.timeout})
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	return cl.Call(method, params)
}

// runMigration is the source's whole migration off the actor: prepare the destination, migrate,
// and on failure remove the destination's half. It returns the error VM.getMigrationStatus shows.
func runMigration(p peerCall, params map[string]any, cancelled *atomic.Bool, migrate func() error) (*vdsm.Error, error) {
	create := map[string]any{"vmID": p.vmID, "params": params}
	if p.incoming > 0 {
		create["incomingLimit"] = p.incoming
	}
	if _, err := p.call("VM.migrationCreate", create); err != nil {
		var rpc *client.Error
		if errors.As(err, &rpc) {
			// The destination refused: its own error, as VDSM passes it on.
			return &vdsm.Error{Code: rpc.Code, Message: rpc.Message}, err
		}
		return vdsm.NewError(vdsm.CodeNoConnectionToPeer), err
	}
	err := errors.New("cancelled before the migration started")
	if !cancelled.Load() {
		err = migrate()
	}
	if err == nil {
		return nil, nil
	}
	// libvirt tears its half down on the destination; the destination agent's VM goes with it.
	_, _ = p.call("VM.destroy", map[string]any{"vmID": p.vmID})
	if errors.Is(err, virt.ErrMigrationAborted) || cancelled.Load() {
		return &vdsm.Error{Code: vdsm.CodeMigrationCancelFailed, Message: "Migration canceled"}, err
	}
	// migration.py _recover: the bare migrateErr; the cause goes to the log.
	return vdsm.NewError(vdsm.CodeMigrationError), err
}

func (a *vmActor) migrationEnded(c actor.Context, m *migrationEnded) {
	if a.mig == nil || m.gen != a.mig.gen {
		return
	}
	a.mig.running = false
	if m.err != nil {
		a.mig.code, a.mig.message = m.err.Code, m.err.Message
		a.step(c, MigrationFailed{})
		return
	}
	a.mig.progress, a.mig.message = 100, "Migration done"
	// Down with "Migration succeeded" and forgotten in the same report, so no client sees a Down
	// VM linger here (libvirt's STOPPED/migrated, when it comes first, does the same and this
	// message never arrives: the actor is gone).
	a.step(c, MigrationSucceeded{})
}

func (a *vmActor) migrateCancel(m *MigrateCancel) {
	if a.mig == nil || !a.mig.running {
		m.Reply.Error(vdsm.CodeMigrationCancelFailed, vdsm.Message(vdsm.CodeMigrationCancelFailed))
		return
	}
	a.mig.cancelled.Store(true)
	err := a.call(a.lv.AbortJob)
	if err != nil && !errors.Is(err, virt.ErrNotRunning) {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	// ErrNotRunning: no libvirt job yet (the destination is still preparing); the flag stops the
	// migration before it starts.
	a.mig.message = "Migration process cancelled"
	m.Reply.Result(true)
}

func (a *vmActor) migrationStatus(m *GetMigrationStatus) {
	if a.mig == nil {
		// VDSM's idle source thread: an untouched status.
		m.Reply.Result(map[string]any{"status": map[string]any{"code": 0, "message": "Migration in progress"}, "progress": 0})
		return
	}
	if a.mig.running {
		var j virt.JobInfo
		if err := a.call(func(id string) error { var err error; j, err = a.lv.Job(id); return err }); err == nil && j.Active {
			if p := j.Progress(); p > a.mig.progress {
				a.mig.progress = p
			}
		}
	}
	m.Reply.Result(map[string]any{"status": map[string]any{"code": a.mig.code, "message": a.mig.message}, "progress": a.mig.progress})
}

// migrationCreate is the destination's side: a VM actor in "Migration Destination" for the
// domain that the source's libvirtd is about to send.
func (r *Registry) migrationCreate(c actor.Context, m *MigrationCreate) {
	if _, exists := r.vms[m.VMID]; exists {
		m.Reply.Error(vdsm.CodeVMExists, vdsm.Message(vdsm.CodeVMExists))
		return
	}
	incoming := 0
	for _, en := range r.vms {
		if en.state.Status == vdsm.StatusMigrationDestination {
			incoming++
		}
	}
	if incoming >= r.cfg.Migration.maxIncoming() {
		m.Reply.Error(vdsm.CodeMigrationLimit, vdsm.Message(vdsm.CodeMigrationLimit))
		return
	}
	var xml string
	for _, k := range []string{"_srcDomXML", "xml"} {
		if raw, ok := m.Params[k]; ok && json.Unmarshal(raw, &xml) == nil && xml != "" {
			break
		}
	}
	info, err := ParseDomainXML(xml)
	if err != nil || info.UUID != m.VMID {
		m.Reply.Error(vdsm.CodeCannotCreateVM, vdsm.WithContext(vdsm.Message(vdsm.CodeCannotCreateVM),
			"reason", fmt.Sprintf("no domain XML of VM %s in the parameters (%v)", m.VMID, err)))
		return
	}
	now := time.Now()
	start := now.UnixMilli()
	var offset float64
	if raw, ok := m.Params["elapsedTimeOffset"]; ok && json.Unmarshal(raw, &offset) == nil && offset > 0 {
		start -= int64(offset * 1000)
	}
	r.spawn(c, m.VMID, &vmActor{incoming: &IncomingCreated{StartTime: start}, info: info, xml: xml})
	r.updateCounts(c)
	m.Reply.Result(map[string]any{
		"migrationPort": 0,
		"params": map[string]any{"vmId": m.VMID, "status": vdsm.StatusMigrationDestination,
			"statusTime": r.cfg.Clock.StatusTime(now)},
	})
}

// startIncoming is a destination VM actor's start: nothing to define or start, the domain comes
// with the migration.
func (a *vmActor) startIncoming(c actor.Context) {
	a.state, _ = Step(State{}, *a.incoming, time.Now())
	a.report(c, nil, true)
}

// PeerTLS is the client side of the agent's mutual TLS, for calls to a destination agent: the
// agent's own certificate, and the CA its clients chain to as the peer's root (as VDSM uses its
// host certificate towards the other VDSM). nil for a plain-TCP agent.
func PeerTLS(server *tls.Config) *tls.Config {
	if server == nil {
		return nil
	}
	return &tls.Config{Certificates: server.Certificates, RootCAs: server.ClientCAs, MinVersion: tls.VersionTLS12}
}
