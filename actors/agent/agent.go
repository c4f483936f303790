// Package agent wires the actor tree together: libvirt connection, host actor, broker, router and
// its pool, and the listener; and takes it apart again in order on shutdown. It holds no verb
// logic; cmd/agent parses flags into a Config and calls Start.
package agent

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent"
	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/conn"
	"github.com/hostagent/hostagent/actors/host"
	netact "github.com/hostagent/hostagent/actors/net"
	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/actors/verbs"
	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/metrics"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// Version is the agent's version, reported as software_revision.
var Version = "0.1.0"

// Config is everything the agent can be told.
type Config struct {
	Listen         string
	TLS            *tls.Config // nil: plain TCP
	LibvirtURI     string      // "" : the embedded test-driver host
	Workers        int
	Queue          int
	Deadline       time.Duration
	Deadlines      map[string]time.Duration
	SampleInterval time.Duration // host and VM stats sampling
	StuckAfter     time.Duration // a VM inside one libvirt call for longer is not responding
	Root           string        // filesystem root for /proc and /sys
	Limits         stomp.Limits
	MaxConnections int
	MaxOutboxBytes int
	DetectTimeout  time.Duration
	MetricsListen  string // "" : no metrics endpoint
	// MigrationURI is the destination libvirtd's URI for live migration, %s for its host
	// ("": qemu+tls://%s/system).
	MigrationURI string
	// MigrationMonitorInterval and MaxOutgoingMigrations: vm.MigrationConfig's MonitorInterval
	// and MaxOutgoing (0: VDSM's defaults).
	MigrationMonitorInterval time.Duration
	MaxOutgoingMigrations    int
	// MigrationDestinationTimeout is vm.MigrationConfig's DestinationTimeout.
	MigrationDestinationTimeout time.Duration
	// ManageNetworks starts the network actor (Host.setupNetworks and friends); off, those verbs
	// answer 44. NetNamespace names the namespace it manages ("" the agent's own), NetStateDir
	// where it keeps the running and safe configuration ("" nowhere). FakeNICs are the device
	// name patterns caps and the network actor treat as NICs (nil: hostnet.DefaultFakeNICs).
	ManageNetworks bool
	FakeNICs       []string
	NetNamespace   string
	NetStateDir    string
	// PayloadDir is where payload disk images are built; "" a directory under the system's
	// temporary one.
	PayloadDir string
	Faults     *supervisor.Injector // tests only
	Log        zerolog.Logger
}

