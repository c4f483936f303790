package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

func createVM(t *testing.T, c *client.Client, name, id string) {
	t.Helper()
	if _, err := c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": domainXML(t, name, id)}}); err != nil {
		t.Fatalf("VM.create %s: %v", name, err)
	}
}

// VM.shutdown powers the guest off; the Down that follows carries the admin-shutdown reason,
// and a second shutdown of the Down VM is refused as VDSM refuses it.
func TestVMShutdown(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	id := "33333333-4444-4555-8666-777777777777"
	createVM(t, c, "shut", id)
	ev.wait(id, "Powering up")
	if res, err := c.Call("VM.shutdown", map[string]any{"vmID": id, "delay": "30", "message": "bye"}); err != nil || string(res) != "true" {
		t.Fatalf("VM.shutdown: %s %v", res, err)
	}
	down := ev.wait(id, "Down")
	if down["exitReason"] != float64(6) || down["exitCode"] != float64(0) {
		t.Fatalf("Down after VM.shutdown: %v", down)
	}
	e := rpcError(t, c, "VM.shutdown", map[string]any{"vmID": id})
	if e.Code != 1 || e.Message != "Virtual machine does not exist" {
		t.Fatalf("shutdown of a Down VM: %+v", e)
	}
	// Down stays listed, with its exit record, until VM.destroy.
	st := vmStatsOf(t, c, id)
	if st["status"] != "Down" || st["exitReason"] != float64(6) {
		t.Fatalf("Down VM stats: %v", st)
	}
}

// A forced shutdown ends Down with the admin-shutdown reason, reported once. (That the timer
// destroys a guest which ignores ACPI needs a real guest: the QEMU lane shows it; the test
// driver powers off on any request.)
func TestVMForcedShutdown(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	id := "44444444-5555-4666-8777-888888888888"
	createVM(t, c, "forced", id)
	ev.wait(id, "Powering up")
	if res, err := c.Call("VM.shutdown", map[string]any{"vmID": id, "force": "true", "timeout": "0", "reboot": false}); err != nil || string(res) != "true" {
		t.Fatalf("forced VM.shutdown: %s %v", res, err)
	}
	down := ev.wait(id, "Down")
	if down["exitReason"] != float64(6) {
		t.Fatalf("Down after a forced shutdown: %v", down)
	}
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
		t.Fatal(err)
	}
	// The one Down is all the engine hears: the next event on the stream is for another VM.
	other := "45444444-5555-4666-8777-888888888888"
	createVM(t, c, "other", other)
	ev.noEventFor(id, other)
}

func TestVMResetAndDestroyOnReboot(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	id := "55555555-6666-4777-8888-999999999999"
	createVM(t, c, "reset", id)
	if res, err := c.Call("VM.reset", map[string]any{"vmID": id}); err != nil || string(res) != "true" {
		t.Fatalf("VM.reset: %s %v", res, err)
	}
	if st := vmStatsOf(t, c, id); st["status"] != "RebootInProgress" {
		t.Fatalf("after reset: %v", st["status"])
	}
	if res, err := c.Call("VM.setDestroyOnReboot", map[string]any{"vmID": id}); err != nil || string(res) != "true" {
		t.Fatalf("VM.setDestroyOnReboot: %s %v", res, err)
	}
	e := rpcError(t, c, "VM.shutdown", map[string]any{"vmID": id, "timeout": "soon"})
	if e.Code != -32602 {
		t.Fatalf("bad timeout param: %+v", e)
	}
}

