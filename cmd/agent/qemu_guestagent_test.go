package main

// QEMU's guest agent against a real guest (the QEMU lane): the guest of .ci/qemu-guest.sh runs
// Debian's qemu-ga when its kernel command line says hostagent.qga=NAME, on the channel this test
// adds to testdata/qemu/guest.xml.

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/virt"
)

const agentChannelXML = `<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>`

// logBuffer keeps the agent's log, to read what the agent did when no event says it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// has reports whether a log line holds every one of parts.
func (l *logBuffer) has(parts ...string) bool {
	for _, line := range strings.Split(l.String(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// Create → the agent's channel connects → Up at once (an event, which a guest without an agent
// never gets: it turns Up silently after a minute) → the guest's hostname, address and OS in
// VM.getStats → qemu-ga stopped in the guest → the channel disconnects and what the agent said
// stays, as VDSM keeps it.
func TestQEMUGuestAgent(t *testing.T) {
	q := qemuEnv(t)
	logs := &logBuffer{}
	ta := startAgent(t, func(c *agentConfig) { c.LibvirtURI = qemuURI; c.Log = zerolog.New(logs) })
	q.hold = q.connect(t)
	ev := events(t, ta)
	c := ta.dial(t)
	id := "c0c0c0c0-0000-4000-8000-0000000000a1"
	g := q.createWithAgent(t, c, "qga", id, "hostagent.qga=qga-guest")
	ev.wait(id, "Powering up")
	up := ev.wait(id, "Up")
	if !logs.has(id, `"connected":true`, "QEMU guest agent channel") {
		t.Fatalf("Up before the agent's channel connected; the agent's log:\n%s", logs)
	}
	if apps, _ := up["appsList"].([]any); len(apps) == 0 || !strings.HasPrefix(apps[0].(string), "qemu-guest-agent-") {
		t.Fatalf("the Up event is not the agent's (appsList %v): %v", up["appsList"], up)
	}
	if !strings.Contains(g.log(t), "HOSTAGENT-GUEST: qemu-ga started") {
		t.Fatalf("Up, yet the guest did not start qemu-ga; its console:\n%s", g.log(t))
	}

	// The rest is asked right after the agent said it is there.
	var st map[string]any
	libvirtdEventually(t, 30*time.Second, "no hostname, address and OS from the guest agent", func() bool {
		st = vmStatsOf(t, c, id)
		return st["guestFQDN"] == "qga-guest" && st["guestOsInfo"] != nil && strings.Contains(jsonOf(t, st["netIfaces"]), "192.0.2.2")
	})
	checkAgentStats(t, st)

	// qemu-ga stops in the guest: its port closes and libvirt says the channel disconnected.
	lv, err := virt.Open(qemuURI)
	if err != nil {
		t.Fatal(err)
	}
	defer lv.Close()
	if out, err := lv.AgentCommand(id, `{"execute":"guest-exec","arguments":{"path":"/bin/sh","arg":["-c","kill $(pidof qemu-ga)"]}}`, 5*time.Second); err != nil {
		t.Fatalf("guest-exec kill qemu-ga: %s %v", out, err)
	}
	g.waitLog(t, "HOSTAGENT-GUEST: qemu-ga exited", 1)
	libvirtdEventually(t, 30*time.Second, "the agent did not see the channel disconnect", func() bool {
		return logs.has(id, `"connected":false`, "QEMU guest agent channel")
	})
	st = vmStatsOf(t, c, id)
	if st["status"] != "Up" {
		t.Fatalf("status %v after the guest agent went away, want Up", st["status"])
	}
	checkAgentStats(t, st)

	if _, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	ev.wait(id, "Down")
}

// checkAgentStats: what the guest agent of .ci/qemu-guest.sh's guest says, in VDSM's shapes.
func checkAgentStats(t *testing.T, st map[string]any) {
	t.Helper()
	if st["guestFQDN"] != "qga-guest" || st["guestName"] != "qga-guest" || st["guestIPs"] != "" {
		t.Errorf("guestFQDN %v guestName %v guestIPs %q", st["guestFQDN"], st["guestName"], st["guestIPs"])
	}
	var eth0 map[string]any
	ifs, _ := st["netIfaces"].([]any)
	for _, i := range ifs {
		if m, _ := i.(map[string]any); m["name"] == "eth0" {
			eth0 = m
		}
	}
	if eth0 == nil || jsonOf(t, eth0["inet"]) != `["192.0.2.2"]` || eth0["hw"] != "52:54:00:c0:c0:c0" || eth0["inet6"] == nil {
		t.Errorf("netIfaces %s: want eth0 with 192.0.2.2", jsonOf(t, st["netIfaces"]))
	}
	os, _ := st["guestOsInfo"].(map[string]any)
	if os["type"] != "linux" || os["arch"] != "x86_64" || os["distribution"] != "hostagent guest" || os["version"] != "1" || os["kernel"] == "" {
		t.Errorf("guestOsInfo %v", st["guestOsInfo"])
	}
	if tz, _ := st["guestTimezone"].(map[string]any); tz == nil || tz["zone"] == nil || tz["offset"] == nil {
		t.Errorf("guestTimezone %v", st["guestTimezone"])
	}
	// The guest mounts no disk: qemu-ga lists no file system, and VDSM sends the empty list.
	if d, ok := st["disksUsage"].([]any); !ok || len(d) != 0 {
		t.Errorf("disksUsage %v, want []", st["disksUsage"])
	}
	if n, _ := st["guestCPUCount"].(float64); n != 1 {
		t.Errorf("guestCPUCount %v, want the guest's one vCPU", st["guestCPUCount"])
	}
	t.Logf("guest agent keys: guestFQDN %v netIfaces %s guestOsInfo %v guestOs %v guestTimezone %v username %q appsList %v disksUsage %v",
		st["guestFQDN"], jsonOf(t, st["netIfaces"]), st["guestOsInfo"], st["guestOs"], st["guestTimezone"], st["username"], st["appsList"], st["disksUsage"])
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// createWithAgent is create with the guest agent's channel in the domain.
func (q *qemuLane) createWithAgent(t *testing.T, c *client.Client, name, id, cmdline string) *qemuGuest {
	t.Helper()
	return q.create(t, c, name, id, cmdline, withDevices(agentChannelXML))
}
