package main

import (
	"encoding/json"
	"testing"
)

func decodeObject(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return m
}

func wantString(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k].(string); !ok {
			t.Errorf("%s = %#v, want a string (as VDSM sends it)", k, m[k])
		}
	}
}

func TestHostGetCapabilities(t *testing.T) {
	ta := startAgent(t)
	caps := decodeObject(t, ta.call(t, "Host.getCapabilities", nil))
	wantString(t, caps, "kvmEnabled", "cpuCores", "cpuThreads", "cpuSockets", "cpuSpeed", "cpuModel", "cpuFlags",
		"memSize", "reservedMem", "guestOverhead", "onlineCpus", "software_version", "software_revision",
		"version_name", "uuid", "ISCSIInitiatorName", "lastClientIface")
	if caps["lastClientIface"] != "lo" {
		t.Errorf("lastClientIface = %v, want lo for a loopback client", caps["lastClientIface"])
	}
	for _, k := range []string{"numaNodes", "networks", "nics", "bridges", "vlans", "bondings", "packages2", "operatingSystem", "selinux", "HBAInventory"} {
		if _, ok := caps[k].(map[string]any); !ok {
			t.Errorf("%s = %#v, want an object", k, caps[k])
		}
	}
	for _, k := range []string{"supportedENGINEs", "clusterLevels", "emulatedMachines", "cpuTopology", "vmTypes", "rngSources"} {
		if _, ok := caps[k].([]any); !ok {
			t.Errorf("%s = %#v, want a list", k, caps[k])
		}
	}
}

func TestHostGetStats(t *testing.T) {
	ta := startAgent(t)
	st := decodeObject(t, ta.call(t, "Host.getStats", nil))
	wantString(t, st, "cpuUser", "cpuSys", "cpuIdle", "cpuLoad", "memUsed", "elapsedTime", "dateTime", "netConfigDirty")
	for _, k := range []string{"vmCount", "vmActive", "vmMigrating", "memFree", "swapTotal", "swapFree"} {
		if _, ok := st[k].(float64); !ok {
			t.Errorf("%s = %#v, want a number", k, st[k])
		}
	}
}

func TestHostGetHardwareInfoAndMOM(t *testing.T) {
	ta := startAgent(t)
	hw := decodeObject(t, ta.call(t, "Host.getHardwareInfo", nil))
	if _, ok := hw["systemManufacturer"]; !ok {
		t.Errorf("getHardwareInfo: %v", hw)
	}
	res := ta.call(t, "Host.setMOMPolicyParameters", map[string]any{"key_value_store": map[string]any{"balloonEnabled": false, "ksmEnabled": false}})
	if string(res) != "true" {
		t.Fatalf("setMOMPolicyParameters = %s", res)
	}
	c := ta.dial(t)
	e := rpcError(t, c, "Host.setMOMPolicyParameters", nil)
	if e.Code != -32603 {
		t.Fatalf("missing key_value_store: %+v", e)
	}
}
