package main

// CPU and memory hotplug over STOMP with the engine's parameters (SetNumberOfCpusVDSCommand,
// SetAmountOfMemoryVDSCommand, HotUnplugMemoryVDSCommand) on the test driver, which sets vCPUs
// but cannot attach or detach a memory device: there, VDSM's answers to libvirt's refusals. The
// QEMU lane plugs both into a real guest (qemu_hotplug_cpu_test.go).

import (
	"strings"
	"testing"
)

// engineMemory is the engine's memory parameters for a dimm of sizeMiB on NUMA node 0
// (MemoryUtils.createHotplugMemoryParamsMap).
func engineMemory(vmID, deviceID, alias string, sizeMiB, guaranteedMiB int) map[string]any {
	return map[string]any{
		"vmId": vmID,
		"memory": map[string]any{
			"type": "memory", "device": "memory", "deviceId": deviceID, "alias": alias,
			"specParams": map[string]any{"node": "0", "size": sizeMiB},
			"size":       sizeMiB, "node": 0,
		},
		"memGuaranteedSize": guaranteedMiB,
	}
}

func TestHotplugCpusAndMemory(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	id := "c6c6c6c6-0000-4000-8000-000000000001"
	x := strings.Replace(domainXML(t, "hotcpu", id), "<vcpu>1</vcpu>", "<vcpu current='1'>4</vcpu>", 1)
	if _, err := c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": x}}); err != nil {
		t.Fatalf("VM.create: %v", err)
	}
	ev.wait(id, "Powering up")

	// The engine sends the count as a string; VDSM answers the empty vmList.
	res, err := c.Call("VM.setNumberOfCpus", map[string]any{"vmID": id, "numberOfCpus": "3"})
	if err != nil || string(res) != "{}" {
		t.Fatalf("VM.setNumberOfCpus 3: %s %v", res, err)
	}
	if x := dumpxml(t, c, id); !strings.Contains(x, "current='3'>4</vcpu>") {
		t.Fatalf("Host.dumpxmls after setNumberOfCpus 3:\n%s", x)
	}

	dimm := engineMemory(id, "d1d1d1d1-0000-4000-8000-000000000001", "ua-d1d1d1d1-0000-4000-8000-000000000001", 128, 256)
	unknown := "c6c6c6c6-0000-4000-8000-0000000000ff"
	for _, tc := range []struct {
		method string
		params map[string]any
		code   int
		msg    string
	}{
		{"VM.setNumberOfCpus", map[string]any{"vmID": id, "numberOfCpus": "5"}, 60, "exceeds maximum"},
		{"VM.setNumberOfCpus", map[string]any{"vmID": id, "numberOfCpus": "two"}, -32603, "invalid literal for int() with base 10: 'two'"},
		{"VM.setNumberOfCpus", map[string]any{"vmID": id, "numberOfCpus": nil}, 11, "Missing one of required parameters: vmId, numberOfCpus"},
		{"VM.setNumberOfCpus", map[string]any{"vmID": id, "numberOfCpus": "2", "cpusets": []string{"0"}}, 91, "length of cpusets (1) must match numberOfCpus (2)"},
		{"VM.setNumberOfCpus", map[string]any{"vmID": unknown, "numberOfCpus": "2"}, 1, "Virtual machine does not exist"},
		{"VM.hotplugMemory", map[string]any{"vmID": id, "params": dimm}, 70, "virDomainAttachDeviceFlags"},
		{"VM.hotunplugMemory", map[string]any{"vmID": id, "params": dimm}, 85, "Failed to hotunplug memory: {'vmId': '" + id + "', 'reason': "},
		{"VM.hotplugMemory", map[string]any{"vmID": id, "params": map[string]any{"memory": dimm["memory"]}}, 11, "'missing': ['vmId']"},
		{"VM.hotplugMemory", map[string]any{"vmID": id, "params": map[string]any{"vmId": id}}, 100, `("'size'",)`},
		{"VM.hotunplugMemory", map[string]any{"vmID": id, "params": map[string]any{"vmId": id}}, 100, `("'memory'",)`},
		{"VM.hotplugMemory", map[string]any{"vmID": id, "params": map[string]any{"vmId": id, "xml": "<memory model='dimm'"}}, 70, ""},
		{"VM.hotplugMemory", map[string]any{"vmID": unknown, "params": engineMemory(unknown, "d", "ua-d", 128, 0)}, 1, "Virtual machine does not exist"},
	} {
		e := callErr(t, c, tc.method, tc.params)
		if e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s %v: code %d %q, want %d containing %q", tc.method, tc.params, e.Code, e.Message, tc.code, tc.msg)
		}
	}
	// None of the refusals changed the VM.
	x = dumpxml(t, c, id)
	if !strings.Contains(x, "current='3'>4</vcpu>") || strings.Contains(x, "dimm") {
		t.Fatalf("Host.dumpxmls after the refusals:\n%s", x)
	}
}
