package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/supervisor"
)

const (
	vmWeb1 = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b" // running in testdata/host.xml
	vmDB1  = "7a2b3c4d-5e6f-4071-8b8c-9d0e1f2a3b4c" // paused
	vmOld1 = "8b3c4d5e-6f70-4182-9c9d-0e1f2a3b4c5d" // shut off
)

func domainXML(t *testing.T, name, uuid string) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/domains/minimal.xml")
	if err != nil {
		t.Fatal(err)
	}
	x := strings.Replace(string(b), "<name>minimal</name>", "<name>"+name+"</name>", 1)
	return strings.Replace(x, "<uuid>a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d</uuid>", "<uuid>"+uuid+"</uuid>", 1)
}

func vmStatsOf(t *testing.T, c *client.Client, id string) map[string]any {
	t.Helper()
	res, err := c.Call("VM.getStats", map[string]any{"vmID": id})
	if err != nil {
		t.Fatalf("VM.getStats %s: %v", id, err)
	}
	var list []map[string]any
	if err := json.Unmarshal(res, &list); err != nil || len(list) != 1 {
		t.Fatalf("VM.getStats: %s %v", res, err)
	}
	return list[0]
}

// The engine's whole VM lifecycle over STOMP: create → Up event → getStats → pause → Paused
// event → cont → Up → destroy → Down event → gone.
func TestVMLifecycle(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	id := "11111111-2222-4333-8444-555555555555"
	xml := domainXML(t, "e2e-vm", id)
	res, err := c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": xml}})
	if err != nil {
		t.Fatal(err)
	}
	created := decodeObject(t, res)
	if created["vmId"] != id || created["status"] != "WaitForLaunch" || created["xml"] != xml {
		t.Fatalf("VM.create: %v", created)
	}
	if _, ok := created["statusTime"].(string); !ok {
		t.Fatalf("statusTime: %v", created)
	}
	up := ev.wait(id, "Powering up")
	for _, k := range []string{"elapsedTime", "monitorResponse", "cpuUser", "displayInfo"} {
		if _, ok := up[k]; !ok {
			t.Errorf("Up event lacks %s: %v", k, up)
		}
	}
	st := vmStatsOf(t, c, id)
	if st["vmId"] != id || st["status"] != "Powering up" || st["monitorResponse"] != "0" || st["vmName"] != "e2e-vm" {
		t.Fatalf("VM.getStats: %v", st)
	}
	if _, err := c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"xml": xml}}); err == nil ||
		err.(*client.Error).Code != 4 || err.(*client.Error).Message != "Virtual machine already exists" {
		t.Fatalf("second VM.create: %v", err)
	}
	if res, err := c.Call("VM.pause", map[string]any{"vmID": id}); err != nil || string(res) != `{"vmList":{}}` {
		t.Fatalf("VM.pause: %s %v", res, err)
	}
	ev.wait(id, "Paused")
	if st := vmStatsOf(t, c, id); st["status"] != "Paused" {
		t.Fatalf("after pause: %v", st["status"])
	}
	if res, err := c.Call("VM.cont", map[string]any{"vmID": id}); err != nil || string(res) != `{"vmList":{}}` {
		t.Fatalf("VM.cont: %s %v", res, err)
	}
	// Within a minute of its start the guest is still reported as powering up.
	ev.wait(id, "Up", "Powering up")
	if res, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil || string(res) != "true" {
		t.Fatalf("VM.destroy: %s %v", res, err)
	}
	down := ev.wait(id, "Down")
	if down["exitReason"] != float64(6) || down["exitCode"] != float64(0) || down["exitMessage"] != "Admin shut down from the engine" {
		t.Fatalf("Down event: %v", down)
	}
	_, err = c.Call("VM.getStats", map[string]any{"vmID": id})
	if e, ok := err.(*client.Error); !ok || e.Code != 1 || e.Message != fmt.Sprintf("Virtual machine does not exist: {'vmId': '%s'}", id) {
		t.Fatalf("getStats after destroy: %v", err)
	}
}

