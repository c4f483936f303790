package main

// The destination agent restarted while the domain arrives (issue 14, point 5), in the migration
// lane (migration_test.go says how it runs). A migration is peer to peer between the two
// libvirtds, so it goes on without the agent that prepared its destination; the restarted agent
// must find libvirt's incoming half and carry on as its destination, and the source must end as
// the migration did.

import (
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
)

// laneGuest creates the lane's guest on h and waits until it runs (its first heartbeat); it is
// destroyed at the end of the test from whichever agent still has it.
func laneGuest(t *testing.T, h *migrationHost, tmpl string, all ...*migrationHost) (id, name string) {
	t.Helper()
	id = client.UUID()
	name = "hostagent-mig-" + id[:8]
	xml := strings.Replace(strings.ReplaceAll(tmpl, "@NAME@", name), "</name>", "</name>\n  <uuid>"+id+"</uuid>", 1)
	t.Cleanup(func() {
		for _, o := range all {
			if c, err := client.Dial(client.Options{Addr: o.ta.addr, Timeout: 20 * time.Second}); err == nil {
				_, _ = c.Call("VM.destroy", map[string]any{"vmID": id})
				c.Close()
			}
		}
	})
	if _, err := h.ta.dial(t).Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": xml}}); err != nil {
		t.Fatalf("VM.create on %s: %v", h.name, err)
	}
	h.expect(t, id, "Up")
	h.waitBeat(t, name, 0)
	return id, name
}

