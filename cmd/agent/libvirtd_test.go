package main

// Tests that need a real libvirt daemon: Debian's libvirtd, run unprivileged by the libvirtd lane
// (`go tool task test:libvirtd`, .ci/libvirtd-lane.sh), serving libvirt's test driver on a unix
// socket. The lane sets HOSTAGENT_TEST_LIBVIRT_URI (test+unix:///default?socket=...) and
// HOSTAGENT_TEST_LIBVIRTD_PID (the daemon, so a test can freeze it).
//
// Without the URI these tests skip, also under CI=true: `go test ./...` (test:unit, test:race) has
// no daemon, and the libvirtd lane, which runs these tests with the URI set, never skips in CI.

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/virt"
)

// libvirtdURI is the daemon's URI, or skips the test when no daemon is given.
func libvirtdURI(t *testing.T) string {
	t.Helper()
	uri := os.Getenv("HOSTAGENT_TEST_LIBVIRT_URI")
	if uri == "" {
		t.Skip("needs a libvirt daemon: HOSTAGENT_TEST_LIBVIRT_URI is unset (go tool task test:libvirtd runs this test)")
	}
	return uri
}

// libvirtdHold opens a connection of the test's own to the daemon and keeps it open until the test
// ends. libvirtd's test:///default is one shared host only while some client is connected to it:
// once the last connection closes, the daemon throws its state away. The agent's connection
// comes and goes in these tests (an agent restart, a keepalive timeout), so the test holds one.
//
// The connection has no keepalive (it is opened with libvirt's plain NewConnect, never
// SetKeepAlive), so it survives a frozen daemon. Open it after an agent has started: the agent
// registers libvirt's event loop, which must come before the first remote connection that wants
// keepalive.
func libvirtdHold(t *testing.T, uri string) *virt.Inspector {
	t.Helper()
	hold, err := virt.Inspect(uri)
	if err != nil {
		t.Fatalf("libvirtd: %v", err)
	}
	t.Cleanup(func() { hold.Close() })
	return hold
}

// libvirtdDomain is how libvirt, seen through the test's own connection, has the domain: its id
// (a new one each time the domain boots) and its state.
func libvirtdDomain(t *testing.T, hold *virt.Inspector, uuid string) (uint, int) {
	t.Helper()
	d, err := hold.Domain(uuid)
	if err != nil {
		t.Fatalf("libvirtd: %v", err)
	}
	return d.ID, d.State
}

// libvirtdElapsed reads VM.getStats' elapsedTime, in seconds.
func libvirtdElapsed(t *testing.T, c *client.Client, id string) int {
	t.Helper()
	s, _ := vmStatsOf(t, c, id)["elapsedTime"].(string)
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("elapsedTime of %s: %q", id, s)
	}
	return n
}

