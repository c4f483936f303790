package main

// Live migration of a real QEMU guest between two agents, each on its own libvirt host, run by
// the migration lane (`go tool task test:migration`, .ci/migration-lane.sh) inside host A's
// namespaces, which sets:
//
//	HOSTAGENT_TEST_MIGRATION_A, _B         the agents' STOMP addresses (plain TCP)
//	HOSTAGENT_TEST_MIGRATION_XML           the guest's domain XML (.ci/twohosts.sh guest), with
//	                                       @NAME@ for its name and no <uuid>
//	HOSTAGENT_TEST_MIGRATION_LOG_A, _B     where each host's virtlogd writes NAME-serial.log
//	HOSTAGENT_TEST_MIGRATION_CTL           the lane's FIFO that kills and starts the agents
//
// Without them it skips, also under CI=true: `go test ./...` has no hosts, and the lane, which
// sets them, never skips in CI. The guest prints "HOSTAGENT-GUEST: heartbeat N" about every 2 s
// on its serial console; each host writes its own log, so the numbering carrying on in the other
// host's log proves the same guest moved, without a reboot.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
)

const (
	migrationBootLimit = 90 * time.Second // TCG boots in ~5 s; generous for a loaded 2-core machine
	migrationJobLimit  = 60 * time.Second // a migration takes ~1 s here
)

var heartbeat = regexp.MustCompile(`HOSTAGENT-GUEST: heartbeat (\d+) `)

type migrationHost struct {
	ctl    string // the lane's controller FIFO
	name   string
	ta     *testAgent
	logDir string
	events *eventStream
}

func migrationLane(t *testing.T) (a, b *migrationHost, xml string) {
	t.Helper()
	env := func(k string) string { return os.Getenv("HOSTAGENT_TEST_MIGRATION_" + k) }
	if env("A") == "" {
		t.Skip("needs two libvirt hosts with an agent each: HOSTAGENT_TEST_MIGRATION_A is unset (go tool task test:migration runs this test, as root)")
	}
	x, err := os.ReadFile(env("XML"))
	if err != nil {
		t.Fatal(err)
	}
	a = &migrationHost{name: "A", ta: &testAgent{addr: env("A")}, logDir: env("LOG_A"), ctl: env("CTL")}
	b = &migrationHost{name: "B", ta: &testAgent{addr: env("B")}, logDir: env("LOG_B"), ctl: env("CTL")}
	a.events, b.events = events(t, a.ta), events(t, b.ta)
	return a, b, string(x)
}

// expect reads h's status events for id and wants exactly statuses, in order ("Up" also matches
// "Powering up", which an Up VM reads within a minute of its start). Any other status event for
// id in between, a repeated one included, fails: each change is reported once.
// createOnA creates the VM on A, and removes it when the test ends from whichever agent still
// has it, whatever happened.
func createOnA(t *testing.T, a, b *migrationHost, id, xml string) {
	t.Helper()
	t.Cleanup(func() {
		for _, h := range []*migrationHost{a, b} {
			if c, err := client.Dial(client.Options{Addr: h.ta.addr, Timeout: 20 * time.Second}); err == nil {
				_, _ = c.Call("VM.destroy", map[string]any{"vmID": id})
				c.Close()
			}
		}
	})
	if _, err := a.ta.dial(t).Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": xml}}); err != nil {
		t.Fatalf("VM.create on A: %v", err)
	}
}

func (h *migrationHost) expect(t *testing.T, id string, statuses ...string) map[string]any {
	t.Helper()
	var last map[string]any
	for _, want := range statuses {
		p := h.events.take(func(e vmEvent) bool { return e.id == id }, func(vmEvent) bool { return false }).params
		st, _ := p["status"].(string)
		if st != want && (want != "Up" || st != "Powering up") {
			t.Fatalf("host %s, VM %s: event %q while waiting for %q (%v)", h.name, id, st, want, p)
		}
		last = p
	}
	return last
}

// agent asks the lane to kill (SIGKILL) or start h's agent; it answers once the agent is gone,
// or listening again after its recovery.
func (h *migrationHost) agent(t *testing.T, cmd string) {
	t.Helper()
	if err := os.WriteFile(h.ctl, []byte(cmd+" "+h.name+"\n"), 0); err != nil {
		t.Fatal(err)
	}
	ack, err := os.ReadFile(h.ctl + ".ack")
	if err != nil || strings.TrimSpace(string(ack)) != "ok" {
		t.Fatalf("%s agent %s: %q %v", cmd, h.name, ack, err)
	}
}

func (h *migrationHost) lists(t *testing.T, id string) bool {
	t.Helper()
	for _, v := range vmIDs(t, h.ta) {
		if v == id {
			return true
		}
	}
	return false
}