// The embedded host's VMs are recovered at start, each with the status libvirt gives it.
func TestRecoveredVMsOfTheEmbeddedHost(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	res, err := c.Call("Host.getVMList", map[string]any{"vmList": []string{}, "onlyUUID": false})
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	json.Unmarshal(res, &list)
	status := map[string]any{}
	for _, v := range list {
		status[v["vmId"].(string)] = v["status"]
	}
	if status[vmWeb1] != "Up" || status[vmDB1] != "Paused" || status[vmOld1] != "Down" {
		t.Fatalf("recovered statuses: %v", status)
	}
	res, err = c.Call("Host.getAllVmStats", nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []map[string]any
	json.Unmarshal(res, &all)
	if len(all) != len(list) {
		t.Fatalf("getAllVmStats has %d VMs, getVMList %d", len(all), len(list))
	}
	for _, s := range all {
		if s["vmId"] == vmOld1 {
			if _, ok := s["exitCode"].(float64); !ok {
				t.Fatalf("a Down VM carries its exit code: %v", s)
			}
		}
	}
	res, err = c.Call("Host.dumpxmls", map[string]any{"vmList": []string{vmWeb1}})
	if err != nil || !strings.Contains(string(res), "web1") {
		t.Fatalf("dumpxmls: %s %v", res, err)
	}
	info, err := c.Call("VM.getInfo", map[string]any{"vmID": vmDB1})
	if err != nil || !strings.Contains(string(info), `"status":"Paused"`) {
		t.Fatalf("VM.getInfo: %s %v", info, err)
	}
	// Destroying a Down VM removes it.
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": vmOld1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call("VM.getStats", map[string]any{"vmID": vmOld1}); err == nil {
		t.Fatal("a destroyed Down VM is still listed")
	}
}

func TestUnknownVM(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	for _, verb := range []string{"VM.destroy", "VM.pause", "VM.cont", "VM.shutdown", "VM.reset", "VM.getStats"} {
		e := rpcError(t, c, verb, map[string]any{"vmID": "00000000-0000-4000-8000-000000000000"})
		if e.Code != 1 || e.Message != "Virtual machine does not exist: {'vmId': '00000000-0000-4000-8000-000000000000'}" {
			t.Errorf("%s on an unknown VM: %+v", verb, e)
		}
	}
}

// A VM actor stuck in libvirt costs that VM alone: it reports monitorResponse -1, verbs for it
// fail at once, and every other VM and every Host verb keeps answering.
func TestHungVMCostsOneVM(t *testing.T) {
	// Any turn in progress counts as stuck at once, so the test needs no clock.
	ta := startAgent(t, func(c *agentConfig) { c.StuckAfter = time.Nanosecond })
	c := ta.dial(t)
	id := "22222222-3333-4444-8555-666666666666"
	ev := events(t, ta)
	if _, err := c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"xml": domainXML(t, "hung", id)}}); err != nil {
		t.Fatal(err)
	}
	ev.wait(id, "Powering up")
	until := make(chan struct{})
	defer func() {
		if until != nil {
			close(until)
		}
	}()
	fired := make(chan string, 1)
	ta.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.Pause", Action: supervisor.Delay, Delay: time.Hour, Until: until, Fired: fired, Times: 1})
	// With every turn counting as stuck, the pause itself is refused while the VM actor is still
	// busy with the start's own turns; send it until it reaches the actor.
	var held <-chan *client.Response
	for held == nil {
		ch, err := c.Send(json.RawMessage(`"held"`), "VM.pause", map[string]any{"vmID": id})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-fired:
			held = ch
		case r := <-ch:
			if r.Error == nil || r.Error.Code != 40 {
				t.Fatalf("VM.pause: %+v", r)
			}
		}
	}
	// The VM actor's turn is now held, as a hung libvirt call would hold it.
	e := rpcError(t, c, "VM.cont", map[string]any{"vmID": id})
	if e.Code != 40 || !strings.Contains(e.Message, "has not returned") {
		t.Fatalf("verb on a stuck VM: %+v", e)
	}
	if st := vmStatsOf(t, c, id); st["monitorResponse"] != "-1" {
		t.Fatalf("stuck VM: monitorResponse %v", st["monitorResponse"])
	}
	if _, err := c.Call("Host.ping2", nil); err != nil {
		t.Fatal(err)
	}
	if st := vmStatsOf(t, c, vmWeb1); st["monitorResponse"] != "0" {
		t.Fatalf("another VM: %v", st)
	}
	close(until)
	until = nil
	if res, err := c.Wait(held); err != nil || string(res) != `{"vmList":{}}` {
		t.Fatalf("the held pause, once released: %s %v", res, err)
	}
}