// libvirtdEventually polls cond every 50 ms until it holds, failing the test with what after limit.
func libvirtdEventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("after %s: %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The lane's readiness check: the daemon answers a libvirt client within 30 s. The lane runs it
// alone first, so that a daemon that does not come up is reported as such, not as failures of
// the tests that follow.
func TestLibvirtdAnswers(t *testing.T) {
	uri := libvirtdURI(t)
	const limit = 30 * time.Second
	end := time.Now().Add(limit)
	var last error
	for time.Now().Before(end) {
		done := make(chan error, 1)
		go func() {
			// A daemon that accepted but does not answer blocks the open: bound it from outside.
			c, err := virt.Open(uri)
			if err == nil {
				c.Close()
			}
			done <- err
		}()
		select {
		case last = <-done:
			if last == nil {
				return
			}
		case <-time.After(time.Until(end)):
			last = errors.New("the connection attempt did not return")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("libvirtd at %s did not answer within %s: %v", uri, limit, last)
}

// The agent restarted against a real daemon finds its VMs as the daemon has them: the running one
// still running, the paused one paused, neither restarted (the daemon gives each the same domain
// id, and elapsedTime carries on from the start time kept in the domain's metadata). Unlike the
// embedded host, here the agent's libvirt connection is a socket to another process, which the
// old agent closes and the new one opens: everything the new agent knows it reads back through
// libvirt's remote protocol.
func TestLibvirtdRecoveryAfterAgentRestart(t *testing.T) {
	uri := libvirtdURI(t)
	a1 := startAgent(t)
	hold := libvirtdHold(t, uri)
	c := a1.dial(t)
	ev := events(t, a1)
	up, paused := "a1a1a1a1-0000-4000-8000-000000000001", "a1a1a1a1-0000-4000-8000-000000000002"
	createVM(t, c, "libvirtd-rec-up", up)
	createVM(t, c, "libvirtd-rec-paused", paused)
	// The two start concurrently, so their events come in either order: the stream keeps the one
	// it does not wait for yet.
	ev.wait(up, "Powering up")
	ev.wait(paused, "Powering up")
	if _, err := c.Call("VM.pause", map[string]any{"vmID": paused}); err != nil {
		t.Fatal(err)
	}
	ev.wait(paused, "Paused")
	// A second gone by, so that a clock restarted by the new agent would show.
	libvirtdEventually(t, 5*time.Second, "elapsedTime did not reach 1 s", func() bool { return libvirtdElapsed(t, c, up) >= 1 })
	before := libvirtdElapsed(t, c, up)
	upID, upState := libvirtdDomain(t, hold, up)
	pausedID, pausedState := libvirtdDomain(t, hold, paused)
	if upState != virt.StateRunning || pausedState != virt.StatePaused {
		t.Fatalf("libvirtd has the VMs in states %d and %d, want running and paused", upState, pausedState)
	}
	c.Close()
	if err := a1.Shutdown(10 * time.Second); err != nil {
		t.Fatal(err)
	}

	a2 := startAgent(t)
	c2 := a2.dial(t)
	if s := vmStatsOf(t, c2, up)["status"]; s != "Up" && s != "Powering up" {
		t.Fatalf("recovered running VM: status %v", s)
	}
	if s := vmStatsOf(t, c2, paused)["status"]; s != "Paused" {
		t.Fatalf("recovered paused VM: status %v", s)
	}
	if after := libvirtdElapsed(t, c2, up); after < before {
		t.Fatalf("elapsedTime restarted: %d s before the agent restart, %d s after", before, after)
	}
	if id, st := libvirtdDomain(t, hold, up); id != upID || st != virt.StateRunning {
		t.Fatalf("running VM after recovery: domain id %d (was %d), state %d", id, upID, st)
	}
	if id, st := libvirtdDomain(t, hold, paused); id != pausedID || st != virt.StatePaused {
		t.Fatalf("paused VM after recovery: domain id %d (was %d), state %d", id, pausedID, st)
	}
	// The recovered VMs are the new agent's to drive.
	ev2 := events(t, a2)
	if _, err := c2.Call("VM.cont", map[string]any{"vmID": paused}); err != nil {
		t.Fatal(err)
	}
	ev2.wait(paused, "Up", "Powering up")
	for _, id := range []string{up, paused} {
		if _, err := c2.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
			t.Fatalf("VM.destroy %s: %v", id, err)
		}
		ev2.wait(id, "Down")
	}
}

// A daemon that stops answering (frozen with SIGSTOP, as a hung libvirtd would be) is found out by
// the agent's keepalive: its VMs report monitorResponse -1 and VM verbs fail at once, while Host
// verbs go on answering. Once the daemon answers again the agent reconnects by itself, resyncs,
// and its VMs are as before (same domain, not restarted) and answer verbs again. Only a real
// daemon can hang like this: the embedded test driver lives in the agent's own process.
func TestLibvirtdHungDaemon(t *testing.T) {
	uri := libvirtdURI(t)
	pid, err := strconv.Atoi(os.Getenv("HOSTAGENT_TEST_LIBVIRTD_PID"))
	if err != nil || pid <= 1 {
		t.Skip("needs HOSTAGENT_TEST_LIBVIRTD_PID, the daemon's process id (go tool task test:libvirtd sets it)")
	}
	ta := startAgent(t)
	hold := libvirtdHold(t, uri)
	c := ta.dial(t)
	ev := events(t, ta)
	id := "b2b2b2b2-0000-4000-8000-000000000001"
	createVM(t, c, "libvirtd-hung", id)
	ev.wait(id, "Powering up")
	domID, _ := libvirtdDomain(t, hold, id)

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("freeze libvirtd (pid %d): %v", pid, err)
	}
	frozen := true
	thaw := func() {
		if frozen {
			frozen = false
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("thaw libvirtd (pid %d): %v", pid, err)
			}
		}
	}
	defer thaw()
	// Keepalive: 2 s interval, 2 probes; the agent gives up on the daemon after about 6 s.
	libvirtdEventually(t, 20*time.Second, "the agent did not notice the frozen daemon", func() bool {
		return vmStatsOf(t, c, id)["monitorResponse"] == "-1"
	})
	if res, err := c.Call("Host.ping2", nil); err != nil || string(res) != "true" {
		t.Fatalf("Host.ping2 with libvirtd frozen: %s %v", res, err)
	}
	start := time.Now()
	e := rpcError(t, c, "VM.pause", map[string]any{"vmID": id})
	if e.Code != 40 {
		t.Fatalf("VM.pause with libvirtd frozen: %+v", e)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("VM.pause with libvirtd frozen took %s: it must fail at once", d)
	}

	thaw()
	libvirtdEventually(t, 30*time.Second, "the agent did not reconnect to the thawed daemon", func() bool {
		return vmStatsOf(t, c, id)["monitorResponse"] == "0"
	})
	if s := vmStatsOf(t, c, id)["status"]; s != "Up" && s != "Powering up" {
		t.Fatalf("VM after the reconnect: status %v", s)
	}
	if got, st := libvirtdDomain(t, hold, id); got != domID || st != virt.StateRunning {
		t.Fatalf("VM after the reconnect: domain id %d (was %d), state %d", got, domID, st)
	}
	// Events flow again: they were registered anew on the new connection.
	if _, err := c.Call("VM.pause", map[string]any{"vmID": id}); err != nil {
		t.Fatalf("VM.pause after the reconnect: %v", err)
	}
	ev.wait(id, "Paused")
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	ev.wait(id, "Down")
}
