package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
)

// schedinfo is the guest's vCPU bandwidth as virsh reads it from libvirtd, behind the agent's
// back: the running domain's (live) or its definition's (config).
func schedinfo(t *testing.T, g *qemuGuest, which string) (quota, period string) {
	t.Helper()
	out, err := exec.Command("virsh", "-c", qemuURI, "schedinfo", g.name, "--"+which).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh schedinfo %s --%s: %v\n%s", g.name, which, err, out)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `\s*:\s*(\S+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("virsh schedinfo %s --%s has no %s:\n%s", g.name, which, name, out)
		}
		return string(m[1])
	}
	return field("vcpu_quota"), field("vcpu_period")
}

// hostCPUCount is the host's CPU count as MoM's HostCpu collector counts it.
func hostCPUCount(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	return len(regexp.MustCompile(`(?m)^processor.*:.*`).FindAll(b, -1))
}

func updatePolicy(t *testing.T, c *client.Client, id, limit string) {
	t.Helper()
	res, err := c.Call("VM.updateVmPolicy", map[string]any{"vmID": id, "params": map[string]any{"vmId": id, "vcpuLimit": limit}})
	if err != nil || string(res) != `{"code":0,"message":"Done"}` {
		t.Fatalf("VM.updateVmPolicy %s%%: %s, %v", limit, res, err)
	}
}

// The engine's VM.updateVmPolicy on a running guest limits it for real: MoM's rule gives a
// one-vCPU guest limited to 50% of an N-CPU host 50000·N µs per 100000 µs period, which libvirtd
// holds live and in the definition, the stats report with VDSM's keys, and an agent restart
// keeps. A second vCPU halves each vCPU's quota, as MoM's next cycle would; VM.setCpuTuneQuota
// changes the live quota as MoM does; 100% lifts the limit.
func TestQEMUCPULimit(t *testing.T) {
	q := qemuEnv(t)
	a1 := q.agent(t)
	ev := events(t, a1)
	c := a1.dial(t)
	g := q.create(t, c, "cpulimit", "cacacaca-0000-4000-8000-000000000001", "", hotplugReady)
	ev.wait(g.id, "Powering up")

	updatePolicy(t, c, g.id, "50")
	hostCPUs := hostCPUCount(t)
	check := func(stage string, c *client.Client, want string) {
		t.Helper()
		for _, which := range []string{"live", "config"} {
			if quota, period := schedinfo(t, g, which); quota != want || period != "100000" {
				t.Errorf("%s: libvirtd's %s vcpu_quota %s vcpu_period %s; want %s 100000", stage, which, quota, period, want)
			}
		}
		st := vmStatsOf(t, c, g.id)
		if st["vcpuUserLimit"] != "50" || st["vcpuQuota"] != want || st["vcpuPeriod"] != float64(100000) {
			t.Errorf("%s: stats vcpuUserLimit %#v vcpuQuota %#v vcpuPeriod %#v; want \"50\" %q 100000",
				stage, st["vcpuUserLimit"], st["vcpuQuota"], st["vcpuPeriod"], want)
		}
	}
	check("after VM.updateVmPolicy", c, strconv.Itoa(50000*hostCPUs))

	c.Close()
	if err := a1.Shutdown(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	a2 := q.agent(t)
	c2 := a2.dial(t)
	check("after an agent restart", c2, strconv.Itoa(50000*hostCPUs))

	if res, err := c2.Call("VM.setNumberOfCpus", map[string]any{"vmID": g.id, "numberOfCpus": "2"}); err != nil {
		t.Fatalf("VM.setNumberOfCpus 2: %s, %v", res, err)
	}
	check("with two vCPUs", c2, strconv.Itoa(50000*hostCPUs/2))

	res, err := c2.Call("VM.setCpuTuneQuota", map[string]any{"vmID": g.id, "quota": "30000"})
	if err != nil || string(res) != `{"code":0,"message":"Done"}` {
		t.Fatalf("VM.setCpuTuneQuota: %s, %v", res, err)
	}
	if quota, _ := schedinfo(t, g, "live"); quota != "30000" {
		t.Errorf("VM.setCpuTuneQuota 30000: libvirtd's live vcpu_quota %s", quota)
	}
	if st := vmStatsOf(t, c2, g.id); st["vcpuQuota"] != "30000" {
		t.Errorf("VM.setCpuTuneQuota 30000: stats vcpuQuota %#v", st["vcpuQuota"])
	}

	updatePolicy(t, c2, g.id, "100")
	quota, period := schedinfo(t, g, "live")
	t.Logf("no limit: libvirtd's live vcpu_quota %s vcpu_period %s", quota, period)
	if n, err := strconv.ParseInt(quota, 10, 64); err != nil || (n != -1 && n < 17592186044415) || period != "100000" {
		t.Errorf("a lifted limit: live vcpu_quota %s vcpu_period %s; want unlimited and 100000", quota, period)
	}
	st := vmStatsOf(t, c2, g.id)
	if q, _ := st["vcpuQuota"].(string); st["vcpuUserLimit"] != "100" || q == "30000" {
		t.Errorf("a lifted limit: stats vcpuUserLimit %#v vcpuQuota %#v", st["vcpuUserLimit"], st["vcpuQuota"])
	}
	if _, err := c2.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
}
