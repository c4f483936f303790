package main

// Live migration between two agents on the test driver. libvirt's test driver cannot migrate, so
// these tests prove the agent-to-agent part (VM.migrationCreate over STOMP, the destination's
// actor, the clean-up after a failure) and the honest failure; the migration lane
// (migration_test.go, .ci/migration-lane.sh) proves the rest on real QEMU between two hosts.

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hostagent/hostagent/supervisor"
)

func migrationStatus(t *testing.T, ta *testAgent, id string) (code int, message string) {
	t.Helper()
	var st struct {
		Status struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
		Progress *int `json:"progress"`
	}
	if err := json.Unmarshal(ta.call(t, "VM.getMigrationStatus", map[string]any{"vmID": id}), &st); err != nil {
		t.Fatal(err)
	}
	if st.Progress == nil {
		t.Fatalf("getMigrationStatus of %s without progress", id)
	}
	return st.Status.Code, st.Status.Message
}

func vmIDs(t *testing.T, ta *testAgent) []string {
	t.Helper()
	var list []struct {
		VMID string `json:"vmId"`
	}
	if err := json.Unmarshal(ta.call(t, "Host.getVMList", map[string]any{}), &list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range list {
		ids = append(ids, v.VMID)
	}
	return ids
}

// The destination prepares and answers; libvirt's refusal then brings the VM back Up on the
// source, and the destination's half is removed.
func TestMigrateRefusedByLibvirtLeavesVMUp(t *testing.T) {
	src, dst := startAgent(t), startAgent(t)
	srcEvents, dstEvents := events(t, src), events(t, dst)
	c := src.dial(t)
	id := "3c1d2e4f-0000-4000-8000-00000000a001"
	createVM(t, c, "mig-refused", id)
	srcEvents.wait(id, "Powering up")

	if code, msg := migrationStatus(t, src, id); code != 0 || msg != "Migration in progress" {
		t.Fatalf("status before any migration: %d %q", code, msg)
	}
	res, err := c.Call("VM.migrate", map[string]any{"vmID": id, "params": map[string]any{
		"vmId": id, "dst": dst.addr, "method": "online", "tunneled": "false", "maxBandwidth": 32}})
	if err != nil || string(res) != "true" {
		t.Fatalf("VM.migrate: %s %v", res, err)
	}
	srcEvents.wait(id, "Migration Source")
	// The destination's half: removed with VM.destroy by the source, Down reported once.
	if p := dstEvents.wait(id, "Down"); p["exitReason"] == nil {
		t.Fatalf("destination's Down without a reason: %v", p)
	}
	srcEvents.wait(id, "Up", "Powering up")
	code, msg := migrationStatus(t, src, id)
	if code != 12 || msg != "Fatal error during migration" {
		t.Fatalf("status after libvirt's refusal: %d %q", code, msg)
	}
	if slices.Contains(vmIDs(t, dst), id) {
		t.Fatalf("destination still lists %s", id)
	}
	if !slices.Contains(vmIDs(t, src), id) {
		t.Fatalf("source lost %s", id)
	}
	if e := rpcError(t, c, "VM.migrateCancel", map[string]any{"vmID": id}); e.Code != 47 || e.Message != "Migration not in progress" {
		t.Fatalf("cancel with nothing running: %+v", e)
	}
}

// A destination nobody answers: the source says so (code 10) and the VM is Up again.
func TestMigrateUnreachableDestination(t *testing.T) {
	src := startAgent(t)
	next := events(t, src)
	c := src.dial(t)
	id := "3c1d2e4f-0000-4000-8000-00000000a002"
	createVM(t, c, "mig-unreachable", id)
	next.wait(id, "Powering up")
	if _, err := c.Call("VM.migrate", map[string]any{"vmID": id, "params": map[string]any{"dst": "127.0.0.1:1", "method": "online"}}); err != nil {
		t.Fatal(err)
	}
	next.wait(id, "Migration Source")
	// Back to Up, which reads "Powering up" within a minute of the start.
	next.wait(id, "Up", "Powering up")
	if code, msg := migrationStatus(t, src, id); code != 10 || msg != "Could not connect to peer VDS" {
		t.Fatalf("status: %d %q", code, msg)
	}
	if e := rpcError(t, c, "VM.migrate", map[string]any{"vmID": id, "params": map[string]any{"dst": "127.0.0.1:1", "mode": "file"}}); e.Code != 44 {
		t.Fatalf("hibernation: %+v", e)
	}
	if e := rpcError(t, c, "VM.migrate", map[string]any{"vmID": "3c1d2e4f-0000-4000-8000-00000000afff", "params": map[string]any{"dst": "127.0.0.1:1"}}); e.Code != 1 {
		t.Fatalf("unknown VM: %+v", e)
	}
	bad := map[string]any{"init": []any{map[string]any{"name": "speedUp", "params": []any{}}}, "stalling": []any{}}
	if e := rpcError(t, c, "VM.migrate", map[string]any{"vmID": id, "params": map[string]any{"dst": "127.0.0.1:1", "convergenceSchedule": bad}}); e.Code != 100 {
		t.Fatalf("an unknown convergence action: %+v", e)
	}
}

// VM.migrationCreate alone: a destination VM in "Migration Destination", the same VM twice is
// refused (4), and past max_incoming_migrations too (82).
func TestMigrationCreateDestination(t *testing.T) {
	dst := startAgent(t)
	c := dst.dial(t)
	create := func(name, id string) error {
		_, err := c.Call("VM.migrationCreate", map[string]any{"vmID": id, "params": map[string]any{
			"vmId": id, "_srcDomXML": domainXML(t, name, id), "elapsedTimeOffset": 3600.5}})
		return err
	}
	ids := []string{"3c1d2e4f-0000-4000-8000-00000000b001", "3c1d2e4f-0000-4000-8000-00000000b002", "3c1d2e4f-0000-4000-8000-00000000b003"}
	if err := create("in1", ids[0]); err != nil {
		t.Fatal(err)
	}
	var info struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(dst.call(t, "VM.getInfo", map[string]any{"vmID": ids[0]}), &info); err != nil || info.Status != "Migration Destination" {
		t.Fatalf("getInfo: %+v %v", info, err)
	}
	if e := rpcError(t, c, "VM.migrationCreate", map[string]any{"vmID": ids[0], "params": map[string]any{"_srcDomXML": domainXML(t, "in1", ids[0])}}); e.Code != 4 {
		t.Fatalf("twice: %+v", e)
	}
	if err := create("in2", ids[1]); err != nil {
		t.Fatal(err)
	}
	if m, i, o := migrationCounts(t, dst); m != 2 || i != 2 || o != 0 {
		t.Fatalf("Host.getStats: vmMigrating %d, incomingVmMigrations %d, outgoingVmMigrations %d", m, i, o)
	}
	if e := rpcError(t, c, "VM.migrationCreate", map[string]any{"vmID": ids[2], "params": map[string]any{"_srcDomXML": domainXML(t, "in3", ids[2])}}); e.Code != 82 || e.Message != "Incoming migration limit exceeded" {
		t.Fatalf("third incoming: %+v", e)
	}
	if e := rpcError(t, c, "VM.migrationCreate", map[string]any{"vmID": ids[2], "params": map[string]any{"_srcDomXML": "<domain/>"}}); e.Code != 82 {
		t.Fatalf("limit first: %+v", e)
	}
	for _, id := range ids[:2] {
		dst.call(t, "VM.destroy", map[string]any{"vmID": id})
	}
	if e := rpcError(t, c, "VM.migrationCreate", map[string]any{"vmID": ids[2], "params": map[string]any{"_srcDomXML": "<domain/>"}}); e.Code != 9 {
		t.Fatalf("no usable XML: %+v", e)
	}
}

// migrationCounts is Host.getStats' vmMigrating, incomingVmMigrations and outgoingVmMigrations.
func migrationCounts(t *testing.T, ta *testAgent) (migrating, incoming, outgoing int) {
	t.Helper()
	var st struct {
		Migrating int `json:"vmMigrating"`
		Incoming  int `json:"incomingVmMigrations"`
		Outgoing  int `json:"outgoingVmMigrations"`
	}
	if err := json.Unmarshal(ta.call(t, "Host.getStats", map[string]any{}), &st); err != nil {
		t.Fatal(err)
	}
	return st.Migrating, st.Incoming, st.Outgoing
}

// A destination whose domain never arrives gives up after migration_destination_timeout: Down
// with "VM failed to migrate" (1/8), no longer counted as incoming, and listed until the engine
// destroys it.
func TestMigrationDestinationTimesOut(t *testing.T) {
	dst := startAgent(t, func(c *agentConfig) { c.MigrationDestinationTimeout = time.Millisecond })
	next := events(t, dst)
	id := "3c1d2e4f-0000-4000-8000-00000000b010"
	dst.call(t, "VM.migrationCreate", map[string]any{"vmID": id, "params": map[string]any{
		"vmId": id, "_srcDomXML": domainXML(t, "in-timeout", id)}})
	if p := next.wait(id, "Down"); p["exitCode"] != float64(1) || p["exitReason"] != float64(8) || p["exitMessage"] != "VM failed to migrate" {
		t.Fatalf("Down after the time-out: %v", p)
	}
	if m, i, _ := migrationCounts(t, dst); m != 0 || i != 0 {
		t.Fatalf("Host.getStats after the time-out: vmMigrating %d, incomingVmMigrations %d", m, i)
	}
	if !slices.Contains(vmIDs(t, dst), id) {
		t.Fatalf("the timed-out VM is not listed")
	}
	dst.call(t, "VM.destroy", map[string]any{"vmID": id})
	if slices.Contains(vmIDs(t, dst), id) {
		t.Fatalf("VM.destroy left the timed-out VM listed")
	}
}

// max_outgoing_migrations: with a limit of 1, a second VM.migrate waits in Migration Source
// while the first holds the slot (its VM.migrationCreate held at the destination's registry by
// an injected delay), can be cancelled while it waits, and gets the slot once the first ends.
func TestMigrateOutgoingLimitWaits(t *testing.T) {
	src := startAgent(t, func(c *agentConfig) { c.MaxOutgoingMigrations = 1 })
	dst := startAgent(t)
	next := events(t, src)
	c := src.dial(t)
	ids := []string{"3c1d2e4f-0000-4000-8000-00000000c001", "3c1d2e4f-0000-4000-8000-00000000c002"}
	for i, id := range ids {
		createVM(t, c, fmt.Sprintf("mig-limit%d", i), id)
		next.wait(id, "Powering up")
	}
	hold, fired := make(chan struct{}), make(chan string, 4)
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	dst.faults.Set(supervisor.Rule{Kind: "registry", Message: "*vm.MigrationCreate", Action: supervisor.Delay,
		Delay: time.Minute, Until: hold, Fired: fired})
	migrate := func(id string) {
		t.Helper()
		if res, err := c.Call("VM.migrate", map[string]any{"vmID": id, "params": map[string]any{"dst": dst.addr, "method": "online"}}); err != nil || string(res) != "true" {
			t.Fatalf("VM.migrate %s: %s %v", id, res, err)
		}
		next.wait(id, "Migration Source")
	}
	migrate(ids[0])
	<-fired // the first migration has its slot and waits for the destination
	migrate(ids[1])
	if m, _, o := migrationCounts(t, src); m != 2 || o != 2 {
		t.Fatalf("Host.getStats: vmMigrating %d, outgoingVmMigrations %d (the waiting one counts, as in VDSM)", m, o)
	}
	// Cancelled while it waits for the slot, it is Up again at once. Had it not waited but
	// called the destination, it would be stuck behind the held registry until the peer call's
	// 30-s time-out, past the event wait's 20 s.
	if res := src.call(t, "VM.migrateCancel", map[string]any{"vmID": ids[1]}); string(res) != "true" {
		t.Fatalf("VM.migrateCancel: %s", res)
	}
	next.wait(ids[1], "Up", "Powering up")
	if code, msg := migrationStatus(t, src, ids[1]); code != 47 || msg != "Migration canceled" {
		t.Fatalf("the waiting migration after its cancel: %d %q", code, msg)
	}
	// The first goes on (and libvirt's test driver refuses it); its slot is free for the
	// second, which now reaches the destination.
	release()
	next.wait(ids[0], "Up", "Powering up")
	migrate(ids[1])
	next.wait(ids[1], "Up", "Powering up")
	if code, msg := migrationStatus(t, src, ids[1]); code != 12 || msg != "Fatal error during migration" {
		t.Fatalf("the second migration, run: %d %q", code, msg)
	}
}

// migrationFillers takes a destination's max_incoming_migrations (2) with VMs that never arrive.
func migrationFillers(t *testing.T, dst *testAgent, prefix string) []string {
	t.Helper()
	ids := []string{"3c1d2e4f-0000-4000-8000-0000000" + prefix + "1", "3c1d2e4f-0000-4000-8000-0000000" + prefix + "2"}
	for i, id := range ids {
		dst.call(t, "VM.migrationCreate", map[string]any{"vmID": id, "params": map[string]any{
			"vmId": id, "_srcDomXML": domainXML(t, fmt.Sprintf("filler%s%d", prefix, i), id)}})
	}
	return ids
}

// A destination without room (82) is asked again after migration_retry_timeout, as VDSM's
// source thread does; once it has room the migration goes on (and libvirt's test driver refuses
// it: Up, 12). The first VM.migrationCreate is held in the destination's registry while a filler
// is destroyed, so the filler's removal reaches the registry after that first call (refused) and
// before the second (admitted).
func TestMigrateRetriesBusyDestination(t *testing.T) {
	src := startAgent(t, func(c *agentConfig) { c.MigrationRetryTimeout = time.Millisecond })
	dst := startAgent(t)
	srcEvents, dstEvents := events(t, src), events(t, dst)
	c := src.dial(t)
	id := "3c1d2e4f-0000-4000-8000-00000000d001"
	createVM(t, c, "mig-busy", id)
	srcEvents.wait(id, "Powering up")
	fillers := migrationFillers(t, dst, "0d10")
	hold, seen := make(chan struct{}), make(chan string, 1)
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	dst.faults.Set(supervisor.Rule{Kind: "registry", Message: "*vm.MigrationCreate", Action: supervisor.Delay,
		Delay: time.Minute, Until: hold, Times: 1, Fired: seen})
	if res, err := c.Call("VM.migrate", map[string]any{"vmID": id, "params": map[string]any{"dst": dst.addr, "method": "online"}}); err != nil || string(res) != "true" {
		t.Fatalf("VM.migrate: %s %v", res, err)
	}
	srcEvents.wait(id, "Migration Source")
	<-seen
	dst.call(t, "VM.destroy", map[string]any{"vmID": fillers[0]})
	release()
	// The retry's VM.migrationCreate made the VM there; the source removed it after libvirt's
	// refusal.
	dstEvents.wait(id, "Down")
	srcEvents.wait(id, "Up", "Powering up")
	if code, msg := migrationStatus(t, src, id); code != 12 || msg != "Fatal error during migration" {
		t.Fatalf("status after the retried migration: %d %q", code, msg)
	}
	dst.call(t, "VM.destroy", map[string]any{"vmID": fillers[1]})
}

// A destination that never has room is asked a bounded number of times (VDSM asks until the
// migration is cancelled): then the VM is Up with the destination's refusal.
func TestMigrateBusyDestinationGivesUp(t *testing.T) {
	src := startAgent(t, func(c *agentConfig) { c.MigrationRetryTimeout = time.Millisecond })
	dst := startAgent(t)
	srcEvents := events(t, src)
	c := src.dial(t)
	id := "3c1d2e4f-0000-4000-8000-00000000d002"
	createVM(t, c, "mig-busy2", id)
	srcEvents.wait(id, "Powering up")
	migrationFillers(t, dst, "0d20")
	asked := make(chan string, 64)
	dst.faults.Set(supervisor.Rule{Kind: "registry", Message: "*vm.MigrationCreate", Action: supervisor.Delay, Fired: asked})
	if res, err := c.Call("VM.migrate", map[string]any{"vmID": id, "params": map[string]any{"dst": dst.addr, "method": "online"}}); err != nil || string(res) != "true" {
		t.Fatalf("VM.migrate: %s %v", res, err)
	}
	srcEvents.wait(id, "Migration Source")
	if p := srcEvents.wait(id, "Up", "Powering up", "Down"); p["status"] == "Down" {
		t.Fatalf("the source after the refusals: %v", p)
	}
	if code, msg := migrationStatus(t, src, id); code != 82 || msg != "Incoming migration limit exceeded" {
		t.Fatalf("status after the refusals: %d %q", code, msg)
	}
	if n := len(asked); n != 30 {
		t.Fatalf("the destination was asked %d times, want 30", n)
	}
}
