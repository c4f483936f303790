package main

// Tests against real QEMU guests through a real system libvirtd (qemu:///system), run by the QEMU
// lane (`go tool task test:qemu`, .ci/qemu-lane.sh), which starts the daemons as root, builds the
// guest (.ci/qemu-guest.sh: Debian's cloud kernel and a busybox initramfs whose init powers off on
// the ACPI power button) and sets:
//
//	HOSTAGENT_TEST_QEMU_GUEST    the directory with the guest's vmlinuz and initrd.img
//	HOSTAGENT_TEST_QEMU_TYPE     the domain type: kvm where KVM is really usable, else qemu (TCG)
//	HOSTAGENT_TEST_QEMU_RESTART  a command that restarts libvirtd
//
// Without HOSTAGENT_TEST_QEMU_GUEST these tests skip, also under CI=true: `go test ./...` has no
// daemon, and the QEMU lane, which runs them with it set, never skips in CI. Every guest is named
// hostagent-qemu-*, and at most two run at once (each is a busy core while it boots under TCG).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/virt"
)

const (
	qemuURI        = "qemu:///system"
	guestUp        = "HOSTAGENT-GUEST: userspace up"
	guestIgnoring  = "HOSTAGENT-GUEST: ignoring the power button"
	guestPowerOff  = "HOSTAGENT-GUEST: power button, powering off"
	qemuBootLimit  = 90 * time.Second // TCG boots in ~3 s; generous for a loaded 2-core machine
	qemuEventLimit = 60 * time.Second
)

type qemuLane struct {
	guest, domainType, restart string
	hold                       *virt.Inspector
}

// qemuEnv is the lane's setup, or skips the test outside the lane.
func qemuEnv(t *testing.T) *qemuLane {
	t.Helper()
	q := &qemuLane{
		guest:      os.Getenv("HOSTAGENT_TEST_QEMU_GUEST"),
		domainType: os.Getenv("HOSTAGENT_TEST_QEMU_TYPE"),
		restart:    os.Getenv("HOSTAGENT_TEST_QEMU_RESTART"),
	}
	if q.guest == "" {
		t.Skip("needs real QEMU through libvirtd: HOSTAGENT_TEST_QEMU_GUEST is unset (go tool task test:qemu runs this test, as root)")
	}
	if q.domainType != "kvm" && q.domainType != "qemu" {
		t.Fatalf("HOSTAGENT_TEST_QEMU_TYPE=%q: want kvm or qemu", q.domainType)
	}
	return q
}

// agent starts an agent on qemu:///system. The sampler runs only when a test asks (SampleNow).
func (q *qemuLane) agent(t *testing.T) *testAgent {
	t.Helper()
	ta := startAgent(t, func(c *agentConfig) { c.LibvirtURI = qemuURI })
	if q.hold == nil {
		q.hold = q.connect(t)
	}
	return ta
}

