package main

// CPU and memory hotplug into a real guest, in the QEMU lane (see qemu_test.go).

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hotplugReady makes the lane's guest ready for hotplug as the engine's XML does
// (LibvirtVmXmlBuilder): vCPUs up to 2 with 1 online, room for memory in two dimm slots, and
// the NUMA cell the slots need.
func hotplugReady(x string) string {
	return strings.NewReplacer(
		"<vcpu>1</vcpu>", "<vcpu current='1'>2</vcpu><maxMemory slots='2' unit='MiB'>512</maxMemory>",
		"<features>", "<cpu><numa><cell id='0' cpus='0-1' memory='128' unit='MiB'/></numa></cpu><features>",
	).Replace(x)
}

var vcpuElement = regexp.MustCompile(`<vcpu((?: [a-z]+='[^']*')*)>(\d+)</vcpu>`)

// vcpuCurrent is the domain's online vCPU count: <vcpu current>, else (all online) its maximum.
func vcpuCurrent(domainXML string) string {
	m := vcpuElement.FindStringSubmatch(domainXML)
	if m == nil {
		return ""
	}
	if cur := regexp.MustCompile(`current='(\d+)'`).FindStringSubmatch(m[1]); cur != nil {
		return cur[1]
	}
	return m[2]
}

var guestResources = regexp.MustCompile(`HOSTAGENT-GUEST: cpus (\d+) memtotal (\d+) kB`)

// waitResources waits until the guest, after the mark, reports online CPUs and MemTotal (KiB)
// that ok accepts, and answers them.
func (g *qemuGuest) waitResources(t *testing.T, mark int, what string, ok func(cpus, memKiB int) bool) (int, int) {
	t.Helper()
	end := time.Now().Add(qemuEventLimit)
	for {
		for _, m := range guestResources.FindAllStringSubmatch(g.log(t)[mark:], -1) {
			cpus, _ := strconv.Atoi(m[1])
			mem, _ := strconv.Atoi(m[2])
			if ok(cpus, mem) {
				return cpus, mem
			}
		}
		if time.Now().After(end) {
			t.Fatalf("after %s: %s: the guest did not report %s; since the mark it has:\n%s", qemuEventLimit, g.name, what, g.log(t)[mark:])
		}
		time.Sleep(50 * time.Millisecond) // the console is a file libvirt writes: nothing to wait on
	}
}

