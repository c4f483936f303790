package vm

import (
	"encoding/json"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// peerListener is a destination agent's socket on 127.0.0.1: it hands each connection to serve
// (or just holds it when serve is nil). hangUp closes the listener and every connection,
// also one Accept returned while it closed, so no call is left waiting on it.
type peerListener struct {
	ln     net.Listener
	mu     sync.Mutex
	closed bool
	conns  []net.Conn
}

func listenPeer(t *testing.T, serve func(net.Conn)) *peerListener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peerListener{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				_ = c.Close()
				return
			}
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			if serve != nil {
				go serve(c)
			}
		}
	}()
	t.Cleanup(p.hangUp)
	return p
}

func (p *peerListener) addr() string { return p.ln.Addr().String() }

func (p *peerListener) hangUp() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// newMute is a destination agent that never answers: the source's migration waits on its
// VM.migrationCreate (bounded by PeerTimeout) until hangUp.
func newMute(t *testing.T) *peerListener { return listenPeer(t, nil) }

// postCopyVM is a VM of the test driver in Migration Source towards a destination agent (dst,
// "host:port") that has not answered its VM.migrationCreate yet, its schedule holding a postcopy
// step, and libvirt's SUSPENDED/postcopy handed to its actor (the test driver migrates nothing,
// so the test gives the registry the events virt's callback would).
func postCopyVM(t *testing.T, h *harness, name, id, dst string) {
	t.Helper()
	// The actor takes events only after libvirt's STARTED of its own run: DEFINED and STARTED
	// first.
	lifecycle := make(chan string, 16)
	h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.libvirtEvent", Action: supervisor.Delay, Fired: lifecycle})
	h.create(name, id)
	for range 2 {
		<-lifecycle
	}
	h.faults.Clear()
	sched, err := ParseConvergenceSchedule(json.RawMessage(`{"init":[],"stalling":[{"limit":1,"action":{"name":"postcopy","params":[]}},{"limit":2,"action":{"name":"abort","params":[]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a := h.verb(id, func(r *reply.Reply) any {
		return &Migrate{Reply: r, Dst: dst, Schedule: sched}
	}); a.Error != nil || string(a.Result) != "true" {
		t.Fatalf("VM.migrate: %s %+v", a.Result, a.Error)
	}
	h.waitStatus(id, "Migration Source")
	h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindLifecycle, Type: virt.EventSuspended, Detail: SuspendedMigrated, ID: -1}})
	h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindLifecycle, Type: virt.EventSuspended, Detail: SuspendedPostcopy, ID: -1}})
	ev := h.waitStatus(id, "Paused")
	if got, _ := json.Marshal(ev); string(got) != `{"pauseCode":"POSTCOPY","status":"Paused"}` {
		t.Fatalf("entering post-copy: %s", got)
	}
}

func (h *harness) listStatus(id string) string {
	h.t.Helper()
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &List{Reply: r})
	var list []struct {
		VMID   string `json:"vmId"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(wait().Result, &list); err != nil {
		h.t.Fatal(err)
	}
	for _, v := range list {
		if v.VMID == id {
			return v.Status
		}
	}
	return ""
}

// In post-copy the source reports Paused with pauseCode POSTCOPY to the engine (VM.getStats and
// events) while Host.getVMList keeps Migration Source, refuses VM.migrateCancel with 47 as VDSM
// does, and once the migration completed (Down with reason 4, forgotten) the last
// VM_migration_status carries libvirt's downtime (not downtime_net) and postcopy true.
func TestPostCopySource(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Migration.PeerTimeout = time.Minute })
	dst := newMute(t)
	id := "d0000000-0000-4000-8000-0000000000c1"
	postCopyVM(t, h, "postcopy-ok", id, dst.addr())

	st := h.stats(id)
	if st["status"] != "Paused" || st["pauseCode"] != "POSTCOPY" {
		t.Fatalf("VM.getStats in post-copy: status %v, pauseCode %v", st["status"], st["pauseCode"])
	}
	// vm.py getStats: the running stats are the destination's; the source has the configuration,
	// the migration's progress (none yet: libvirt's job never ran) and the pause code.
	for _, k := range []string{"elapsedTime", "monitorResponse", "cpuUser", "displayInfo", "memUsage", "appsList"} {
		if v, ok := st[k]; ok {
			t.Errorf("VM.getStats in post-copy has %s: %v", k, v)
		}
	}
	if st["migrationProgress"] != float64(0) || st["vmName"] != "postcopy-ok" || st["vmId"] != id {
		t.Errorf("VM.getStats in post-copy: %v", st)
	}
	if s := h.listStatus(id); s != "Migration Source" {
		t.Fatalf("Host.getVMList in post-copy: %q", s)
	}
	a := h.verb(id, func(r *reply.Reply) any { return &MigrateCancel{Reply: r} })
	if a.Error == nil || a.Error.Code != 47 || a.Error.Message != "Migration not in progress" {
		t.Fatalf("VM.migrateCancel in post-copy: %s %+v", a.Result, a.Error)
	}

	// libvirt's JOB_COMPLETED follows STOPPED/migrated, but usually overtakes the VM actor's
	// last report: both orders.
	stopped := func(id string) {
		h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindLifecycle, Type: virt.EventStopped, Detail: StoppedMigrated, ID: -1}})
		if down := h.waitStatus(id, "Down"); down["exitReason"] != float64(4) || down["exitCode"] != float64(0) {
			t.Fatalf("after post-copy completed: %v", down)
		}
	}
	completed := func(id string, downtime, postCopy any) {
		h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindJobCompleted, ID: -1,
			Job: virt.JobCompleted{Outgoing: true, DowntimeMs: 5, HasDowntime: true, DowntimeNetMs: 3, HasDowntimeNet: true}}})
		for {
			e := <-h.events
			if e.vmID != id {
				continue
			}
			if e.params["progress"] != float64(100) || e.params["downtime"] != downtime || e.params["postcopy"] != postCopy {
				t.Fatalf("migration status after the job completed: %v", e.params)
			}
			return
		}
	}
	completed(id, float64(5), true)
	stopped(id)
	if s := h.listStatus(id); s != "" {
		t.Fatalf("Host.getVMList lists the migrated VM: %q", s)
	}
	// Nothing of it is left over: the next migration's JOB_COMPLETED, not in post-copy, is the
	// ordinary one.
	completed(id, float64(3), false)

	second := "d0000000-0000-4000-8000-0000000000c3"
	postCopyVM(t, h, "postcopy-ok2", second, dst.addr())
	stopped(second)
	completed(second, float64(5), true)
	completed(second, float64(3), false)
}

// A migration that fails in post-copy loses the VM (vm.py handle_failed_post_copy): Down with
// exitCode 1 and reason 12 "Migration failed in post-copy", its domain destroyed and undefined,
// the VM forgotten without a VM.destroy.
func TestPostCopyFailureLosesTheVM(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Migration.PeerTimeout = time.Minute })
	dst := newMute(t)
	id := "d0000000-0000-4000-8000-0000000000c2"
	postCopyVM(t, h, "postcopy-lost", id, dst.addr())

	dst.hangUp() // the migration's call fails: its end reaches the actor
	down := h.waitStatus(id, "Down")
	if down["exitReason"] != float64(12) || down["exitCode"] != float64(1) || down["exitMessage"] != "Migration failed in post-copy" {
		t.Fatalf("after a failure in post-copy: %v", down)
	}
	if s := h.listStatus(id); s != "" {
		t.Fatalf("Host.getVMList lists the lost VM: %q", s)
	}
	if _, err := h.lv.XML(id); !errors.Is(err, virt.ErrNoDomain) {
		t.Fatalf("the lost VM's domain is still defined: %v", err)
	}
}