// connect opens the test's own libvirt connection, to look at domains behind the agent's back. Open
// it after an agent has started (the agent registers libvirt's event loop first).
func (q *qemuLane) connect(t *testing.T) *virt.Inspector {
	t.Helper()
	c, err := virt.Inspect(qemuURI)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type qemuGuest struct {
	name, id, serial string
}

// create starts a guest through VM.create with a real domain XML (testdata/qemu/guest.xml, as
// each of edits rewrites it), and makes sure it is gone (destroyed and undefined) when the test
// ends, whatever happens.
func (q *qemuLane) create(t *testing.T, c *client.Client, name, id, cmdline string, edits ...func(string) string) *qemuGuest {
	t.Helper()
	tmpl, err := os.ReadFile("../../testdata/qemu/guest.xml")
	if err != nil {
		t.Fatal(err)
	}
	g := &qemuGuest{name: "hostagent-qemu-" + name, id: id, serial: filepath.Join(t.TempDir(), "serial.log")}
	xml := strings.NewReplacer(
		"@TYPE@", q.domainType, "@NAME@", g.name, "@UUID@", id,
		"@KERNEL@", filepath.Join(q.guest, "vmlinuz"), "@INITRD@", filepath.Join(q.guest, "initrd.img"),
		"@CMDLINE@", cmdline, "@MAC@", "52:54:00:"+id[0:2]+":"+id[2:4]+":"+id[4:6], "@SERIAL@", g.serial,
	).Replace(string(tmpl))
	for _, edit := range edits {
		xml = edit(xml)
	}
	t.Cleanup(func() { q.remove(t, g) })
	res, err := c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": xml}})
	if err != nil {
		t.Fatalf("VM.create %s: %v", g.name, err)
	}
	if m := decodeObject(t, res); m["vmId"] != id || m["status"] != "WaitForLaunch" {
		t.Fatalf("VM.create %s: %v", g.name, m)
	}
	return g
}

// remove destroys and undefines the guest if it is still there: a failed test leaves nothing.
func (q *qemuLane) remove(t *testing.T, g *qemuGuest) {
	c, err := virt.Inspect(qemuURI)
	if err != nil {
		t.Errorf("cleanup of %s: %v", g.name, err)
		return
	}
	defer c.Close()
	destroyed, undefined, err := c.Remove(g.id)
	if destroyed {
		t.Logf("cleanup: destroyed %s, left running", g.name)
	}
	if undefined {
		t.Logf("cleanup: undefined %s, left defined", g.name)
	}
	if err != nil {
		t.Errorf("cleanup of %s: %v", g.name, err)
	}
}

// log is what the guest has written to its serial console so far.
func (g *qemuGuest) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(g.serial)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serial log of %s: %v", g.name, err)
	}
	return string(b)
}

// waitLog waits until the serial console has shown marker n times. The console is a file libvirt
// writes: there is nothing to wait on but the file itself.
func (g *qemuGuest) waitLog(t *testing.T, marker string, n int) {
	t.Helper()
	libvirtdEventually(t, qemuBootLimit, fmt.Sprintf("%s: %q not seen %d times on the serial console; it has:\n%s", g.name, marker, n, g.log(t)),
		func() bool { return strings.Count(g.log(t), marker) >= n })
}

// domain is the guest as libvirt has it, through the test's own connection.
func (q *qemuLane) domain(t *testing.T, g *qemuGuest) (id uint, state, reason int, persistent bool) {
	t.Helper()
	d, err := q.hold.Domain(g.id)
	if err != nil {
		t.Fatalf("%s: %v", g.name, err)
	}
	return d.ID, d.State, d.Reason, d.Persistent
}

// gone reports whether libvirt no longer knows the guest (destroyed and undefined).
func (q *qemuLane) gone(t *testing.T, g *qemuGuest) bool {
	t.Helper()
	_, err := q.hold.Domain(g.id)
	if err == nil {
		return false
	}
	if errors.Is(err, virt.ErrNoDomain) {
		return true
	}
	t.Fatalf("%s: %v", g.name, err)
	return false
}

