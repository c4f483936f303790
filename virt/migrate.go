package virt

import (
	"errors"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
)

// DefaultMigrationURI is the destination libvirtd's URI pattern in production: libvirt's own TLS
// transport, as VDSM uses. Tests set qemu+tcp://%s/system.
const DefaultMigrationURI = "qemu+tls://%s/system"

// MigrateOptions are the knobs of one peer-to-peer live migration, as VDSM derives them from the
// engine's VM.migrate parameters.
type MigrateOptions struct {
	// DestURI is the destination libvirtd, as the source libvirtd (not this process) resolves it:
	// in peer-to-peer mode the source daemon opens that connection itself.
	DestURI string
	// DataURI, when set, is where QEMU's migration stream goes (VDSM's dstqemu, tcp://ADDR);
	// empty lets the destination name its own migration_host.
	DataURI string
	// DestXML is the domain definition the destination starts with (empty: the source's).
	DestXML string
	// BandwidthMiBps caps this migration only (0: unlimited). Per-migration on purpose: the
	// domain-wide MigrateSetMaxSpeed sticks to the domain after the job ends.
	BandwidthMiBps uint64
	Tunneled       bool
	AutoConverge   bool
	Compressed     bool
	AbortOnError   bool
	// PostCopy allows the migration to be switched to post-copy later (StartPostCopy), as VDSM
	// asks when the convergence schedule holds a postcopy step. Not a switch by itself: the
	// migration starts in pre-copy.
	PostCopy bool
}

// flags are VDSM's (always live and peer to peer, the rest as asked), and the domain stays
// persistent: defined on the destination, undefined here, as VM.create leaves a domain.
func (o MigrateOptions) flags() libvirt.DomainMigrateFlags {
	f := libvirt.MIGRATE_LIVE | libvirt.MIGRATE_PEER2PEER | libvirt.MIGRATE_PERSIST_DEST | libvirt.MIGRATE_UNDEFINE_SOURCE
	if o.Tunneled {
		f |= libvirt.MIGRATE_TUNNELLED
	}
	if o.AutoConverge {
		f |= libvirt.MIGRATE_AUTO_CONVERGE
	}
	if o.Compressed {
		f |= libvirt.MIGRATE_COMPRESSED
	}
	if o.AbortOnError {
		f |= libvirt.MIGRATE_ABORT_ON_ERROR
	}
	if o.PostCopy {
		f |= libvirt.MIGRATE_POSTCOPY
	}
	return f
}

// DestURIFor fills a URI pattern with the destination host ("%s"); a pattern without one is taken
// as it is.
func DestURIFor(pattern, host string) string {
	if pattern == "" {
		pattern = DefaultMigrationURI
	}
	if strings.Contains(pattern, "%s") {
		return fmt.Sprintf(pattern, host)
	}
	return pattern
}

// ErrMigrationAborted is what an Error wraps when the migration ended because its job was
// aborted.
var ErrMigrationAborted = errors.New("migration aborted")

// Migrate runs a live peer-to-peer migration of the domain and returns when it has ended: nil
// once the domain runs on the destination. It blocks for the whole migration, so the caller runs
// it off any actor's goroutine.
func (c *Conn) Migrate(uuid string, o MigrateOptions) error {
	if o.DestURI == "" {
		return fmt.Errorf("migrate %s: no destination URI", uuid)
	}
	p := &libvirt.DomainMigrateParameters{}
	if o.DataURI != "" {
		p.URISet, p.URI = true, o.DataURI
	}
	if o.DestXML != "" {
		p.DestXMLSet, p.DestXML = true, o.DestXML
	}
	if o.BandwidthMiBps > 0 {
		p.BandwidthSet, p.Bandwidth = true, o.BandwidthMiBps
	}
	err := c.withDomain("migrate", uuid, func(d *libvirt.Domain) error {
		return d.MigrateToURI3(o.DestURI, p, o.flags())
	})
	var e *Error
	if errors.As(err, &e) && e.Code == int(libvirt.ERR_OPERATION_ABORTED) {
		e.kind = ErrMigrationAborted
	}
	return err
}