// virsh runs virsh against h's libvirtd over TCP (the lane's daemons listen without
// authentication on the hosts' addresses).
func (h *migrationHost) virsh(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ip, _, err := net.SplitHostPort(h.ta.addr)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("virsh", append([]string{"-q", "-c", "qemu+tcp://" + ip + "/system"}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// domstate is libvirt's state and reason of the guest on h ("running (migrated)"), or "" when h's
// libvirtd has no such domain.
func (h *migrationHost) domstate(t *testing.T, name string) string {
	t.Helper()
	out, err := h.virsh(t, "domstate", "--reason", name)
	if err != nil {
		if strings.Contains(out, "failed to get domain") {
			return ""
		}
		t.Fatalf("virsh domstate on %s: %q %v", h.name, out, err)
	}
	return out
}

// status is id's status in h's Host.getVMList, "" when h does not list it.
func (h *migrationHost) status(t *testing.T, id string) string {
	t.Helper()
	var list []struct {
		VMID   string `json:"vmId"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(h.ta.call(t, "Host.getVMList", map[string]any{}), &list); err != nil {
		t.Fatal(err)
	}
	for _, v := range list {
		if v.VMID == id {
			return v.Status
		}
	}
	return ""
}

// elapsed is id's elapsedTime on h, in seconds.
func (h *migrationHost) elapsed(t *testing.T, id string) int {
	t.Helper()
	var stats []map[string]any
	if err := json.Unmarshal(h.ta.call(t, "VM.getStats", map[string]any{"vmID": id}), &stats); err != nil || len(stats) != 1 {
		t.Fatalf("VM.getStats on %s: %v %v", h.name, stats, err)
	}
	s, _ := stats[0]["elapsedTime"].(string)
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("elapsedTime on %s: %v", h.name, stats[0]["elapsedTime"])
	}
	return n
}

// slowMigration starts a migration from h to dst capped at 1 MiB/s (~90 s for the guest) and
// returns once libvirt's job moves data, so the incoming half exists on dst.
func (h *migrationHost) slowMigration(t *testing.T, id string, dst *migrationHost) {
	t.Helper()
	h.migrate(t, id, dst, map[string]any{"maxBandwidth": 1})
	h.expect(t, id, "Migration Source")
	h.events.forgetMigration()
	h.events.takeMigration(id, func(p map[string]any) bool { p1, _ := p["progress"].(float64); return p1 > 0 })
}

// uncap lifts the bandwidth cap of h's running migration of the guest: it completes in a second.
func (h *migrationHost) uncap(t *testing.T, name string) {
	t.Helper()
	if out, err := h.virsh(t, "migrate-setspeed", name, "8192"); err != nil {
		t.Fatalf("virsh migrate-setspeed on %s: %q %v", h.name, out, err)
	}
}

// restartAgent kills h's agent and starts it again; it returns once the agent has recovered its
// VMs (until then every verb answers 99), and its events are read afresh.
func (h *migrationHost) restartAgent(t *testing.T) {
	t.Helper()
	h.agent(t, "kill")
	h.start(t)
}

func (h *migrationHost) start(t *testing.T) {
	t.Helper()
	h.agent(t, "start")
	h.events = events(t, h.ta)
	libvirtdEventually(t, migrationBootLimit, "host "+h.name+"'s agent did not finish its recovery", func() bool {
		c, err := client.Dial(client.Options{Addr: h.ta.addr, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Call("Host.getVMList", map[string]any{})
		var rpc *client.Error
		if errors.As(err, &rpc) && rpc.Code == 99 {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	})
}

func TestMigrationLaneDestinationRestart(t *testing.T) {
	a, b, tmpl := migrationLane(t)
	id, name := laneGuest(t, a, tmpl, a, b)

	// 1. B's agent restarts while the domain arrives: it finds libvirt's incoming half (paused
	// for the migration) and is its destination again. A's cancel then leaves the VM Up on A,
	// and A's clean-up call removes B's half.
	t.Log("restarting B's agent in the middle of a slow migration A → B, then cancelling")
	a.slowMigration(t, id, b)
	b.restartAgent(t)
	if st := b.domstate(t, name); st != "paused (migrating)" {
		t.Fatalf("B's libvirt while the domain arrives: %q", st)
	}
	if st := b.status(t, id); st != "Migration Destination" {
		out, _ := b.virsh(t, "list", "--all")
		t.Fatalf("the restarted B reads the arriving VM as %q; B's libvirt lists:\n%s", st, out)
	}
	if m, i, _ := migrationCounts(t, b.ta); m != 1 || i != 1 {
		t.Fatalf("the restarted B's Host.getStats: vmMigrating %d, incomingVmMigrations %d", m, i)
	}
	if res := a.ta.call(t, "VM.migrateCancel", map[string]any{"vmID": id}); string(res) != "true" {
		t.Fatalf("VM.migrateCancel: %s", res)
	}
	a.expect(t, id, "Up")
	// B's Down, from libvirt's STOPPED/failed (reason 8) or from A's destroy (6), whichever came
	// first; A reports Up only after its destroy was answered. (Before it, B's stream may hold
	// the recovered VM's announcement, Migration Destination, sent as its recovery ended.)
	if d := b.events.wait(id, "Down"); d["exitReason"] != float64(8) && d["exitReason"] != float64(6) {
		t.Fatalf("B's recovered half after the cancel: %v", d)
	}
	if st := b.status(t, id); st != "" {
		t.Fatalf("B still lists the VM after A cleaned up: %q", st)
	}
	if st := b.domstate(t, name); st != "" {
		t.Fatalf("B's libvirt after the cancel: %q", st)
	}
	if st := a.domstate(t, name); !strings.HasPrefix(st, "running") {
		t.Fatalf("A's libvirt after the cancel: %q", st)
	}
	a.waitBeat(t, name, a.lastBeat(t, name))

	// 2. The same, and then the migration completes: A is Down with "Migration succeeded" and
	// forgets the VM, the restarted B reports it Up once, its elapsedTime carried on.
	t.Log("restarting B's agent in the middle of a slow migration A → B, then letting it complete")
	before := a.elapsed(t, id)
	beat := a.lastBeat(t, name)
	a.slowMigration(t, id, b)
	b.restartAgent(t)
	if st := b.status(t, id); st != "Migration Destination" {
		t.Fatalf("the restarted B reads the arriving VM as %q", st)
	}
	a.uncap(t, name)
	if d := a.expect(t, id, "Down"); d["exitReason"] != float64(4) {
		t.Fatalf("A's Down: %v", d)
	}
	b.events.wait(id, "Up", "Powering up")
	if got := b.elapsed(t, id); got < before {
		t.Fatalf("elapsedTime on B %d, on A before the migration %d: not carried on", got, before)
	}
	if st := b.domstate(t, name); !strings.HasPrefix(st, "running") {
		t.Fatalf("B's libvirt after the migration: %q", st)
	}
	if st := a.domstate(t, name); st != "" {
		t.Fatalf("A's libvirt after the migration: %q", st)
	}
	if a.lists(t, id) {
		t.Fatal("A still lists the VM that left")
	}
	beat = b.waitBeat(t, name, beat)

	// Back to A, an ordinary migration of the VM the restarted B recovered.
	t.Log("migrating B → A")
	b.migrate(t, id, a, nil)
	b.expect(t, id, "Migration Source")
	b.expect(t, id, "Down")
	a.expect(t, id, "Up")
	beat = a.waitBeat(t, name, beat)

	// 3. B's agent is down while the migration completes: its restart recovers the VM that
	// arrived meanwhile as Up, elapsedTime carried on.
	t.Log("migrating A → B while B's agent is down")
	before = a.elapsed(t, id)
	a.slowMigration(t, id, b)
	b.agent(t, "kill")
	a.uncap(t, name)
	if d := a.expect(t, id, "Down"); d["exitReason"] != float64(4) {
		t.Fatalf("A's Down: %v", d)
	}
	if st := b.domstate(t, name); !strings.HasPrefix(st, "running") {
		t.Fatalf("B's libvirt after the migration, its agent down: %q", st)
	}
	b.start(t)
	if st := b.status(t, id); st != "Up" && st != "Powering up" {
		t.Fatalf("the restarted B reads the VM that arrived as %q", st)
	}
	if got := b.elapsed(t, id); got < before {
		t.Fatalf("elapsedTime on B %d, on A before the migration %d: not carried on", got, before)
	}
	b.waitBeat(t, name, beat)
	if res := b.ta.call(t, "VM.destroy", map[string]any{"vmID": id}); string(res) != "true" {
		t.Fatalf("VM.destroy on B: %s", res)
	}
	b.expect(t, id, "Down")
}