// The engine's hotplug of a running VM's CPUs and memory, with its parameters: VM.setNumberOfCpus
// brings a second vCPU online in the guest, vcpuCount follows; a 128 MiB
// dimm plugged by VM.hotplugMemory grows the guest's MemTotal, appears in Host.dumpxmls with the
// engine's alias, changes the devices hash and the balloon's maximum, and the guaranteed memory
// goes into the metadata; VM.hotunplugMemory answers true, the guest releases the dimm, and it
// leaves Host.dumpxmls when libvirt reports it removed. Taking the vCPU away again from a paused
// guest is libvirt's time-out, code 60; the guest lets it go once it runs.
func TestQEMUHotplugCpuMemory(t *testing.T) {
	q := qemuEnv(t)
	ta := q.agent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	// With room for memory above 4 GiB the guest's kernel would set 64 MiB of its 128 aside for
	// DMA bounce buffers, which no device here needs, and not come up.
	g := q.create(t, c, "hotcpu", "c6c6c6c6-0000-4000-8000-000000000002", "swiotlb=noforce", hotplugReady)
	ev.wait(g.id, "Powering up")
	g.waitLog(t, guestUp, 1)
	_, mem0 := g.waitResources(t, 0, "one CPU", func(cpus, _ int) bool { return cpus == 1 })
	ta.SampleNow()
	st := vmStatsOf(t, c, g.id)
	if st["vcpuCount"] != "1" {
		t.Fatalf("vcpuCount %v before the plug", st["vcpuCount"])
	}
	hash0 := st["hash"]

	setCpus := func(n string) {
		t.Helper()
		at := g.mark(t)
		res, err := c.Call("VM.setNumberOfCpus", map[string]any{"vmID": g.id, "numberOfCpus": n})
		if err != nil || string(res) != "{}" {
			t.Fatalf("VM.setNumberOfCpus %s: %s %v", n, res, err)
		}
		if x := dumpxml(t, c, g.id); vcpuCurrent(x) != n {
			t.Fatalf("Host.dumpxmls after setNumberOfCpus %s:\n%s", n, x)
		}
		ta.SampleNow()
		if st := vmStatsOf(t, c, g.id); st["vcpuCount"] != n {
			t.Errorf("vcpuCount %v after setNumberOfCpus %s", st["vcpuCount"], n)
		}
		want, _ := strconv.Atoi(n)
		g.waitResources(t, at, n+" CPUs online", func(cpus, _ int) bool { return cpus == want })
		t.Logf("setNumberOfCpus %s: the guest has %d CPUs online", n, want)
	}
	setCpus("2")

	alias := "ua-d6d6d6d6-0000-4000-8000-000000000001"
	dimm := engineMemory(g.id, "d6d6d6d6-0000-4000-8000-000000000001", alias, 128, 192)
	at := g.mark(t)
	res, err := c.Call("VM.hotplugMemory", map[string]any{"vmID": g.id, "params": dimm})
	if err != nil || string(res) != "{}" {
		t.Fatalf("VM.hotplugMemory: %s %v", res, err)
	}
	x := dumpxml(t, c, g.id)
	if !strings.Contains(x, "<memory model='dimm'") || !strings.Contains(x, alias) {
		t.Fatalf("Host.dumpxmls after the plug has no dimm %s:\n%s", alias, x)
	}
	if !regexp.MustCompile(`<ovirt-vm:minGuaranteedMemoryMb type="int">192</ovirt-vm:minGuaranteedMemoryMb>`).MatchString(x) {
		t.Errorf("the guaranteed memory is not in the metadata:\n%s", x)
	}
	_, mem1 := g.waitResources(t, at, "more memory", func(_, mem int) bool { return mem > mem0 })
	t.Logf("hotplugMemory 128 MiB: the guest's MemTotal went from %d to %d kB", mem0, mem1)
	ta.SampleNow()
	st = vmStatsOf(t, c, g.id)
	hash1 := st["hash"]
	if hash1 == hash0 {
		t.Errorf("hash %v did not change with the plugged dimm", hash1)
	}
	if bi, _ := st["balloonInfo"].(map[string]any); bi == nil || bi["balloon_max"] != "262144" || bi["balloon_min"] != "196608" {
		t.Errorf("balloonInfo after the plug: %v", st["balloonInfo"])
	}

	at = g.mark(t)
	res, err = c.Call("VM.hotunplugMemory", map[string]any{"vmID": g.id, "params": dimm})
	if err != nil || string(res) != "true" {
		t.Fatalf("VM.hotunplugMemory: %s %v", res, err)
	}
	g.waitResources(t, at, "its memory back", func(_, mem int) bool { return mem == mem0 })
	libvirtdEventually(t, qemuEventLimit, "the dimm is still in Host.dumpxmls after the guest released it",
		func() bool { return !strings.Contains(dumpxml(t, c, g.id), alias) })
	ta.SampleNow()
	if st := vmStatsOf(t, c, g.id); st["hash"] == hash1 {
		t.Errorf("hash %v did not change with the unplugged dimm", st["hash"])
	}

	// Taking a vCPU away needs the guest's consent, which libvirt waits for a few seconds: a
	// paused guest cannot give it, and VDSM answers libvirt's time-out as code 60 in its words
	// (a running guest under TCG on a loaded machine may or may not answer within libvirt's
	// wait; the paused one never does). Once it runs again, it lets the vCPU go.
	if _, err := c.Call("VM.pause", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.pause: %v", err)
	}
	ev.wait(g.id, "Paused")
	at = g.mark(t)
	e := callErr(t, c, "VM.setNumberOfCpus", map[string]any{"vmID": g.id, "numberOfCpus": "1"})
	if e.Code != 60 || !strings.Contains(e.Message, "vcpu unplug request timed out") {
		t.Fatalf("VM.setNumberOfCpus 1 of a paused guest: %v", e)
	}
	if _, err := c.Call("VM.cont", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.cont: %v", err)
	}
	g.waitResources(t, at, "1 CPU online", func(cpus, _ int) bool { return cpus == 1 })
	ta.SampleNow()
	t.Logf("setNumberOfCpus 1 of the paused guest: code %d %q; running again, it has 1 CPU online; libvirt reports vcpuCount %v",
		e.Code, e.Message, vmStatsOf(t, c, g.id)["vcpuCount"])

	if _, err := c.Call("VM.destroy", map[string]any{"vmID": g.id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	ev.wait(g.id, "Down")
}