// JobInfo is what libvirt says of a domain's current job, reduced to what migration reports.
type JobInfo struct {
	// Active is false when no job runs (libvirt's VIR_DOMAIN_JOB_NONE).
	Active bool
	// Outgoing: the job is this domain's outgoing migration (not a save, a dump, or the
	// incoming side).
	Outgoing      bool
	DataTotal     uint64
	DataProcessed uint64
	DataRemaining uint64
	// Iteration is the memory pass QEMU is in (1 is the first full copy).
	Iteration   uint64
	ElapsedMs   uint64
	DowntimeMs  uint64
	HasDowntime bool
}

// Progress is VDSM's percentage (migration.py Progress.percentage): 100 - 100·remaining/total,
// 0 before libvirt knows the total, and never 100 until nothing remains, since the last pass is
// still to come.
func (j JobInfo) Progress() int {
	if j.DataTotal == 0 {
		return 0
	}
	if j.DataRemaining == 0 {
		return 100
	}
	return min(100-int(100*j.DataRemaining/j.DataTotal), 99)
}

// Job reads the domain's current job (on the source of a migration: the destination has no
// live statistics).
func (c *Conn) Job(uuid string) (JobInfo, error) {
	var out JobInfo
	err := c.withDomain("job info", uuid, func(d *libvirt.Domain) error {
		j, err := d.GetJobStats(0)
		if err != nil {
			return err
		}
		out = JobInfo{
			Active:        j.Type != libvirt.DOMAIN_JOB_NONE,
			Outgoing:      j.OperationSet && j.Operation == libvirt.DOMAIN_JOB_OPERATION_MIGRATION_OUT,
			DataTotal:     j.DataTotal,
			DataProcessed: j.DataProcessed,
			DataRemaining: j.DataRemaining,
			Iteration:     j.MemIteration,
			ElapsedMs:     j.TimeElapsed,
			DowntimeMs:    j.Downtime,
			HasDowntime:   j.DowntimeSet,
		}
		return nil
	})
	return out, err
}

// AbortJob aborts the domain's current job: a running migration fails on the source, whose
// domain keeps running, and the destination's half is torn down by libvirt.
func (c *Conn) AbortJob(uuid string) error {
	return c.withDomain("abort job", uuid, func(d *libvirt.Domain) error { return d.AbortJob() })
}

// SetMaxDowntime sets the longest pause, in ms, the running migration may take for its last
// pass (the convergence schedule's setDowntime).
func (c *Conn) SetMaxDowntime(uuid string, ms uint64) error {
	return c.withDomain("set migration downtime", uuid, func(d *libvirt.Domain) error { return d.MigrateSetMaxDowntime(ms, 0) })
}

// StartPostCopy switches the domain's running outgoing migration, started with PostCopy, to
// post-copy: the guest goes on running on the destination, which fetches the pages it still
// lacks from here. libvirt only asks QEMU to switch; the SUSPENDED/postcopy event says when it
// has.
func (c *Conn) StartPostCopy(uuid string) error {
	return c.withDomain("start post-copy", uuid, func(d *libvirt.Domain) error { return d.MigrateStartPostCopy(0) })
}

// JobCompleted is a JOB_COMPLETED event's payload, reduced to what a migration reports: libvirt
// sends it on the source when an outgoing migration has completed (not when it failed or was
// aborted), with the job's final statistics.
type JobCompleted struct {
	// Outgoing: the job was the domain's outgoing migration.
	Outgoing bool
	// DowntimeMs is how long the guest was paused, as the source measured it; DowntimeNetMs the
	// same corrected for the time the data took on the wire between the hosts, libvirt's
	// downtime_net (Has… false when libvirt did not say).
	DowntimeMs     uint64
	HasDowntime    bool
	DowntimeNetMs  uint64
	HasDowntimeNet bool
}

func registerJobCompleted(lc *libvirt.Connect, h Handler) (int, error) {
	return lc.DomainEventJobCompletedRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventJobCompleted) {
		if uuid, err := d.GetUUIDString(); err == nil {
			h(jobCompletedEvent(uuid, domainID(d), &e.Info))
		}
	})
}

func jobCompletedEvent(uuid string, id int, j *libvirt.DomainJobInfo) Event {
	return Event{UUID: uuid, Kind: KindJobCompleted, ID: id, Job: JobCompleted{
		Outgoing:   j.OperationSet && j.Operation == libvirt.DOMAIN_JOB_OPERATION_MIGRATION_OUT,
		DowntimeMs: j.Downtime, HasDowntime: j.DowntimeSet,
		DowntimeNetMs: j.DowntimeNet, HasDowntimeNet: j.DowntimeNetSet,
	}}
}
