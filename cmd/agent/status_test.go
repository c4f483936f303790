package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// agent status against a whole agent: the embedded host's VMs, the host line, the agent's
// counters from its metrics endpoint, and a request rate from the second frame on.
func TestAgentStatus(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.MetricsListen = "127.0.0.1:0" })
	host, port, _ := net.SplitHostPort(ta.addr)
	var out, errb bytes.Buffer
	code := status([]string{"--host", host, "--port", port, "--insecure", "--metrics", ta.MetricsAddr().String(),
		"--count", "2", "--interval", "1ms"}, &out, &errb)
	if code != 0 {
		t.Fatalf("agent status: %d %q %q", code, out.String(), errb.String())
	}
	frames := strings.Split(out.String(), "\nhostagent at ")
	if len(frames) != 2 {
		t.Fatalf("want two frames:\n%s", out.String())
	}
	for i, f := range frames {
		for _, want := range []string{
			"1100 (admission full) 0, deadline expired 0", "libvirt up", "host    CPU user ", "VMs 4 (2 active)",
			"web1  " + vmWeb1 + "  Up", "db1   " + vmDB1 + "  Paused",
		} {
			if !strings.Contains(f, want) {
				t.Errorf("frame %d lacks %q:\n%s", i+1, want, f)
			}
		}
	}
	if !strings.Contains(frames[0], "requests - (") || !strings.Contains(frames[1], "/s (") {
		t.Errorf("the rate is - in the first frame, a number in the second:\n%s", out.String())
	}
}

// Without an agent each frame says so, and the command fails.
func TestAgentStatusNoAgent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, free, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	var out, errb bytes.Buffer
	if code := status([]string{"--host", "127.0.0.1", "--port", free, "--insecure", "--count", "1"}, &out, &errb); code != 1 ||
		!strings.Contains(out.String(), "ERROR   no agent seems to be listening at 127.0.0.1:"+free) ||
		!strings.Contains(out.String(), "give --metrics HOST:PORT") {
		t.Fatalf("agent status without an agent: %d %q %q", code, out.String(), errb.String())
	}
}

func TestStatusRender(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	prev := &statusFrame{at: t0, metrics: map[string]float64{"hostagent_requests_total": 100}}
	cur := &statusFrame{
		at: t0.Add(2 * time.Second),
		metrics: map[string]float64{"hostagent_requests_total": 110, "hostagent_rejected_total": 3,
			"hostagent_deadline_expired_total": 1, "hostagent_libvirt_connected": 0},
		host: map[string]any{"cpuUser": "1.00", "cpuSys": "2.00", "cpuIdle": "97.00", "cpuLoad": "0.10",
			"memUsed": "5", "memFree": float64(1000), "vmCount": float64(2), "vmActive": float64(1)},
		vms: []map[string]any{
			{"vmName": "zeta", "vmId": "z", "status": "Up", "cpuUser": "1.25", "cpuSys": "0.50", "vcpuCount": "2",
				"memUsage": "40", "elapsedTime": "3700", "monitorResponse": "-1",
				"balloonInfo": map[string]any{"balloon_cur": "2097152"}},
			{"vmName": "alpha", "vmId": "a", "status": "Down", "elapsedTime": "5"},
		},
	}
	var b strings.Builder
	render(&b, "h:1", time.Second, prev, cur)
	want := `hostagent at h:1   03:04:07   every 1s (Ctrl-C quits)
agent   requests 5.0/s (110 in all), in flight 0, connections 0; 1100 (admission full) 3, deadline expired 1, stuck calls 0; libvirt DOWN
host    CPU user 1.00% sys 2.00% idle 97.00%, load 0.10; memory used 5%, free 1000 MiB; VMs 2 (1 active)

NAME   VM ID  STATUS               CPU%  VCPUS  MEMORY MiB  MEM USED%  UP
alpha  a      Down                 -     -      -           -          -
zeta   z      Up (not responding)  1.8   2      2048        40         1h01m
`
	if b.String() != want {
		t.Fatalf("render:\n%s\nwant:\n%s", b.String(), want)
	}
}