// qemuPID is the guest's QEMU process, from libvirt's pid file for it.
func qemuPID(t *testing.T, g *qemuGuest) int {
	t.Helper()
	b, err := os.ReadFile("/run/libvirt/qemu/" + g.name + ".pid")
	if err != nil {
		t.Fatalf("QEMU pid of %s: %v", g.name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("QEMU pid of %s: %q", g.name, b)
	}
	return pid
}

func num(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	s, ok := m[key].(string)
	if !ok {
		t.Fatalf("%s = %#v, want a number in a string; in %v", key, m[key], m)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%s = %q: %v", key, s, err)
	}
	return f
}

// The engine's whole VM lifecycle against a real guest: create → the guest reaches userspace →
// real stats → pause/cont → reset (the guest boots again) → ACPI shutdown (the guest powers itself
// off) → Down once → destroy → undefined.
func TestQEMULifecycle(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	g := q.create(t, c, "life", "c0c0c0c0-0000-4000-8000-000000000001", "")
	ev.wait(g.id, "Powering up")
	if _, st, _, persistent := q.domain(t, g); st != virt.StateRunning || !persistent {
		t.Fatalf("libvirt has %s in state %d, persistent %v; want running and defined", g.name, st, persistent)
	}
	// A sample while the guest boots (a busy vCPU), the next once it is in userspace.
	ta.SampleNow()
	g.waitLog(t, guestUp, 1)
	ta.SampleNow()
	st := vmStatsOf(t, c, g.id)
	// "Powering up" for the first minute of a guest without a guest agent, as VDSM says it.
	if (st["status"] != "Powering up" && st["status"] != "Up") || st["monitorResponse"] != "0" || st["cpuActual"] != true {
		t.Fatalf("VM.getStats after two samples: %v", st)
	}
	// VDSM's split: cpuSys is QEMU's own user+system time, cpuUser the rest of the domain's
	// (the vCPUs under KVM). Under TCG the vCPUs are QEMU user time, so cpuSys carries it all,
	// and with QEMU's other threads it can pass 100.
	if user, sys := num(t, st, "cpuUser"), num(t, st, "cpuSys"); user < 0 || sys < 0 || user+sys <= 0 {
		t.Fatalf("a booting guest's CPU: cpuUser %v, cpuSys %v", user, sys)
	}
	e1 := num(t, st, "elapsedTime")
	// Balloon: the guest's virtio_balloon driver reports every 2 s once loaded; the interface is a
	// tap, so its counters are the host's view of the guest's traffic (its ping every 2 s).
	var net map[string]any
	libvirtdEventually(t, 30*time.Second, "no guest memory stats, network traffic or elapsed time", func() bool {
		ta.SampleNow()
		st = vmStatsOf(t, c, g.id)
		nets, _ := st["network"].(map[string]any)
		for _, n := range nets {
			net, _ = n.(map[string]any)
		}
		ms, _ := st["memoryStats"].(map[string]any)
		return net != nil && num(t, net, "tx") > 0 && num(t, net, "rx") > 0 && ms != nil && ms["mem_free"] != "0" &&
			num(t, st, "elapsedTime") > e1
	})
	if !strings.HasPrefix(net["name"].(string), "vnet") || net["macAddr"] != "52:54:00:c0:c0:c0" || net["speed"] != "1000" {
		t.Errorf("network stats: %v", net)
	}
	bi, _ := st["balloonInfo"].(map[string]any)
	if bi == nil || bi["balloon_max"] != "131072" || bi["balloon_cur"] != "131072" || bi["ballooning_enabled"] != true {
		t.Errorf("balloonInfo: %v", st["balloonInfo"])
	}
	if ms := st["memoryStats"].(map[string]any); num(t, ms, "mem_total") <= 0 || num(t, ms, "mem_unused") <= 0 {
		t.Errorf("memoryStats: %v", ms)
	}
	t.Logf("stats: cpuUser %v cpuSys %v elapsed %v memUsage %v network %v balloon %v memory %v",
		st["cpuUser"], st["cpuSys"], st["elapsedTime"], st["memUsage"], net, bi, st["memoryStats"])

	if res, err := c.Call("VM.pause", map[string]any{"vmID": g.id}); err != nil || string(res) != `{"vmList":{}}` {
		t.Fatalf("VM.pause: %s %v", res, err)
	}
	ev.wait(g.id, "Paused")
	if _, st, _, _ := q.domain(t, g); st != virt.StatePaused {
		t.Fatalf("after VM.pause libvirt has state %d", st)
	}
	if _, err := c.Call("VM.cont", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.cont: %v", err)
	}
	ev.wait(g.id, "Up", "Powering up")
	if _, st, _, _ := q.domain(t, g); st != virt.StateRunning {
		t.Fatalf("after VM.cont libvirt has state %d", st)
	}

	// A reset reboots the guest in the same QEMU process: its console shows a second boot.
	pid := qemuPID(t, g)
	if res, err := c.Call("VM.reset", map[string]any{"vmID": g.id}); err != nil || string(res) != "true" {
		t.Fatalf("VM.reset: %s %v", res, err)
	}
	g.waitLog(t, guestUp, 2)
	if p := qemuPID(t, g); p != pid {
		t.Fatalf("VM.reset restarted QEMU: pid %d, was %d", p, pid)
	}

	// ACPI shutdown: the guest's init sees the power button and powers off.
	if res, err := c.Call("VM.shutdown", map[string]any{"vmID": g.id, "delay": "0", "message": "bye"}); err != nil || string(res) != "true" {
		t.Fatalf("VM.shutdown: %s %v", res, err)
	}
	down := ev.wait(g.id, "Down")
	if down["exitReason"] != float64(6) || down["exitCode"] != float64(0) || down["exitMessage"] != "Admin shut down from the engine" {
		t.Fatalf("Down after VM.shutdown: %v", down)
	}
	if !strings.Contains(g.log(t), guestPowerOff) {
		t.Fatalf("the guest did not power itself off; its console:\n%s", g.log(t))
	}
	if _, st, reason, persistent := q.domain(t, g); st != virt.StateShutoff || reason != virt.ShutoffShutdown || !persistent {
		t.Fatalf("after the guest's power-off libvirt has state %d reason %d persistent %v", st, reason, persistent)
	}
	if res, err := c.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil || string(res) != "true" {
		t.Fatalf("VM.destroy: %s %v", res, err)
	}
	if !q.gone(t, g) {
		t.Fatalf("%s is still defined after VM.destroy", g.name)
	}
	if _, err := c.Call("VM.getStats", map[string]any{"vmID": g.id}); err == nil || err.(*client.Error).Code != 1 {
		t.Fatalf("VM.getStats after VM.destroy: %v", err)
	}
	// Down was reported once: the next event on the stream is another VM's.
	other := q.create(t, c, "life2", "c0c0c0c0-0000-4000-8000-000000000002", "")
	ev.noEventFor(g.id, other.id)
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": other.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	ev.wait(other.id, "Down")
}

// VM.shutdown with force on a guest that ignores the power button: after the timeout the agent
// destroys it, and Down is reported once, with the admin-shutdown reason. A guest that powers
// itself off is Down with the guest-shutdown reason.
func TestQEMUForcedShutdown(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	g := q.create(t, c, "deaf", "c1c1c1c1-0000-4000-8000-000000000001", "hostagent.acpi=ignore")
	ev.wait(g.id, "Powering up")
	g.waitLog(t, guestIgnoring, 1)
	if res, err := c.Call("VM.shutdown", map[string]any{"vmID": g.id, "force": "true", "timeout": "3"}); err != nil || string(res) != "true" {
		t.Fatalf("forced VM.shutdown: %s %v", res, err)
	}
	if st := vmStatsOf(t, c, g.id)["status"]; st != "Powering down" {
		t.Fatalf("right after VM.shutdown: status %v, want Powering down", st)
	}
	down := ev.wait(g.id, "Down")
	if down["exitReason"] != float64(6) || down["exitMessage"] != "Admin shut down from the engine" {
		t.Fatalf("Down after the forced shutdown: %v", down)
	}
	if _, st, reason, _ := q.domain(t, g); st != virt.StateShutoff || reason != virt.ShutoffDestroyed {
		t.Fatalf("after the forced shutdown libvirt has state %d reason %d, want shut off (destroyed)", st, reason)
	}
	if strings.Contains(g.log(t), guestPowerOff) {
		t.Fatalf("the guest was to ignore the power button; its console:\n%s", g.log(t))
	}
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	if !q.gone(t, g) {
		t.Fatalf("%s is still defined after VM.destroy", g.name)
	}
	// The next event on the stream is another VM's: this one, whose guest powers itself off
	// once up (no VM.shutdown): Down with the guest-shutdown reason.
	other := q.create(t, c, "self", "c1c1c1c1-0000-4000-8000-000000000002", "hostagent.poweroff")
	ev.noEventFor(g.id, other.id)
	down = ev.wait(other.id, "Down")
	if down["exitReason"] != float64(7) || down["exitMessage"] != "User shut down from within the guest" {
		t.Fatalf("Down of a guest that powered itself off: %v", down)
	}
	if !strings.Contains(other.log(t), "HOSTAGENT-GUEST: powering off by itself") {
		t.Fatalf("the guest's console:\n%s", other.log(t))
	}
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": other.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	if !q.gone(t, other) {
		t.Fatalf("%s is still defined after VM.destroy", other.name)
	}
}