// Until recovery is done every request, Host.ping2 included, is answered 99.
func TestRecoveryGate(t *testing.T) {
	faults := supervisor.NewInjector(1)
	until := make(chan struct{})
	faults.Set(supervisor.Rule{Kind: "registry", Message: "*vm.Recover", Action: supervisor.Delay, Delay: time.Hour, Until: until})
	cfg := agentConfig{Listen: "127.0.0.1:0", Workers: 2, Queue: 2, SampleInterval: time.Hour, Faults: faults, Log: testLogger(t)}
	a, err := startRaw(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(10 * time.Second)
	ta := &testAgent{Agent: a, faults: faults, addr: a.Addr().String()}
	c := ta.dial(t)
	e := rpcError(t, c, "Host.ping2", nil)
	if e.Code != 99 || e.Message != "Recovering from crash or Initializing" {
		t.Fatalf("during recovery: %+v", e)
	}
	close(until)
	<-a.Ready()
	if _, err := c.Call("Host.ping2", nil); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

// Stats come from the sampler: after two samples a running VM has CPU figures and counters, and
// Host.getAllVmStats answers them without calling libvirt.
func TestVMStatsFromSamples(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	ta.SampleNow()
	ta.SampleNow()
	st := vmStatsOf(t, c, vmWeb1)
	if st["cpuActual"] != true || st["monitorResponse"] != "0" {
		t.Fatalf("after two samples: %v", st)
	}
	for _, k := range []string{"cpuUser", "cpuSys", "elapsedTime", "memUsage", "vcpuCount"} {
		if _, ok := st[k].(string); !ok {
			t.Errorf("%s = %#v, want a string", k, st[k])
		}
	}
	if _, ok := st["network"].(map[string]any); !ok {
		t.Errorf("network stats missing: %v", st)
	}
	if _, ok := st["disks"].(map[string]any); !ok {
		t.Errorf("disk stats missing: %v", st)
	}
	// A stuck bulk call must not stall getAllVmStats: hold the sampler and the answers still come.
	until := make(chan struct{})
	fired := make(chan string, 1)
	ta.faults.Set(supervisor.Rule{Kind: "sampler", Message: "*vm.SampleNow", Action: supervisor.Delay, Delay: time.Hour, Until: until, Fired: fired})
	go ta.SampleNow()
	<-fired
	if _, err := c.Call("Host.getAllVmStats", nil); err != nil {
		t.Fatal(err)
	}
	close(until)
}

// 1000 VMs defined through VM.create are all in Host.getAllVmStats, which answers them without
// waiting on libvirt.
func TestThousandVMs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ta := startAgent(t, func(c *agentConfig) { c.Workers, c.Queue = 8, 200 })
	c := ta.dial(t)
	const n = 1000
	var chans []<-chan *client.Response
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		params := map[string]any{"vmID": id, "vmParams": map[string]any{"xml": domainXML(t, "bulk"+strconv.Itoa(i), id)}}
		ch, err := c.Send(json.RawMessage(strconv.Itoa(i)), "VM.create", params)
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
		if len(chans) == 100 {
			for _, ch := range chans {
				if _, err := c.Wait(ch); err != nil {
					t.Fatal(err)
				}
			}
			chans = chans[:0]
		}
	}
	for _, ch := range chans {
		if _, err := c.Wait(ch); err != nil {
			t.Fatal(err)
		}
	}
	// Answered from the registry's read model, with no libvirt call: the sampler, the only
	// caller of libvirt's stats, is held inside a sample while the 1000 VMs are listed.
	ta.SampleNow()
	until, fired := make(chan struct{}), make(chan string, 1)
	defer close(until)
	ta.faults.Set(supervisor.Rule{Kind: "sampler", Message: "*vm.SampleNow", Action: supervisor.Delay, Delay: time.Hour, Until: until, Fired: fired})
	go ta.SampleNow()
	<-fired
	res, err := c.Call("Host.getAllVmStats", nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []map[string]any
	if err := json.Unmarshal(res, &all); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range all {
		seen[s["vmId"].(string)] = true
	}
	for i := 0; i < n; i++ {
		if id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i); !seen[id] {
			t.Fatalf("VM %s missing from getAllVmStats (%d VMs listed)", id, len(all))
		}
	}
}

