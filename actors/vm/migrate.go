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
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

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
	// MaxOutgoing is VDSM's max_outgoing_migrations (default 2), the bound of Outgoing.
	MaxOutgoing int
	// RetryInterval is VDSM's migration_retry_timeout (default 10 s): how long a source waits,
	// its outgoing slot released, before it asks a destination that had no room again.
	RetryInterval time.Duration
	// MonitorInterval is VDSM's migration_monitor_interval (default 10 s): how often a running
	// outgoing migration's job is read, its progress sent and its convergence schedule applied.
	MonitorInterval time.Duration
	// DestinationTimeout is VDSM's migration_destination_timeout (default 6 h): how long a
	// destination waits for its incoming domain to run before it gives up on it.
	DestinationTimeout time.Duration
	// Outgoing is the host's limit of outgoing migrations, shared by its VM actors; the
	// registry makes it (withDefaults) when nil.
	Outgoing *OutgoingLimit
}

func (m MigrationConfig) withDefaults() MigrationConfig {
	if m.Outgoing == nil {
		m.Outgoing = NewOutgoingLimit(m.MaxOutgoing)
	}
	if m.MonitorInterval <= 0 {
		m.MonitorInterval = 10 * time.Second
	}
	if m.RetryInterval <= 0 {
		m.RetryInterval = 10 * time.Second
	}
	if m.DestinationTimeout <= 0 {
		m.DestinationTimeout = 6 * time.Hour
	}
	return m
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
	OutgoingLimit  int    // moves this host's bound of outgoing migrations; 0: unchanged
	ConsoleAddress string
	// Schedule is the engine's convergenceSchedule; nil: none.
	Schedule *ConvergenceSchedule
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
	// postCopy: it failed in post-copy (migrate_run.go attempt).
	postCopy bool
}

// outgoingMigration is the source actor's record of its latest migration: what
// VM.getMigrationStatus answers, and what VM.migrateCancel stops.
type outgoingMigration struct {
	gen      int
	running  bool
	gate     *migrationGate
	code     int
	message  string
	progress int
	// recovered: found running by a restarted agent; no goroutine waits for its end, the
	// monitor sees it (migrate_monitor.go).
	recovered bool
	// dst is the destination agent, "host:port" ("" when a recovered one did not say).
	dst string
	// The monitor (migrate_monitor.go).
	schedule *ConvergenceSchedule
	conv     *convergence
	tick     *time.Timer
	// postCopy: libvirt accepted the switch to post-copy (VDSM's PostCopyPhase.REQUESTED); the
	// VM's state says when it runs (State.PostCopy, RUNNING).
	postCopy bool
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
	case *migrationStarting:
		a.migrationStarting(c, m)
	case *migrationRetrying:
		if a.mig != nil && m.gen == a.mig.gen && a.mig.running {
			// VDSM's source thread shows the destination's refusal while it waits to retry.
			a.mig.code, a.mig.message = m.err.Code, m.err.Message
		}
	case *migrationTick:
		a.migrationTick(c, m)
	case *incomingTimedOut:
		if a.inTimer != nil {
			a.inTimer = nil
			a.log.Warn().Dur("timeout", a.migCfg.DestinationTimeout).Msg("the incoming migration did not complete in time; giving up on it")
			a.step(c, IncomingTimedOut{})
		}
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
		PostCopy: m.Schedule.wantsPostCopy(),
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
	a.mig = &outgoingMigration{gen: gen, running: true, gate: newMigrationGate(),
		code: vdsm.CodeDone, message: "Migration in progress", schedule: m.Schedule, dst: m.Dst}
	a.recordDest(m.Dst) // migrate_recovery.go
	limit := a.migCfg.Outgoing
	if m.OutgoingLimit > 0 {
		limit.SetBound(m.OutgoingLimit)
	}
	a.step(c, MigrateRequested{})
	params := map[string]any{
		"vmId":              a.id,
		"_srcDomXML":        x,
		"xml":               x,
		"elapsedTimeOffset": float64(time.Now().UnixMilli()-a.state.StartTime) / 1000,
	}
	for k, v := range migrationGuestParams(a.state) { // status_agent.go
		params[k] = v
	}
	peer := a.peer(m.Dst)
	peer.incoming = m.IncomingLimit
	root, self, lv, id, gate := c.ActorSystem().Root, c.Self(), a.lv, a.id, a.mig.gate
	log := a.log
	run := migrationRun{peer: peer, params: params, gate: gate, limit: limit, retry: a.migCfg.RetryInterval,
		refused: func(e *vdsm.Error) { root.Send(self, &migrationRetrying{gen: gen, err: e}) },
		migrate: func() error {
			root.Send(self, &migrationStarting{gen: gen})
			return lv.Migrate(id, opts)
		},
		inPostCopy: func() bool {
			state, reason, err := lv.State(id)
			return err == nil && state == DomainPaused && (reason == PausedPostcopy || reason == PausedPostcopyFailed)
		}}
	go func() {
		verr, cause := run.run()
		postCopy := errors.Is(cause, errFailedInPostCopy)
		switch {
		case postCopy:
			log.Error().Err(cause).Str("dst", peer.addr).Msg("migration failed in post-copy; the VM is lost")
		case verr != nil:
			log.Warn().Err(cause).Str("dst", peer.addr).Int("code", verr.Code).Msg("migration failed; the VM stays here")
		}
		root.Send(self, &migrationEnded{gen: gen, err: verr, postCopy: postCopy})
	}()
	// VDSM answers with its status dict, which its JSON-RPC bridge turns into true.
	m.Reply.Result(true)
}