// Recovery for real: two guests run, the agent stops and starts again; both come back Up with
// elapsedTime carried on and nothing restarted. Then libvirtd itself restarts under the agent,
// which reconnects, registers its events again, and keeps serving the same guests.
func TestQEMURecoveryAndLibvirtdRestart(t *testing.T) {
	q := qemuEnv(t)
	if q.restart == "" {
		t.Fatal("HOSTAGENT_TEST_QEMU_RESTART (the command that restarts libvirtd) is unset")
	}
	a1 := q.agent(t)
	ev := events(t, a1)
	c := a1.dial(t)
	gs := []*qemuGuest{
		q.create(t, c, "rec1", "c2c2c2c2-0000-4000-8000-000000000001", ""),
		q.create(t, c, "rec2", "c2c2c2c2-0000-4000-8000-000000000002", ""),
	}
	domIDs, pids, before := map[string]uint{}, map[string]int{}, map[string]int{}
	// Both start at once: their events come in either order, and the stream keeps the one read
	// while waiting for the other.
	ev.wait(gs[0].id, "Powering up")
	ev.wait(gs[1].id, "Powering up")
	for _, g := range gs {
		g.waitLog(t, guestUp, 1)
		domIDs[g.id], _, _, _ = q.domain(t, g)
		pids[g.id] = qemuPID(t, g)
	}
	libvirtdEventually(t, 10*time.Second, "elapsedTime did not reach 1 s", func() bool { return libvirtdElapsed(t, c, gs[0].id) >= 1 })
	for _, g := range gs {
		before[g.id] = libvirtdElapsed(t, c, g.id)
	}
	c.Close()
	if err := a1.Shutdown(10 * time.Second); err != nil {
		t.Fatal(err)
	}

	a2 := q.agent(t)
	c2 := a2.dial(t)
	for _, g := range gs {
		st := vmStatsOf(t, c2, g.id)
		if st["status"] != "Up" && st["status"] != "Powering up" {
			t.Fatalf("recovered %s: status %v", g.name, st["status"])
		}
		if e := libvirtdElapsed(t, c2, g.id); e < before[g.id] {
			t.Fatalf("recovered %s: elapsedTime %d s, was %d s before the agent restart", g.name, e, before[g.id])
		}
		if id, st, _, _ := q.domain(t, g); id != domIDs[g.id] || st != virt.StateRunning || qemuPID(t, g) != pids[g.id] {
			t.Fatalf("recovered %s: domain %d state %d pid %d; was domain %d pid %d", g.name, id, st, qemuPID(t, g), domIDs[g.id], pids[g.id])
		}
		if n := strings.Count(g.log(t), guestUp); n != 1 {
			t.Fatalf("%s booted %d times: recovery restarted it", g.name, n)
		}
	}

	ev2 := events(t, a2)
	out, err := exec.Command("sh", "-c", q.restart).CombinedOutput()
	if err != nil {
		t.Fatalf("restart libvirtd (%s): %v\n%s", q.restart, err, out)
	}
	t.Logf("libvirtd restarted: %s", bytes.TrimSpace(out))
	q.hold = q.connect(t) // the old one died with the daemon
	// Until the agent has reconnected, VM verbs fail fast with 40; then they work again, and the
	// pause's event proves the agent registered for events on its new connection.
	g := gs[0]
	libvirtdEventually(t, 30*time.Second, "VM.pause never succeeded after the libvirtd restart", func() bool {
		_, err := c2.Call("VM.pause", map[string]any{"vmID": g.id})
		if e, ok := err.(*client.Error); ok && e.Code == 40 {
			return false
		}
		if err != nil {
			t.Fatalf("VM.pause after the libvirtd restart: %v", err)
		}
		return true
	})
	ev2.wait(g.id, "Paused")
	if _, err := c2.Call("VM.cont", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.cont: %v", err)
	}
	ev2.wait(g.id, "Up", "Powering up")
	a2.SampleNow()
	for _, g := range gs {
		st := vmStatsOf(t, c2, g.id)
		if st["monitorResponse"] != "0" || (st["status"] != "Up" && st["status"] != "Powering up") {
			t.Fatalf("%s after the libvirtd restart: %v", g.name, st)
		}
		if qemuPID(t, g) != pids[g.id] {
			t.Fatalf("%s was restarted with libvirtd", g.name)
		}
	}
	for _, g := range gs {
		if _, err := c2.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
			t.Fatalf("VM.destroy %s: %v", g.name, err)
		}
		ev2.wait(g.id, "Down")
		if !q.gone(t, g) {
			t.Fatalf("%s is still defined after VM.destroy", g.name)
		}
	}
}