func (c *Config) defaults() {
	if c.Listen == "" {
		c.Listen = "[::]:54321"
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Queue < 0 {
		c.Queue = 0
	}
	if c.Deadline <= 0 {
		c.Deadline = 60 * time.Second
	}
	if c.SampleInterval <= 0 {
		c.SampleInterval = 15 * time.Second
	}
	if c.Root == "" {
		c.Root = "/"
	}
	if c.PayloadDir == "" {
		c.PayloadDir = filepath.Join(os.TempDir(), "hostagent-payload")
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = 15 * time.Second
	}
	// setupNetworks answers only once its connectivity check ends (the engine's default timeout
	// is 120 s), so the general deadline would cut it short.
	if _, ok := c.Deadlines["Host.setupNetworks"]; c.ManageNetworks && !ok {
		c.Deadlines = maps.Clone(c.Deadlines)
		if c.Deadlines == nil {
			c.Deadlines = map[string]time.Duration{}
		}
		c.Deadlines["Host.setupNetworks"] = 5 * time.Minute
	}
	// An unplug answers once the guest lets the NIC go, or with VDSM's error after
	// vm.HotunplugTimeout: the general deadline must not answer it first.
	if _, ok := c.Deadlines["VM.hotunplugNic"]; !ok {
		c.Deadlines = maps.Clone(c.Deadlines)
		if c.Deadlines == nil {
			c.Deadlines = map[string]time.Duration{}
		}
		c.Deadlines["VM.hotunplugNic"] = vm.HotunplugTimeout + 30*time.Second
	}
}

// Agent is a running agent.
type Agent struct {
	cfg       Config
	sys       *actor.ActorSystem
	lv        *virt.Conn
	tmpHost   string
	admission *router.Admission
	ready     atomic.Bool
	readyCh   chan struct{}
	listener  *conn.Listener
	router    *actor.PID
	gate      *router.Gate
	broker    *actor.PID
	host      *actor.PID
	net       *actor.PID // nil unless cfg.ManageNetworks
	registry  *actor.PID
	sampler   *actor.PID
	env       *verbs.Env
	metrics   *metrics.Metrics
	mserver   *metrics.Server
	stopOnce  sync.Once
	stopErr   error
}

// Start boots the agent and starts serving.
func Start(cfg Config) (*Agent, error) {
	cfg.defaults()
	a := &Agent{cfg: cfg, readyCh: make(chan struct{})}
	uri := cfg.LibvirtURI
	if uri == "" {
		path, err := writeDefaultHost()
		if err != nil {
			return nil, err
		}
		a.tmpHost = path
		uri = "test://" + path
	}
	lv, err := virt.Open(uri)
	if err != nil {
		a.cleanup()
		return nil, err
	}
	a.lv = lv
	a.metrics = metrics.New()
	a.metrics.Libvirt.Set(1)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		a.cleanup()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}

	a.sys = system.New(cfg.Log)
	root := a.sys.Root
	start := time.Now()
	a.host = root.Spawn(actor.PropsFromProducer(host.New(host.Config{
		Root: cfg.Root, Libvirt: lv, AgentVersion: Version, Start: start,
		SampleInterval: cfg.SampleInterval, FakeNICs: cfg.FakeNICs, Log: cfg.Log.With().Str("actor", "host").Logger(),
	}), actor.WithDispatcher(system.Dispatcher()),
		actor.WithGuardian(&supervisor.Resume{Kind: "host", Log: cfg.Log, OnFailure: func() { a.metrics.Restarted("host") }}),
		actor.WithReceiverMiddleware(system.TakeTicks, supervisor.AnswerOnPanic[*reply.Reply](cfg.Log, "host"), cfg.Faults.Middleware("host"))))
	dir := broker.NewDirectory()
	a.broker = root.Spawn(broker.New(dir, cfg.Log))
	if cfg.ManageNetworks {
		a.net = root.Spawn(actor.PropsFromProducer(netact.New(netact.Config{
			Namespace: cfg.NetNamespace, FakeNICs: cfg.FakeNICs, StateDir: cfg.NetStateDir, Host: a.host, Log: cfg.Log.With().Str("actor", "net").Logger(),
		}), actor.WithDispatcher(system.Dispatcher()),
			actor.WithGuardian(&supervisor.Resume{Kind: "net", Log: cfg.Log, OnFailure: func() { a.metrics.Restarted("net") }}),
			actor.WithReceiverMiddleware(supervisor.AnswerOnPanic[*reply.Reply](cfg.Log, "net"), cfg.Faults.Middleware("net"))))
	}

	clock, err := vm.SystemClock()
	if err != nil {
		a.cleanup()
		return nil, err
	}
	index := vm.NewIndex()
	lastSample := new(atomic.Int64)
	a.metrics.Gauge("hostagent_vm_sample_age_seconds", "Age of the latest VM stats sample (-1 before the first).", func() float64 {
		if t := lastSample.Load(); t != 0 {
			return time.Since(time.Unix(0, t)).Seconds()
		}
		return -1
	})
	a.registry = root.Spawn(vm.NewRegistry(vm.Config{
		Libvirt: lv, Index: index, Broker: a.broker, Host: a.host, Ready: &a.ready, OnReady: func() { close(a.readyCh) }, Clock: clock,
		StuckAfter: cfg.StuckAfter, Faults: cfg.Faults, Metrics: a.metrics, LastSample: lastSample, Log: cfg.Log.With().Str("actor", "vm").Logger(),
		Engine: host.EngineHost(cfg.Root, lv),
		Migration: vm.MigrationConfig{DestURI: cfg.MigrationURI, PeerTLS: vm.PeerTLS(cfg.TLS),
			MonitorInterval: cfg.MigrationMonitorInterval, MaxOutgoing: cfg.MaxOutgoingMigrations,
			DestinationTimeout: cfg.MigrationDestinationTimeout},
		PayloadDir: cfg.PayloadDir,
	}))
	a.sampler = root.Spawn(actor.PropsFromProducer(vm.NewSampler(lv, a.registry, cfg.SampleInterval,
		cfg.Log.With().Str("actor", "sampler").Logger()), actor.WithDispatcher(system.Dispatcher()),
		actor.WithReceiverMiddleware(system.TakeTicks, cfg.Faults.Middleware("sampler"))))

	lv.OnConnectionChange(func(reason string) {
		a.metrics.Libvirt.Set(0)
		root.Send(a.registry, &vm.LibvirtLost{Reason: reason})
	}, func() {
		a.metrics.Libvirt.Set(1)
		root.Send(a.registry, &vm.LibvirtBack{})
	})
	a.env = &verbs.Env{Root: root, Host: a.host, Net: a.net, VMs: a.registry, Libvirt: lv, Index: index, StuckAfter: cfg.StuckAfter, Log: cfg.Log}
	table := verbs.NewTable(append(append(append(verbs.HostVerbs(), verbs.NetVerbs()...), verbs.VMVerbs()...), append(verbs.EngineVerbs(), verbs.MigrateVerbs()...)...)...)
	a.admission = router.NewAdmission(cfg.Workers + cfg.Queue)
	rcfg := router.Config{
		Workers: cfg.Workers, Queue: cfg.Queue, Deadline: cfg.Deadline, Deadlines: cfg.Deadlines,
		Table: table, Env: a.env, Admission: a.admission, Pool: router.NewPool(), Ready: &a.ready, Faults: cfg.Faults, Metrics: a.metrics,
		Log: cfg.Log.With().Str("actor", "router").Logger(),
	}
	a.router = root.Spawn(router.New(rcfg))
	a.gate = router.NewGate(root, rcfg)
	// Every request is answered 99 until the registry has attached to the existing domains.
	root.Send(a.registry, &vm.Recover{})

	a.listener = conn.Listen(a.sys, ln, conn.Config{
		TLS: cfg.TLS, Limits: cfg.Limits, MaxConnections: cfg.MaxConnections, MaxOutboxBytes: cfg.MaxOutboxBytes,
		DetectTimeout: cfg.DetectTimeout, Router: a.gate, Directory: dir,
		Log: cfg.Log.With().Str("actor", "conn").Logger(),
	})
	a.metrics.Gauge("hostagent_requests_in_flight", "Admitted requests not yet answered.", func() float64 { return float64(a.admission.InFlight()) })
	a.metrics.Gauge("hostagent_connections", "Open client connections.", func() float64 { return float64(a.listener.Connections()) })
	if cfg.MetricsListen != "" {
		if a.mserver, err = metrics.Serve(cfg.MetricsListen, a.metrics); err != nil {
			a.listener.CloseAll(time.Second)
			a.cleanup()
			return nil, fmt.Errorf("metrics endpoint on %s: %w", cfg.MetricsListen, err)
		}
		cfg.Log.Info().Str("metrics", a.mserver.Addr().String()).Msg("metrics endpoint serving")
	}
	cfg.Log.Info().Str("listen", ln.Addr().String()).Str("libvirt", uri).Bool("tls", cfg.TLS != nil).
		Int("workers", cfg.Workers).Int("queue", cfg.Queue).Msg("agent serving")
	return a, nil
}