func (h *migrationHost) serial(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.logDir, name+"-serial.log"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// lastBeat is the highest heartbeat number in host h's serial log of the guest (0: none yet).
func (h *migrationHost) lastBeat(t *testing.T, name string) int {
	t.Helper()
	n := 0
	for _, m := range heartbeat.FindAllStringSubmatch(h.serial(t, name), -1) {
		if v, _ := strconv.Atoi(m[1]); v > n {
			n = v
		}
	}
	return n
}

// waitBeat waits until host h's log of the guest shows a heartbeat past after: the guest runs
// there. The log is a file virtlogd writes: there is nothing to wait on but the file.
func (h *migrationHost) waitBeat(t *testing.T, name string, after int) int {
	t.Helper()
	var n int
	libvirtdEventually(t, migrationBootLimit, fmt.Sprintf("host %s: no heartbeat past %d in %s's serial log:\n%s", h.name, after, name, h.serial(t, name)),
		func() bool { n = h.lastBeat(t, name); return n > after })
	return n
}

func (h *migrationHost) migrate(t *testing.T, id string, to *migrationHost, extra map[string]any) {
	t.Helper()
	p := map[string]any{"vmId": id, "dst": to.ta.addr, "method": "online", "tunneled": "false",
		"abortOnError": "true", "autoConverge": "false", "compressed": "false", "consoleAddress": ""}
	for k, v := range extra {
		p[k] = v
	}
	if res := h.ta.call(t, "VM.migrate", map[string]any{"vmID": id, "params": p}); string(res) != "true" {
		t.Fatalf("VM.migrate on %s: %s", h.name, res)
	}
}

func (h *migrationHost) migrationStatus(t *testing.T, id string) (code int, message string, progress int) {
	t.Helper()
	var st struct {
		Status struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
		Progress int `json:"progress"`
	}
	if err := json.Unmarshal(h.ta.call(t, "VM.getMigrationStatus", map[string]any{"vmID": id}), &st); err != nil {
		t.Fatal(err)
	}
	return st.Status.Code, st.Status.Message, st.Progress
}

func TestMigrationLane(t *testing.T) {
	a, b, tmpl := migrationLane(t)
	id := client.UUID()
	name := "hostagent-mig-" + id[:8]
	xml := strings.Replace(strings.ReplaceAll(tmpl, "@NAME@", name), "</name>", "</name>\n  <uuid>"+id+"</uuid>", 1)
	createOnA(t, a, b, id, xml)
	a.expect(t, id, "Up")
	beatA := a.waitBeat(t, name, 1)

	// A → B: the source is Down with "Migration succeeded" and forgets the VM; B has it Up, and
	// the guest's heartbeat carries on in B's log, without a reboot.
	t.Log("migrating A → B")
	start := time.Now()
	a.migrate(t, id, b, nil)
	a.expect(t, id, "Migration Source")
	if d := a.expect(t, id, "Down"); d["exitReason"] != float64(4) || d["exitCode"] != float64(0) || d["exitMessage"] != "Migration succeeded" {
		t.Fatalf("A's Down: %v", d)
	}
	b.expect(t, id, "Up")
	t.Logf("A → B in %s", time.Since(start).Round(time.Millisecond))
	// libvirt's JOB_COMPLETED on A: the last VM_migration_status, progress 100 and the downtime
	// (downtime_net, ms), as VDSM sends it and the engine reads it.
	done := a.events.takeMigration(id, func(p map[string]any) bool { return p["downtime"] != nil })
	if dt, _ := done["downtime"].(float64); done["progress"] != float64(100) || dt <= 0 || dt > 10000 {
		t.Fatalf("the migration's last VM_migration_status: %v", done)
	}
	t.Logf("downtime %v ms", done["downtime"])
	if a.lists(t, id) || !b.lists(t, id) {
		t.Fatalf("after A → B: A lists it %v, B lists it %v", a.lists(t, id), b.lists(t, id))
	}
	beatB := b.waitBeat(t, name, beatA)
	if first := heartbeat.FindStringSubmatch(b.serial(t, name)); first == nil || first[1] == "1" {
		t.Fatalf("B's log starts the heartbeat over: the guest rebooted\n%s", b.serial(t, name))
	}
	if strings.Contains(b.serial(t, name), "userspace up") {
		t.Fatalf("the guest booted on B:\n%s", b.serial(t, name))
	}
	t.Logf("heartbeat %d on A, %d on B", beatA, beatB)

	// B → A.
	t.Log("migrating B → A")
	b.migrate(t, id, a, nil)
	b.expect(t, id, "Migration Source")
	if d := b.expect(t, id, "Down"); d["exitReason"] != float64(4) {
		t.Fatalf("B's Down: %v", d)
	}
	a.expect(t, id, "Up")
	if b.lists(t, id) || !a.lists(t, id) {
		t.Fatalf("after B → A: B lists it %v, A lists it %v", b.lists(t, id), a.lists(t, id))
	}
	beatA = a.waitBeat(t, name, beatB)
	t.Logf("heartbeat %d on A again", beatA)

	// A slow migration (1 MiB/s for ~90 MiB) cancelled once libvirt's job moves: the VM stays
	// Up on A, and B's half is gone.
	// Its convergence schedule's init step sets the downtime libvirt allows (read back with
	// virsh on host A, where this test runs), and the monitor sends VM_migration_status events
	// with the job's progress (the lane's agents read the job every second).
	t.Log("cancelling a slow migration A → B")
	a.migrate(t, id, b, map[string]any{"maxBandwidth": 1, "convergenceSchedule": map[string]any{
		"init":     []any{map[string]any{"name": "setDowntime", "params": []any{"321"}}},
		"stalling": []any{map[string]any{"limit": 1, "action": map[string]any{"name": "abort", "params": []any{}}}},
	}})
	a.expect(t, id, "Migration Source")
	a.events.forgetMigration()
	ev := a.events.takeMigration(id, func(p map[string]any) bool { p1, _ := p["progress"].(float64); return p1 > 0 })
	if ev["postcopy"] != false {
		t.Fatalf("VM_migration_status: %v", ev)
	}
	if _, _, p := a.migrationStatus(t, id); p < int(ev["progress"].(float64)) {
		t.Fatalf("getMigrationStatus progress %d behind the event's %v", p, ev["progress"])
	}
	if out, err := exec.Command("virsh", "-c", "qemu:///system", "migrate-getmaxdowntime", name).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "321" {
		t.Fatalf("the schedule's init downtime: virsh migrate-getmaxdowntime: %q %v", out, err)
	}
	if m, _, o := migrationCounts(t, a.ta); m != 1 || o != 1 {
		t.Fatalf("A's Host.getStats while migrating: vmMigrating %d, outgoingVmMigrations %d", m, o)
	}
	if m, i, _ := migrationCounts(t, b.ta); m != 1 || i != 1 {
		t.Fatalf("B's Host.getStats while migrating: vmMigrating %d, incomingVmMigrations %d", m, i)
	}
	// Meanwhile the VM answers what is safe (stats) and refuses a second migration.
	var stats []map[string]any
	if err := json.Unmarshal(a.ta.call(t, "VM.getStats", map[string]any{"vmID": id}), &stats); err != nil || len(stats) != 1 || stats[0]["status"] != "Migration Source" {
		t.Fatalf("VM.getStats while migrating: %v %v", stats, err)
	}
	if e := rpcError(t, a.ta.dial(t), "VM.migrate", map[string]any{"vmID": id, "params": map[string]any{"dst": b.ta.addr, "method": "online"}}); e.Code != 12 {
		t.Fatalf("a second VM.migrate: %+v", e)
	}
	if res := a.ta.call(t, "VM.migrateCancel", map[string]any{"vmID": id}); string(res) != "true" {
		t.Fatalf("VM.migrateCancel: %s", res)
	}
	a.expect(t, id, "Up")
	b.expect(t, id, "Down")
	if code, msg, _ := a.migrationStatus(t, id); code != 47 || msg != "Migration canceled" {
		t.Fatalf("status after cancel: %d %q", code, msg)
	}
	if !a.lists(t, id) || b.lists(t, id) {
		t.Fatalf("after the cancel: A lists it %v, B lists it %v", a.lists(t, id), b.lists(t, id))
	}
	a.waitBeat(t, name, a.lastBeat(t, name))

	// B's agent is killed mid-migration. The migration is the two libvirtds' (peer to peer), so
	// it goes on without it; the VM stays A's, migrating, until cancelled: Up on A. B's agent,
	// started again, recovers nothing of it: libvirt tore the incoming half down.
	t.Log("killing B's agent in the middle of a slow migration A → B")
	a.migrate(t, id, b, map[string]any{"maxBandwidth": 1})
	a.expect(t, id, "Migration Source")
	a.events.forgetMigration()
	a.events.takeMigration(id, func(p map[string]any) bool { p1, _ := p["progress"].(float64); return p1 > 0 })
	b.agent(t, "kill")
	if err := json.Unmarshal(a.ta.call(t, "VM.getStats", map[string]any{"vmID": id}), &stats); err != nil || len(stats) != 1 || stats[0]["status"] != "Migration Source" {
		t.Fatalf("VM.getStats on A with B's agent gone: %v %v", stats, err)
	}
	if res := a.ta.call(t, "VM.migrateCancel", map[string]any{"vmID": id}); string(res) != "true" {
		t.Fatalf("VM.migrateCancel: %s", res)
	}
	a.expect(t, id, "Up")
	if code, msg, _ := a.migrationStatus(t, id); code != 47 {
		t.Fatalf("status after the cancel with B's agent gone: %d %q", code, msg)
	}
	b.agent(t, "start")
	b.events = events(t, b.ta)
	if !a.lists(t, id) || b.lists(t, id) {
		t.Fatalf("after B's agent came back: A lists it %v, B lists it %v", a.lists(t, id), b.lists(t, id))
	}
	a.waitBeat(t, name, a.lastBeat(t, name))

	// A's agent is killed in the middle of a slow migration and started again: libvirt's job
	// went on without it, and the recovered VM reads Migration Source as long as libvirt's job
	// runs; a cancel brings it back Up, once B (the destination A recorded in the domain's
	// metadata before the migration) was asked to remove its half.
	t.Log("restarting A's agent in the middle of a slow migration A → B")
	a.migrate(t, id, b, map[string]any{"maxBandwidth": 1})
	a.expect(t, id, "Migration Source")
	a.events.forgetMigration()
	a.events.takeMigration(id, func(p map[string]any) bool { p1, _ := p["progress"].(float64); return p1 > 0 })
	a.agent(t, "kill")
	a.agent(t, "start")
	a.events = events(t, a.ta)
	if out, err := exec.Command("virsh", "-c", "qemu:///system", "domjobinfo", name).CombinedOutput(); err != nil || !strings.Contains(string(out), "Unbounded") {
		t.Fatalf("libvirt's migration job after A's agent restarted: %q %v", out, err)
	}
	if err := json.Unmarshal(a.ta.call(t, "VM.getStats", map[string]any{"vmID": id}), &stats); err != nil || len(stats) != 1 || stats[0]["status"] != "Migration Source" {
		t.Fatalf("VM.getStats on the restarted A: %v %v", stats, err)
	}
	a.events.takeMigration(id, func(p map[string]any) bool { p1, _ := p["progress"].(float64); return p1 > 0 })
	if res := a.ta.call(t, "VM.migrateCancel", map[string]any{"vmID": id}); string(res) != "true" {
		t.Fatalf("VM.migrateCancel on the restarted A: %s", res)
	}
	a.expect(t, id, "Up")
	if code, msg, _ := a.migrationStatus(t, id); code != 47 || msg != "Migration canceled" {
		t.Fatalf("status after the cancel on the restarted A: %d %q", code, msg)
	}
	// B's one status event: Down, from libvirt's STOPPED/failed (8) or A's destroy (6).
	if d := b.expect(t, id, "Down"); d["exitReason"] != float64(8) && d["exitReason"] != float64(6) {
		t.Fatalf("B's half after the recovered migration was cancelled: %v", d)
	}
	if !a.lists(t, id) || b.lists(t, id) {
		t.Fatalf("after the recovered migration: A lists it %v, B lists it %v", a.lists(t, id), b.lists(t, id))
	}
	a.waitBeat(t, name, a.lastBeat(t, name))

	// The destination has no room (max_incoming_migrations VMs already coming): the source shows
	// its refusal (82) and, as VDSM, asks again after migration_retry_timeout (1 s in the lane),
	// still Migration Source; once a filler is gone the migration goes through.
	t.Log("migrating A → B while B is full, until B has room")
	fillers := []string{client.UUID(), client.UUID()}
	for i, fid := range fillers {
		fx := strings.Replace(strings.ReplaceAll(tmpl, "@NAME@", fmt.Sprintf("hostagent-mig-filler%d", i)), "</name>", "</name>\n  <uuid>"+fid+"</uuid>", 1)
		b.ta.call(t, "VM.migrationCreate", map[string]any{"vmID": fid, "params": map[string]any{"vmId": fid, "_srcDomXML": fx}})
	}
	a.migrate(t, id, b, nil)
	a.expect(t, id, "Migration Source")
	libvirtdEventually(t, migrationJobLimit, "A never showed B's refusal", func() bool {
		code, msg, _ := a.migrationStatus(t, id)
		return code == 82 && msg == "Incoming migration limit exceeded"
	})
	b.ta.call(t, "VM.destroy", map[string]any{"vmID": fillers[0]})
	if d := a.expect(t, id, "Down"); d["exitReason"] != float64(4) {
		t.Fatalf("A's Down after the retried migration: %v", d)
	}
	b.ta.call(t, "VM.destroy", map[string]any{"vmID": fillers[1]})
	if a.lists(t, id) || !b.lists(t, id) {
		t.Fatalf("after the retried migration: A lists it %v, B lists it %v", a.lists(t, id), b.lists(t, id))
	}
	b.expect(t, id, "Up")

	if res := b.ta.call(t, "VM.destroy", map[string]any{"vmID": id}); string(res) != "true" {
		t.Fatalf("VM.destroy: %s", res)
	}
	b.expect(t, id, "Down")
}