// The capabilities of the real host: KVM only where usable, machine types and CPU models from
// libvirt's domain capabilities for the accelerator in use, NUMA topology; Host.getStats counts
// the running guest.
func TestQEMUHostCapabilities(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	c := ta.dial(t)
	res, err := c.Call("Host.getCapabilities", nil)
	if err != nil {
		t.Fatal(err)
	}
	var caps struct {
		KVMEnabled       string                     `json:"kvmEnabled"`
		EmulatedMachines []string                   `json:"emulatedMachines"`
		CPUFlags         string                     `json:"cpuFlags"`
		VMTypes          []string                   `json:"vmTypes"`
		NUMANodes        map[string]json.RawMessage `json:"numaNodes"`
		CPUModel         string                     `json:"cpuModel"`
	}
	if err := json.Unmarshal(res, &caps); err != nil {
		t.Fatal(err)
	}
	if want := strconv.FormatBool(q.domainType == "kvm"); caps.KVMEnabled != want {
		t.Errorf("kvmEnabled %q, want %q (the lane chose type %s)", caps.KVMEnabled, want, q.domainType)
	}
	hasPrefix := func(list []string, p string) bool {
		for _, s := range list {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
		return false
	}
	if !hasPrefix(caps.EmulatedMachines, "pc-i440fx-") || !hasPrefix(caps.EmulatedMachines, "pc-q35-") {
		t.Errorf("emulatedMachines %v: want QEMU's pc-i440fx-* and pc-q35-*", caps.EmulatedMachines)
	}
	flags := strings.Split(caps.CPUFlags, ",")
	if !hasPrefix(flags, "model_") || !hasPrefix(flags, "fpu") {
		t.Errorf("cpuFlags %q: want the host's flags and model_* entries", caps.CPUFlags)
	}
	if len(caps.VMTypes) != 1 || caps.VMTypes[0] != "kvm" || len(caps.NUMANodes) == 0 {
		t.Errorf("vmTypes %v, numaNodes %d", caps.VMTypes, len(caps.NUMANodes))
	}
	t.Logf("kvmEnabled %s, %d machine types, cpuModel %q, %d flags (%d model_*), %d NUMA nodes",
		caps.KVMEnabled, len(caps.EmulatedMachines), caps.CPUModel, len(flags), strings.Count(caps.CPUFlags, "model_"), len(caps.NUMANodes))

	hostStats := func() map[string]any {
		res, err := c.Call("Host.getStats", nil)
		if err != nil {
			t.Fatal(err)
		}
		return decodeObject(t, res)
	}
	before := hostStats()
	ev := events(t, ta)
	g := q.create(t, c, "load", "c3c3c3c3-0000-4000-8000-000000000001", "")
	ev.wait(g.id, "Powering up")
	hs := hostStats()
	if hs["vmCount"] != before["vmCount"].(float64)+1 || hs["vmActive"] != before["vmActive"].(float64)+1 {
		t.Errorf("Host.getStats with a guest more: vmCount %v vmActive %v, before %v %v", hs["vmCount"], hs["vmActive"], before["vmCount"], before["vmActive"])
	}
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	ev.wait(g.id, "Down")
}
