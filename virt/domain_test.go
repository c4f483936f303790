package virt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const testDomain = `<domain type='test'>
  <name>%s</name>
  <uuid>%s</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/images/%s.img'/><target dev='vda' bus='virtio'/></disk>
    <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/><target dev='tap-%s'/></interface>
    <memballoon model='virtio'/>
  </devices>
</domain>`

// openPrivate opens a test-driver connection with state of its own: a file URI gives every
// connection a private copy, so tests do not see each other's domains.
func openPrivate(t *testing.T) *Conn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node.xml")
	node := `<node><cpu><mhz>2000</mhz><model>x86_64</model><active>2</active><total>2</total><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu><memory>4194304</memory>
<network><name>default</name><bridge name='virbr0'/><forward/><ip address='192.168.122.1' netmask='255.255.255.0'/></network></node>`
	if err := os.WriteFile(path, []byte(node), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Open("test://" + path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDomainLifecycle(t *testing.T) {
	c := openPrivate(t)
	events := make(chan Event, 64)
	cancel, err := c.Subscribe(func(e Event) { events <- e })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	uuid := "6a1f0b8e-0000-4000-8000-000000000001"
	got, err := c.Define(fmt.Sprintf(testDomain, "vm1", uuid, "vm1", "vm1"))
	if err != nil || got != uuid {
		t.Fatalf("define: %q %v", got, err)
	}
	want := func(typ int) Event {
		t.Helper()
		select {
		case e := <-events:
			if e.UUID != uuid || e.Type != typ {
				t.Fatalf("event %+v, want type %d", e, typ)
			}
			return e
		case <-time.After(10 * time.Second):
			t.Fatalf("no event of type %d", typ)
		}
		return Event{}
	}
	want(EventDefined)
	step := func(name string, f func(string) error, event, state int) Event {
		t.Helper()
		if err := f(uuid); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e := want(event)
		if s, _, err := c.State(uuid); err != nil || s != state {
			t.Fatalf("after %s: state %d %v, want %d", name, s, err, state)
		}
		return e
	}
	// The run's id comes back from Start and with every event of the run.
	runID := -1
	started := step("start", func(u string) (err error) { runID, err = c.Start(u, false); return err }, EventStarted, StateRunning)
	if runID < 0 || started.ID != runID {
		t.Fatalf("Start gave id %d, its Started event %d", runID, started.ID)
	}
	step("suspend", c.Suspend, EventSuspended, StatePaused)
	step("resume", c.Resume, EventResumed, StateRunning)

	stats, err := c.AllStats()
	if err != nil || len(stats) != 1 {
		t.Fatalf("stats: %v %v", stats, err)
	}
	s := stats[0]
	if s.UUID != uuid || s.State != StateRunning || !s.HasCPU || s.VCPUs != 2 || len(s.Nets) != 1 || len(s.Blocks) != 1 || !s.HasBalloon {
		t.Fatalf("stats of a running test domain: %+v", s)
	}

	step("destroy", c.Destroy, EventStopped, StateShutoff)
	if err := c.Destroy(uuid); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("destroying a stopped domain: %v", err)
	}
	doms, err := c.Domains()
	if err != nil || len(doms) != 1 || doms[0].Name != "vm1" || doms[0].State != StateShutoff || doms[0].XML == "" {
		t.Fatalf("domains: %+v %v", doms, err)
	}
	if err := c.SetMetadata(uuid, "<vm><startTime>5</startTime></vm>", "hostagent", "https://github.com/hostagent/hostagent/1.0"); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if err := c.Undefine(uuid); err != nil {
		t.Fatalf("undefine: %v", err)
	}
	want(EventUndefined)
	if _, _, err := c.State(uuid); !errors.Is(err, ErrNoDomain) {
		t.Fatalf("state of an undefined domain: %v", err)
	}
}