// writeDefaultHost puts the embedded test-driver host where libvirt can read it: the test driver
// takes a file path, not bytes.
func writeDefaultHost() (string, error) {
	dir, err := os.MkdirTemp("", "hostagent-")
	if err != nil {
		return "", fmt.Errorf("default libvirt host: %w", err)
	}
	path := filepath.Join(dir, "host.xml")
	if err := os.WriteFile(path, hostagent.DefaultHost, 0o600); err != nil {
		return "", fmt.Errorf("default libvirt host: %w", err)
	}
	return path, nil
}

// MetricsAddr is where the metrics endpoint listens (nil when it is off).
func (a *Agent) MetricsAddr() net.Addr {
	if a.mserver == nil {
		return nil
	}
	return a.mserver.Addr()
}

// Ready is closed once the agent has recovered its VMs and answers requests.
func (a *Agent) Ready() <-chan struct{} { return a.readyCh }

// Addr is the address the agent listens on.
func (a *Agent) Addr() net.Addr { return a.listener.Addr() }

// System is the actor system (tests use it to reach actors).
func (a *Agent) System() *actor.ActorSystem { return a.sys }

// Gate admits requests as a connection's reader does (tests and benchmarks use it directly).
func (a *Agent) Gate() *router.Gate { return a.gate }

// SampleNow takes a VM stats sample at once; requests sent after it returns see the sample.
func (a *Agent) SampleNow() {
	done := make(chan struct{})
	a.sys.Root.Send(a.sampler, &vm.SampleNow{Done: done})
	<-done
}

// InFlight is the number of admitted requests not yet answered.
func (a *Agent) InFlight() int { return a.admission.InFlight() }

// Pool asks the router for its pool's state.
func (a *Agent) Pool() (*router.PoolStats, error) {
	res, err := a.sys.Root.RequestFuture(a.router, &router.Stats{}, 5*time.Second).Result()
	if err != nil {
		return nil, err
	}
	return res.(*router.PoolStats), nil
}

// ErrGraceExpired is Shutdown's report that some requests had to be answered with an error
// because they did not finish within the grace period.
var ErrGraceExpired = errors.New("grace period expired before every request finished")