// migrationGate is where VM.migrateCancel and the migration goroutine meet: a cancel before
// libvirt's migration begins stops it there (and ends a wait for a slot), one after it aborts
// libvirt's job. The phase changes once, by compare-and-swap, so exactly one side decides.
type migrationGate struct {
	stop  chan struct{} // closed on cancel
	phase atomic.Int32  // gateWaiting, then gateStarted or gateCancelled
	once  sync.Once
	// postCopy: the migration runs in post-copy (set by the actor from the VM's state): a
	// failure then leaves the destination's half to the destination (migration.py _recover).
	postCopy atomic.Bool
}

const (
	gateWaiting int32 = iota
	gateStarted
	gateCancelled
)

func newMigrationGate() *migrationGate { return &migrationGate{stop: make(chan struct{})} }

// begin is the goroutine's last step before libvirt's migration; false: cancelled.
func (g *migrationGate) begin() bool { return g.phase.CompareAndSwap(gateWaiting, gateStarted) }

// cancel marks the migration cancelled; true if it had not begun (nothing to abort).
func (g *migrationGate) cancel() bool {
	g.once.Do(func() { close(g.stop) })
	return g.phase.CompareAndSwap(gateWaiting, gateCancelled) || g.phase.Load() == gateCancelled
}

func (g *migrationGate) cancelled() bool { return isClosed(g.stop) }

func (a *vmActor) migrationEnded(c actor.Context, m *migrationEnded) {
	if a.mig == nil || m.gen != a.mig.gen {
		return
	}
	a.mig.running = false
	a.stopMonitor()
	if m.err != nil {
		a.mig.code, a.mig.message = m.err.Code, m.err.Message
		a.recordDest("")
		a.step(c, MigrationFailed{PostCopy: m.postCopy})
		return
	}
	a.mig.progress, a.mig.message = 100, "Migration done"
	// Down with "Migration succeeded" and forgotten in the same report, so no client sees a Down
	// VM linger here (libvirt's STOPPED/migrated, when it comes first, does the same and this
	// message never arrives: the actor is gone).
	a.step(c, MigrationSucceeded{})
}

// migrationStepped follows each step of the VM's status: the migration's goroutine must know once
// post-copy runs.
func (a *vmActor) migrationStepped() {
	if a.mig != nil && a.mig.running && postCopySource(a.state) {
		a.mig.gate.postCopy.Store(true)
	}
}

func (a *vmActor) migrateCancel(m *MigrateCancel) {
	if a.mig == nil || !a.mig.running || postCopySource(a.state) {
		// In post-copy libvirt refuses to abort ("cannot abort migration in post-copy mode",
		// VIR_ERR_OPERATION_INVALID), which VDSM answers migCancelErr: the guest already runs
		// on the destination, and there is no way back.
		m.Reply.Error(vdsm.CodeMigrationCancelFailed, vdsm.Message(vdsm.CodeMigrationCancelFailed))
		return
	}
	if a.mig.gate.cancel() {
		// Still waiting for a slot or for the destination: libvirt's migration will not start.
		a.mig.message = "Migration process cancelled"
		m.Reply.Result(true)
		return
	}
	err := a.call(a.lv.AbortJob)
	if err != nil && errors.Is(err, virt.ErrNotRunning) && a.mig.postCopy {
		// Switching to post-copy: libvirt's refusal is the post-copy one, not a job still to
		// come.
		a.log.Warn().Err(err).Msg("cancelling a migration that is switching to post-copy failed")
		m.Reply.Error(vdsm.CodeMigrationCancelFailed, vdsm.Message(vdsm.CodeMigrationCancelFailed))
		return
	}
	if err != nil && !errors.Is(err, virt.ErrNotRunning) {
		failLibvirt(m.Reply, a.id, err)
		return
	}
	// ErrNotRunning: libvirt's migration is starting and has no job yet.
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
		a.readJob()
	}
	m.Reply.Result(map[string]any{"status": map[string]any{"code": a.mig.code, "message": a.mig.message}, "progress": a.mig.progress})
}
