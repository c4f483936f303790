package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/agent"
)

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "[::]:54321", "address to listen on (HOST:PORT)")
	useTLS := fs.Bool("tls", true, "require mutual TLS; --tls=false serves plain TCP (tests only)")
	cert := fs.String("tls-cert", "/etc/pki/vdsm/certs/vdsmcert.pem", "server certificate (PEM)")
	key := fs.String("tls-key", "/etc/pki/vdsm/keys/vdsmkey.pem", "server private key (PEM)")
	ca := fs.String("tls-ca", "/etc/pki/vdsm/certs/cacert.pem", "CA that client certificates must chain to (PEM)")
	uri := fs.String("libvirt-uri", "", "libvirt URI (default: the embedded test-driver host; qemu:///system on a real host)")
	migrationURI := fs.String("migration-uri", "qemu+tls://%s/system", "destination libvirtd of a live migration, %s for the destination host (qemu+tcp://%s/system: tests)")
	migMonitor := fs.Duration("migration-monitor-interval", 10*time.Second, "how often a running outgoing migration's progress is read, sent as VM_migration_status and its convergence schedule applied (VDSM's migration_monitor_interval)")
	maxOutgoing := fs.Int("max-outgoing-migrations", 2, "outgoing live migrations running at once; more wait (VDSM's max_outgoing_migrations)")
	destTimeout := fs.Duration("migration-destination-timeout", 6*time.Hour, "how long a destination waits for an incoming VM to arrive and run before it reports it Down (VDSM's migration_destination_timeout)")
	retryTimeout := fs.Duration("migration-retry-timeout", 10*time.Second, "how long a source waits before asking a destination that had no room again (VDSM's migration_retry_timeout)")
	workers := fs.Int("workers", 8, "worker actors")
	queue := fs.Int("queue", 80, "requests admitted beyond the workers before answering 1100")
	deadline := fs.Duration("deadline", 60*time.Second, "deadline of every verb not named by --verb-deadline")
	verbDeadlines := verbDeadlineFlag{}
	fs.Var(verbDeadlines, "verb-deadline", "a verb's own deadline, VERB=DURATION (repeatable), e.g. Host.getCapabilities=120s")
	stuck := fs.Duration("stuck-after", 15*time.Second, "a VM inside one libvirt call for longer is reported not responding and refuses verbs")
	sample := fs.Duration("sample-interval", 15*time.Second, "host and VM stats sampling interval")
	grace := fs.Duration("shutdown-grace", 30*time.Second, "how long SIGTERM waits for requests in flight; the agent exits within it plus 5 s whatever it is doing")
	metricsListen := fs.String("metrics-listen", "", "serve Prometheus metrics on HOST:PORT at /metrics (off unless set)")
	payloadDir := fs.String("payload-dir", "/run/hostagent/payload", "where the images of VMs' cloud-init and sysprep payload disks are built")
	level := fs.String("log-level", "info", "trace, debug, info, warn, error")
	format := fs.String("log-format", "", "json or console (default: console on a terminal, else json)")
	netf := registerNetFlags(fs)
	configFile := fs.String("config", "", "read settings from this file (key = value, keys are these flags' names); flags given here win")
	printCfg := fs.Bool("print-config", false, "print the effective configuration in the config file's format and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *configFile != "" {
		if err := applyConfigFile(fs, *configFile); err != nil {
			fmt.Fprintln(os.Stderr, "agent serve:", err)
			return 2
		}
	}
	if *printCfg {
		printConfig(fs, os.Stdout)
		return 0
	}
	log, err := newLogger(*level, *format)
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent serve:", err)
		return 2
	}
	cfg := agent.Config{Listen: *listen, LibvirtURI: *uri, Workers: *workers, Queue: *queue,
		Deadline: *deadline, Deadlines: verbDeadlines, SampleInterval: *sample, StuckAfter: *stuck, MetricsListen: *metricsListen,
		MigrationURI: *migrationURI, PayloadDir: *payloadDir, Log: log,
		MigrationMonitorInterval: *migMonitor, MaxOutgoingMigrations: *maxOutgoing,
		MigrationDestinationTimeout: *destTimeout, MigrationRetryTimeout: *retryTimeout}
	netf.apply(&cfg)
	if *useTLS {
		if cfg.TLS, err = agent.ServerTLS(*cert, *key, *ca); err != nil {
			log.Error().Err(err).Msg("TLS setup failed (use --tls=false for plain TCP)")
			return 1
		}
	}
	a, err := agent.Start(cfg)
	if err != nil {
		log.Error().Err(err).Msg("agent failed to start")
		return 1
	}
	go func() {
		// Verbs other than pings answer 99 until the VMs are recovered; this line says they no
		// longer do, for an admin and for tests that start the binary.
		<-a.Ready()
		log.Info().Msg("agent ready")
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	s := <-sigs
	start := time.Now()
	log.Info().Str("signal", s.String()).Dur("grace", *grace).Msg("shutting down")
	if err := a.Shutdown(*grace); err != nil {
		log.Warn().Err(err).Msg("shutdown")
	}
	log.Info().Dur("took", time.Since(start)).Msg("stopped")
	return 0
}

func newLogger(level, format string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Logger{}, fmt.Errorf("bad --log-level %q", level)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	if format == "" {
		format = "json"
		if isatty.IsTerminal(os.Stderr.Fd()) {
			format = "console"
		}
	}
	var log zerolog.Logger
	switch format {
	case "json":
		log = zerolog.New(os.Stderr)
	case "console":
		log = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"})
	default:
		return zerolog.Logger{}, fmt.Errorf("bad --log-format %q (json or console)", format)
	}
	return log.Level(lvl).With().Timestamp().Str("svc", "hostagent").Logger(), nil
}

// verbDeadlineFlag collects --verb-deadline VERB=DURATION values.
type verbDeadlineFlag map[string]time.Duration

func (f verbDeadlineFlag) String() string {
	parts := make([]string, 0, len(f))
	for k, v := range f {
		parts = append(parts, k+"="+v.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (f verbDeadlineFlag) Set(s string) error {
	verb, d, ok := strings.Cut(s, "=")
	if !ok || !strings.Contains(verb, ".") {
		return fmt.Errorf("want VERB=DURATION, got %q", s)
	}
	dur, err := time.ParseDuration(d)
	if err != nil || dur <= 0 {
		return fmt.Errorf("bad duration in %q", s)
	}
	f[verb] = dur
	return nil
}
