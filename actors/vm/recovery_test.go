package vm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/supervisor"
)

// Domains defined behind the agent's back are adopted with one listing of libvirt's domains, not
// one per event: the registry is held while fifty domains are defined, so all their DEFINED
// events meet a registry that has one listing in flight at most.
func TestUnknownDomainEventsShareOneListing(t *testing.T) {
	h := newHarness(t)
	const n = 50
	release := make(chan struct{})
	held := make(chan string, 1)
	listings := make(chan string, 2*n)
	h.faults.Set(
		supervisor.Rule{Kind: "registry", Message: "*vm.List", Action: supervisor.Delay, Delay: time.Hour, Until: release, Fired: held},
		supervisor.Rule{Kind: "registry", Message: "*vm.domainsListed", Action: supervisor.Delay, Fired: listings},
	)
	before := h.index.Len() // the host's own domains, recovered at start
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &List{Reply: r})
	<-held
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("d0000000-0000-4000-8000-%012d", i)
		if _, err := h.lv.Define(fmt.Sprintf(`<domain type='test'><name>ext-%d</name><uuid>%s</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`, i, ids[i])); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	wait()
	// Adopted: a defined, stopped domain is a Down VM, announced once.
	for down := map[string]bool{}; len(down) < n; {
		select {
		case e := <-h.events:
			if e.params["status"] == "Down" {
				down[e.vmID] = true
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of %d domains adopted", len(down), n)
		}
	}
	// Every listing that adopted something has been handled by now; one more round trip takes
	// in any other already delivered.
	r, wait = h.reply()
	h.sys.Root.Send(h.reg, &List{Reply: r})
	wait()
	if got := len(listings); got < 1 || got > 2 {
		t.Fatalf("%d unknown-domain events took %d listings, want 1 or 2", n, got)
	}
	if got := h.index.Len() - before; got != n {
		t.Fatalf("%d VMs adopted, want %d", got, n)
	}
}

// The recovered domains of testdata/host.xml: web1 and app1 running, db1 paused, old1 off.
var hostVMs = []string{
	"6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "7a2b3c4d-5e6f-4071-8b8c-9d0e1f2a3b4c",
	"8b3c4d5e-6f70-4182-9c9d-0e1f2a3b4c5d", "9c4d5e6f-7081-4293-8dae-1f2a3b4c5d6e",
}

// The agent is not ready while a recovered VM's first report has not reached the registry (held
// in the registry's turn here), and the recovered VMs announce themselves only once it is.
func TestRecoveryWaitsForFirstReports(t *testing.T) {
	release := make(chan struct{})
	held := make(chan string, 1)
	var flag *atomic.Bool
	h, ready := startHarness(t, func(c *Config) {
		flag = c.Ready
		c.Faults.Set(supervisor.Rule{Kind: "registry", Message: "*vm.stateChanged", Action: supervisor.Delay,
			Delay: time.Hour, Until: release, Fired: held, Times: 1})
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	select {
	case <-held:
	case <-time.After(20 * time.Second):
		t.Fatal("no VM actor reported")
	}
	if flag.Load() {
		t.Fatal("the agent is ready before the recovered VMs have reported")
	}
	select {
	case <-ready:
		t.Fatal("OnReady called before the recovered VMs have reported")
	case e := <-h.events:
		t.Fatalf("VM %s announced before the agent is ready", e.vmID)
	default:
	}
	close(release)
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("recovery did not finish once the reports were in")
	}
	want := map[string]string{hostVMs[0]: "Up", hostVMs[1]: "Paused", hostVMs[2]: "Down", hostVMs[3]: "Up"}
	for got := map[string]bool{}; len(got) < len(want); {
		select {
		case e := <-h.events:
			if s, _ := e.params["status"].(string); s != want[e.vmID] && !(want[e.vmID] == "Up" && s == "Powering up") {
				t.Errorf("VM %s announced %q, want %q", e.vmID, s, want[e.vmID])
			}
			got[e.vmID] = true
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of %d recovered VMs announced", len(got), len(want))
		}
	}
}

// A VM whose first report never comes (its actor inside a hung libvirt call) costs that VM, not
// the agent: once RecoveryWait runs out the agent is ready and the log names the VMs missing.
func TestRecoveryBoundReleasesUnreportedVMs(t *testing.T) {
	logs := &syncBuffer{}
	_, ready := startHarness(t, func(c *Config) {
		c.RecoveryWait = time.Millisecond
		c.Log = zerolog.New(logs)
		c.Faults.Set(supervisor.Rule{Kind: "registry", Message: "*vm.stateChanged", Action: supervisor.Drop})
	})
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("recovery waited past its bound")
	}
	var missing []string
	for _, line := range strings.Split(logs.String(), "\n") {
		var l struct {
			Message string   `json:"message"`
			IDs     []string `json:"vm_ids"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && strings.HasPrefix(l.Message, "recovery done without") {
			missing = l.IDs
		}
	}
	if strings.Join(missing, " ") != strings.Join(hostVMs, " ") {
		t.Fatalf("recovery logged %v as not reported, want %v", missing, hostVMs)
	}
}

// A VM actor that dies before its first report does not hold recovery up (the bound is an hour
// here: only the deaths can end the wait).
func TestRecoveryNotHeldByDeadVMs(t *testing.T) {
	dropped := make(chan string, 1)
	h, ready := startHarness(t, func(c *Config) {
		c.RecoveryWait = time.Hour
		c.Faults.Set(supervisor.Rule{Kind: "registry", Message: "*vm.stateChanged", Action: supervisor.Drop, Fired: dropped})
	})
	select {
	case <-dropped: // the recovery turn, which spawned every VM actor, is over
	case <-time.After(20 * time.Second):
		t.Fatal("no VM actor reported")
	}
	for _, id := range hostVMs {
		vh := h.index.Lookup(id)
		if vh == nil {
			t.Fatalf("VM %s not recovered", id)
		}
		h.sys.Root.Stop(vh.PID)
	}
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("dead VM actors hold recovery up")
	}
	for _, id := range hostVMs {
		if !h.index.Lookup(id).Dead() {
			t.Errorf("VM %s not marked dead", id)
		}
	}
}

// syncBuffer is a log sink the actors write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) count(s string) int { return strings.Count(b.String(), s) }
