package main

// Post-copy migration between the lane's two hosts (migration_test.go says how it runs). QEMU's
// post-copy needs userfaultfd, which the kernel grants a process with CAP_SYS_PTRACE, or everyone
// with vm.unprivileged_userfaultfd=1; the lane's hosts (.ci/twohosts.sh) run QEMU as root with its
// capabilities rather than change that machine-wide setting. A QEMU without either fails the test
// with the reason, before any migration.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// postCopyRefusal says why the kernel refuses QEMU (pid) the userfaultfd post-copy needs, ""
// when it does not: the sysctl allows everyone, else QEMU needs CAP_SYS_PTRACE (the kernel's
// userfaultfd_syscall_allowed; QEMU 7.2 does not use /dev/userfaultfd).
func postCopyRefusal(t *testing.T, pid string) string {
	t.Helper()
	sysctl, err := os.ReadFile("/proc/sys/vm/unprivileged_userfaultfd")
	if err != nil {
		return fmt.Sprintf("reading vm.unprivileged_userfaultfd: %v", err)
	}
	if strings.TrimSpace(string(sysctl)) == "1" {
		return ""
	}
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var uid, capEff string
	for _, line := range strings.Split(string(status), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			switch k {
			case "Uid":
				uid = strings.Fields(v)[1]
			case "CapEff":
				capEff = strings.TrimSpace(v)
			}
		}
	}
	caps, err := strconv.ParseUint(capEff, 16, 64)
	if err != nil {
		t.Fatalf("QEMU's CapEff %q: %v", capEff, err)
	}
	const capSysPtrace = 19
	if caps&(1<<capSysPtrace) != 0 {
		return ""
	}
	return fmt.Sprintf("vm.unprivileged_userfaultfd is %s and QEMU (pid %s, euid %s) lacks CAP_SYS_PTRACE: the kernel refuses it userfaultfd, so QEMU refuses post-copy (\"Postcopy is not supported\"); is the test hosts' qemu.conf (user root, clear_emulator_capabilities 0) in effect?",
		strings.TrimSpace(string(sysctl)), pid, uid)
}

// A migration that cannot converge with the engine's post-copy policy: the schedule's postcopy
// step switches it to post-copy on the second pass. At 1 MiB/s with 1 ms of downtime allowed QEMU
// completes in pre-copy only once a pass ends with less than a page dirtied, while the second
// pass carries what the guest dirtied in the ~90 s of the first (at 8 MiB/s the idle guest
// dirtied too little, and the second pass converged before the switch took). A reports Paused
// with pauseCode POSTCOPY (the engine's cue to hand the VM over), then Down with "Migration
// succeeded" once; the last VM_migration_status says postcopy; B has the VM Up and the guest's
// heartbeat carries on in B's log, without a reboot.
func TestMigrationPostcopy(t *testing.T) {
	a, b, tmpl := migrationLane(t)
	id, name := laneGuest(t, a, tmpl, a, b)
	pid, err := os.ReadFile(filepath.Join("/run/libvirt/qemu", name+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	if why := postCopyRefusal(t, strings.TrimSpace(string(pid))); why != "" {
		t.Fatal(why)
	}
	beatA := a.waitBeat(t, name, 1)

	t.Log("migrating A → B, switched to post-copy on the second pass")
	a.migrate(t, id, b, map[string]any{"maxBandwidth": 1, "convergenceSchedule": map[string]any{
		"init": []any{map[string]any{"name": "setDowntime", "params": []any{"1"}}},
		"stalling": []any{
			map[string]any{"limit": 0, "action": map[string]any{"name": "postcopy", "params": []any{}}},
			map[string]any{"limit": 3, "action": map[string]any{"name": "abort", "params": []any{}}},
		},
	}})
	a.expect(t, id, "Migration Source")
	if p := a.expect(t, id, "Paused"); p["pauseCode"] != "POSTCOPY" {
		t.Fatalf("A entering post-copy: %v", p)
	}
	if d := a.expect(t, id, "Down"); d["exitReason"] != float64(4) || d["exitCode"] != float64(0) || d["exitMessage"] != "Migration succeeded" {
		t.Fatalf("A's Down after post-copy: %v", d)
	}
	done := a.events.takeMigration(id, func(p map[string]any) bool { return p["progress"] == float64(100) })
	if done["postcopy"] != true {
		t.Fatalf("the migration's last VM_migration_status: %v", done)
	}
	t.Logf("last VM_migration_status %v", done)
	b.expect(t, id, "Up")
	if a.lists(t, id) || b.status(t, id) != "Up" {
		t.Fatalf("after post-copy: A lists it %v, B has it %q", a.lists(t, id), b.status(t, id))
	}
	if st := b.domstate(t, name); !strings.HasPrefix(st, "running") {
		t.Fatalf("B's domain after post-copy: %q", st)
	}
	beatB := b.waitBeat(t, name, beatA)
	if first := heartbeat.FindStringSubmatch(b.serial(t, name)); first == nil || first[1] == "1" {
		t.Fatalf("B's log starts the heartbeat over: the guest rebooted\n%s", b.serial(t, name))
	}
	t.Logf("heartbeat %d on A, %d on B", beatA, beatB)

	if res := b.ta.call(t, "VM.destroy", map[string]any{"vmID": id}); string(res) != "true" {
		t.Fatalf("VM.destroy: %s", res)
	}
	b.expect(t, id, "Down")
}
