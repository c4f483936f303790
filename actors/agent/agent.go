// Package agent wires the actor tree together: libvirt connection, host actor, broker, router and
// its pool, and the listener; and takes it apart again in order on shutdown. It holds no verb
// logic; cmd/agent parses flags into a Config and calls Start.
package agent

import (
	"crypto/tls"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
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
	// MigrationDestinationTimeout and MigrationRetryTimeout are vm.MigrationConfig's
	// DestinationTimeout and RetryInterval.
	MigrationDestinationTimeout time.Duration
	MigrationRetryTimeout       time.Duration
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
		Libvirt: lv, Index: index, Broker: a.broker, Host: a.host, Net: a.net, Ready: &a.ready, OnReady: func() { close(a.readyCh) }, Clock: clock,
		StuckAfter: cfg.StuckAfter, Faults: cfg.Faults, Metrics: a.metrics, LastSample: lastSample, Log: cfg.Log.With().Str("actor", "vm").Logger(),
		Engine: host.EngineHost(cfg.Root, lv),
		Migration: vm.MigrationConfig{DestURI: cfg.MigrationURI, PeerTLS: vm.PeerTLS(cfg.TLS),
			MonitorInterval: cfg.MigrationMonitorInterval, MaxOutgoing: cfg.MaxOutgoingMigrations,
			DestinationTimeout: cfg.MigrationDestinationTimeout, RetryInterval: cfg.MigrationRetryTimeout},
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