// The agent restarted against the same libvirt finds its VMs as they are: nothing restarted,
// statuses from libvirt, start times from our metadata. test:///default keeps its state while
// any connection to it is open, so a connection held by the test plays the daemon.
func TestRecoveryAfterAgentRestart(t *testing.T) {
	hold, err := virt.Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	withDefault := func(c *agentConfig) { c.LibvirtURI = "test:///default" }
	a1 := startAgent(t, withDefault)
	c := a1.dial(t)
	up, paused := "66666666-7777-4888-8999-aaaaaaaaaaaa", "77777777-8888-4999-8aaa-bbbbbbbbbbbb"
	createVM(t, c, "rec-up", up)
	createVM(t, c, "rec-paused", paused)
	ta := vmStatsOf(t, c, up) // the VM actor reported: the start is done
	_ = ta
	if _, err := c.Call("VM.pause", map[string]any{"vmID": paused}); err != nil {
		t.Fatal(err)
	}
	before := vmStatsOf(t, c, up)["elapsedTime"].(string)
	c.Close()
	if err := a1.Shutdown(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	a2 := startAgent(t, withDefault)
	c2 := a2.dial(t)
	st := vmStatsOf(t, c2, up)
	if st["status"] != "Up" && st["status"] != "Powering up" {
		t.Fatalf("recovered running VM: %v", st["status"])
	}
	after, _ := strconv.Atoi(st["elapsedTime"].(string))
	if b, _ := strconv.Atoi(before); after < b {
		t.Fatalf("elapsedTime restarted: %d before, %d after", b, after)
	}
	if s := vmStatsOf(t, c2, paused)["status"]; s != "Paused" {
		t.Fatalf("recovered paused VM: %v", s)
	}
	for _, id := range []string{up, paused} {
		if _, err := c2.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
			t.Fatal(err)
		}
	}
}

// A VM actor that panics on every message is restarted until its budget is spent, then stopped:
// the VM is reported not responding, its verbs are refused, and the agent serves everything else.
func TestVMActorCrashLoop(t *testing.T) {
	// A pause sent in the moment between the actor stopping and the registry marking the VM goes
	// to a dead actor and is answered by its deadline: keep that short.
	ta := startAgent(t, func(c *agentConfig) { c.Deadline = 3 * time.Second })
	c := ta.dial(t)
	ta.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.Pause", Action: supervisor.Panic})
	for i := 0; ; i++ {
		_, err := c.Call("VM.pause", map[string]any{"vmID": vmWeb1})
		e, ok := err.(*client.Error)
		if !ok {
			t.Fatalf("pause %d: %v", i, err)
		}
		if e.Code == 40 {
			break // the supervisor gave up: the VM is marked, the verb refused at once
		}
		if e.Code != -32603 {
			t.Fatalf("pause %d on a crashing VM actor: %+v", i, e)
		}
		if i > 50 {
			t.Fatal("the crash loop never ended")
		}
	}
	if st := vmStatsOf(t, c, vmWeb1); st["monitorResponse"] != "-1" {
		t.Fatalf("a VM whose actor is gone: monitorResponse %v", st["monitorResponse"])
	}
	if st := vmStatsOf(t, c, vmDB1); st["monitorResponse"] != "0" {
		t.Fatalf("another VM: %v", st["monitorResponse"])
	}
	if _, err := c.Call("Host.ping2", nil); err != nil {
		t.Fatal(err)
	}
}

// The engine re-creates a VM with the same UUID right after it is destroyed (a restart). The new
// VM actor is a new actor: the old one's stop is not taken for the new one's death (a shared name
// once made the new VM "not responding" and refused its verbs with 40).
func TestVMRecreatedWithTheSameUUID(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	id := "56565656-6666-4777-8888-999999999999"
	for i := 0; i < 30; i++ {
		createVM(t, c, "again", id)
		if _, err := c.Call("VM.pause", map[string]any{"vmID": id}); err != nil {
			t.Fatalf("round %d: VM.pause of the re-created VM: %v; %v", i, err, vmStatsOf(t, c, id))
		}
		if _, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
			t.Fatalf("round %d: VM.destroy: %v", i, err)
		}
	}
	createVM(t, c, "again", id)
	ta.SampleNow()
	if st := vmStatsOf(t, c, id); st["monitorResponse"] != "0" {
		t.Fatalf("re-created VM: %v", st)
	}
}