// SettleTime is what Shutdown takes at most past the moment every request is answered (or the
// grace ends): the answers reach their sockets and the actors stop, all at once. An actor that
// has not stopped by then is stuck in its turn (a libvirt call that does not return) and is left
// to the process's exit: it has cost its own answer and this bound, nothing else.
const SettleTime = 5 * time.Second

// Shutdown stops accepting, lets every admitted request finish (up to grace; what is left is
// answered with an error, never dropped), lets the answers reach their sockets, then closes
// everything. It returns within grace + SettleTime whatever the actors are doing.
func (a *Agent) Shutdown(grace time.Duration) error {
	a.stopOnce.Do(func() { a.stopErr = a.shutdown(grace) })
	return a.stopErr
}

func (a *Agent) shutdown(grace time.Duration) error {
	log := a.cfg.Log
	a.listener.Stop()
	drained := a.admission.Drain()
	if n := a.admission.InFlight(); n > 0 {
		log.Info().Int("in_flight", n).Dur("grace", grace).Msg("waiting for the requests in flight")
	}
	var err error
	over := time.NewTimer(grace)
	select {
	case <-drained:
		over.Stop()
	case <-over.C:
		n := a.admission.AnswerAll(vdsm.CodeInternal, vdsm.Internal("the agent is shutting down").Message)
		log.Warn().Int("answered", n).Msg("grace period over; answered the rest with an error")
		err = ErrGraceExpired
	}
	// Every request is answered now. The rest happens at once, and nothing waits for it past
	// SettleTime: the connections write the answers queued in their outboxes and close, the
	// actors handle what is in their mailboxes and stop, the metrics endpoint closes, and the
	// libvirt connection closes once nothing that calls libvirt runs any more.
	end := time.Now().Add(SettleTime)
	abandon := make(chan struct{})
	defer close(abandon)
	flushed := after(func() { a.listener.CloseAll(time.Until(end)) })
	type stage struct {
		name string
		done <-chan struct{}
	}
	var stages []stage
	for _, s := range []struct {
		name string
		pid  *actor.PID
	}{{"router", a.router}, {"sampler", a.sampler}, {"vm registry", a.registry}, {"net", a.net}, {"host", a.host}, {"broker", a.broker}} {
		if s.pid != nil {
			stages = append(stages, stage{s.name, a.poison(s.pid)})
		}
	}
	actors := slices.Clone(stages)
	if ms := a.mserver; ms != nil {
		a.mserver = nil
		stages = append(stages, stage{"metrics endpoint", after(func() { ms.Close() })})
	}
	if lv := a.lv; lv != nil {
		a.lv = nil
		// Once every actor has stopped: closing it under a call still running would free what
		// the call uses.
		stages = append(stages, stage{"libvirt connection", after(func() {
			for _, s := range actors {
				select {
				case <-s.done:
				case <-abandon:
					return
				}
			}
			lv.Close()
		})})
	}
	settled := time.NewTimer(time.Until(end))
	defer settled.Stop()
	timeUp := false
	// in reports whether ch closed by end; once end has passed, it only looks.
	in := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
		}
		if timeUp {
			return false
		}
		select {
		case <-ch:
			return true
		case <-settled.C:
			timeUp = true
			return false
		}
	}
	var left []string
	for _, s := range append(stages, stage{"connections' last writes", flushed}) {
		if !in(s.done) {
			left = append(left, s.name)
		}
	}
	if len(left) > 0 {
		// An actor that did not stop is stuck in its turn, most likely in a libvirt call that
		// does not return; the process's exit ends it, and closes what is still open.
		log.Warn().Strs("left", left).Dur("settle", SettleTime).Msg("not stopped in time; left to the process's exit")
	}
	if a.tmpHost != "" {
		os.RemoveAll(filepath.Dir(a.tmpHost))
		a.tmpHost = ""
	}
	return err
}

// after runs f on a goroutine; the channel closes when it returns.
func after(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	return done
}

// poison tells pid to stop once its mailbox is handled; the channel closes when it has stopped.
func (a *Agent) poison(pid *actor.PID) <-chan struct{} {
	f := a.sys.Root.PoisonFuture(pid)
	stopped := make(chan struct{})
	go func() {
		// protoactor's own time-out (10 s, past SettleTime) ends this goroutine.
		if f.Wait() == nil {
			close(stopped)
		}
	}()
	return stopped
}

func (a *Agent) cleanup() {
	if a.mserver != nil {
		a.mserver.Close()
		a.mserver = nil
	}
	if a.lv != nil {
		a.lv.Close()
		a.lv = nil
	}
	if a.tmpHost != "" {
		os.RemoveAll(filepath.Dir(a.tmpHost))
		a.tmpHost = ""
	}
}
