package virt

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

func TestMigrateFlagsAreVDSMs(t *testing.T) {
	base := libvirt.MIGRATE_LIVE | libvirt.MIGRATE_PEER2PEER | libvirt.MIGRATE_PERSIST_DEST | libvirt.MIGRATE_UNDEFINE_SOURCE
	cases := []struct {
		o    MigrateOptions
		want libvirt.DomainMigrateFlags
	}{
		{MigrateOptions{}, base},
		{MigrateOptions{Tunneled: true}, base | libvirt.MIGRATE_TUNNELLED},
		{MigrateOptions{AutoConverge: true, Compressed: true, AbortOnError: true},
			base | libvirt.MIGRATE_AUTO_CONVERGE | libvirt.MIGRATE_COMPRESSED | libvirt.MIGRATE_ABORT_ON_ERROR},
		{MigrateOptions{PostCopy: true}, base | libvirt.MIGRATE_POSTCOPY},
	}
	for _, c := range cases {
		if got := c.o.flags(); got != c.want {
			t.Errorf("%+v: flags %#x, want %#x", c.o, got, c.want)
		}
	}
}

func TestDestURIFor(t *testing.T) {
	for _, c := range []struct{ pattern, host, want string }{
		{"", "hostb", "qemu+tls://hostb/system"},
		{"qemu+tcp://%s/system", "10.99.0.2", "qemu+tcp://10.99.0.2/system"},
		{"qemu+tcp://fixed/system", "hostb", "qemu+tcp://fixed/system"},
	} {
		if got := DestURIFor(c.pattern, c.host); got != c.want {
			t.Errorf("DestURIFor(%q, %q) = %q, want %q", c.pattern, c.host, got, c.want)
		}
	}
}

func TestJobProgress(t *testing.T) {
	for _, c := range []struct {
		j    JobInfo
		want int
	}{
		{JobInfo{}, 0},
		{JobInfo{DataTotal: 100, DataRemaining: 100}, 0},
		{JobInfo{DataTotal: 200, DataRemaining: 50}, 75},
		{JobInfo{DataTotal: 3, DataRemaining: 1}, 67},
		{JobInfo{DataTotal: 100}, 100},
		// Rounding would say 100 with a little left: VDSM holds it at 99 until nothing remains.
		{JobInfo{DataTotal: 1000, DataRemaining: 1}, 99},
	} {
		if got := c.j.Progress(); got != c.want {
			t.Errorf("%+v: progress %d, want %d", c.j, got, c.want)
		}
	}
}

// The test driver cannot migrate: the adapter must pass libvirt's refusal on, not pretend.
func TestMigrateOnTestDriverIsRefused(t *testing.T) {
	c := openPrivate(t)
	uuid := "6a1f0b8e-0000-4000-8000-0000000000a1"
	if _, err := c.Define(fmt.Sprintf(testDomain, "mig1", uuid, "mig1", "mig1")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(uuid, false); err != nil {
		t.Fatal(err)
	}
	err := c.Migrate(uuid, MigrateOptions{DestURI: "qemu+tcp://127.0.0.1:1/system", BandwidthMiBps: 1, DestXML: "<domain/>"})
	if err == nil || !strings.Contains(err.Error(), "migrate "+uuid) || !strings.Contains(err.Error(), "p2p migration is not supported") {
		t.Fatalf("migrate on the test driver: %v, want libvirt's refusal", err)
	}
	if errors.Is(err, ErrMigrationAborted) {
		t.Fatalf("refusal taken for an abort: %v", err)
	}
	if err := c.Migrate(uuid, MigrateOptions{}); err == nil || !strings.Contains(err.Error(), "no destination URI") {
		t.Fatalf("migrate without a URI: %v", err)
	}
	if err := c.Migrate("6a1f0b8e-0000-4000-8000-0000000000ff", MigrateOptions{DestURI: "qemu+tcp://x/system"}); !errors.Is(err, ErrNoDomain) {
		t.Fatalf("migrate of an unknown domain: %v, want ErrNoDomain", err)
	}
}

func TestJobAndAbortOnTestDriver(t *testing.T) {
	c := openPrivate(t)
	uuid := "6a1f0b8e-0000-4000-8000-0000000000a2"
	if _, err := c.Define(fmt.Sprintf(testDomain, "mig2", uuid, "mig2", "mig2")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(uuid, false); err != nil {
		t.Fatal(err)
	}
	// The test driver keeps no jobs: both calls must carry libvirt's refusal, not a made-up answer.
	if _, err := c.Job(uuid); err == nil || !strings.Contains(err.Error(), "job info "+uuid) || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("job info on the test driver: %v", err)
	}
	if err := c.AbortJob(uuid); err == nil || !strings.Contains(err.Error(), "abort job "+uuid) || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("abort on the test driver: %v", err)
	}
	if err := c.StartPostCopy(uuid); err == nil || !strings.Contains(err.Error(), "start post-copy "+uuid) || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("post-copy on the test driver: %v", err)
	}
	if _, err := c.Job("6a1f0b8e-0000-4000-8000-0000000000ff"); !errors.Is(err, ErrNoDomain) {
		t.Fatalf("job of an unknown domain: %v", err)
	}
}

// JOB_COMPLETED's statistics as the migration's end reads them: only an outgoing migration
// counts, and each downtime only when libvirt set it.
func TestJobCompletedEvent(t *testing.T) {
	cases := []struct {
		info libvirt.DomainJobInfo
		want JobCompleted
	}{
		{libvirt.DomainJobInfo{OperationSet: true, Operation: libvirt.DOMAIN_JOB_OPERATION_MIGRATION_OUT,
			DowntimeSet: true, Downtime: 240, DowntimeNetSet: true, DowntimeNet: 231},
			JobCompleted{Outgoing: true, DowntimeMs: 240, HasDowntime: true, DowntimeNetMs: 231, HasDowntimeNet: true}},
		{libvirt.DomainJobInfo{OperationSet: true, Operation: libvirt.DOMAIN_JOB_OPERATION_MIGRATION_OUT, DowntimeSet: true, Downtime: 240},
			JobCompleted{Outgoing: true, DowntimeMs: 240, HasDowntime: true}},
		{libvirt.DomainJobInfo{OperationSet: true, Operation: libvirt.DOMAIN_JOB_OPERATION_SAVE, DowntimeSet: true, Downtime: 9},
			JobCompleted{DowntimeMs: 9, HasDowntime: true}},
		{libvirt.DomainJobInfo{}, JobCompleted{}},
	}
	for i, c := range cases {
		e := jobCompletedEvent("u", 3, &c.info)
		if e.Kind != KindJobCompleted || e.UUID != "u" || e.ID != 3 || e.Job != c.want {
			t.Errorf("case %d: %+v, want %+v", i, e, c.want)
		}
	}
}
