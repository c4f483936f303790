package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/virt"
)

// limitedXML is a domain as libvirt shows it once a CPU limit of 50% holds: the limit in the
// engine's ovirt-tune:qos, the bandwidth MoM's rule gives in <cputune>.
func limitedXML(t *testing.T, name, id string) string {
	t.Helper()
	x := domainXML(t, name, id)
	x = strings.Replace(x, "<memory", `<metadata><ovirt-tune:qos xmlns:ovirt-tune="http://ovirt.org/vm/tune/1.0">`+
		`<ovirt-tune:vcpuLimit>50</ovirt-tune:vcpuLimit></ovirt-tune:qos></metadata><memory`, 1)
	return strings.Replace(x, "<os>", "<cputune><period>100000</period><quota>50000</quota></cputune><os>", 1)
}

// VM.updateVmPolicy as the engine sends it (UpdateVmPolicyVDSCommand: params carry vmId again,
// the limit as a string, ioTune only when there are disk QoSes) meets VDSM's answers. The test
// driver has no vCPU bandwidth to set, so the limit is refused with libvirt's words and nothing
// is recorded: the QEMU lane (TestQEMUCPULimit) shows a limit taking hold.
func TestUpdateVmPolicy(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	id := "12121212-3434-4565-8787-909090909090"
	createVM(t, c, "policy", id)

	e := callErr(t, c, "VM.updateVmPolicy", map[string]any{"vmID": id, "params": map[string]any{"vmId": id, "vcpuLimit": "50"}})
	t.Logf("libvirt refused the limit: %d %q", e.Code, e.Message)
	if e.Code != 63 || e.Message == "" || e.Message == "Failed to update VM SLA policy" {
		t.Errorf("a limit the driver cannot set: %d %q; want 63 with libvirt's reason", e.Code, e.Message)
	}
	if st := vmStatsOf(t, c, id); st["vcpuUserLimit"] != nil || st["vcpuQuota"] != nil || st["vcpuPeriod"] != nil {
		t.Errorf("a refused limit is reported: %v %v %v", st["vcpuUserLimit"], st["vcpuQuota"], st["vcpuPeriod"])
	}

	ioTune := []any{map[string]any{"domainID": "d1", "poolID": "p1", "imageID": "i1", "volumeID": "v1",
		"maximum": map[string]any{"total_bytes_sec": 1000}, "guaranteed": map[string]any{"total_bytes_sec": 1000}}}
	tests := []struct {
		name   string
		params map[string]any
		code   int
		msg    string
	}{
		{"empty policy", map[string]any{"vmId": id}, 11, "updateVmPolicy got an empty policy."},
		{"no vmId in params (API.py deletes it)", map[string]any{"vcpuLimit": "50"}, 100, `General Exception: ("'vmId'",)`},
		{"a disk of no storage domain", map[string]any{"vmId": id, "vcpuLimit": "50", "ioTune": ioTune}, 63,
			`No such drive: '{'domainID': 'd1', 'poolID': 'p1', 'imageID': 'i1', 'volumeID': 'v1'}'`},
		{"not a percentage", map[string]any{"vmId": id, "vcpuLimit": "lots"}, 63, `vcpuLimit "lots" is not an integer percentage`},
	}
	for _, tt := range tests {
		e := callErr(t, c, "VM.updateVmPolicy", map[string]any{"vmID": id, "params": tt.params})
		if e.Code != tt.code || e.Message != tt.msg {
			t.Errorf("%s: %d %q; want %d %q", tt.name, e.Code, e.Message, tt.code, tt.msg)
		}
	}
	res, err := c.Call("VM.updateVmPolicy", map[string]any{"vmID": id, "params": map[string]any{"vmId": id, "ioTune": []any{}}})
	if err != nil || string(res) != `{"code":0,"message":"Done"}` {
		t.Errorf("an empty ioTune list: %s, %v; want Done", res, err)
	}
	unknown := "00000000-0000-4000-8000-00000000dead"
	if e := callErr(t, c, "VM.updateVmPolicy", map[string]any{"vmID": unknown, "params": map[string]any{"vmId": unknown, "vcpuLimit": "50"}}); e.Code != 1 {
		t.Errorf("unknown VM: %d %q; want 1", e.Code, e.Message)
	}

	if e := callErr(t, c, "VM.setCpuTuneQuota", map[string]any{"vmID": id, "quota": "many"}); e.Code != 62 || e.Message != "an integer is required for period" {
		t.Errorf("VM.setCpuTuneQuota of no integer: %d %q", e.Code, e.Message)
	}
	if e := callErr(t, c, "VM.setCpuTunePeriod", map[string]any{"vmID": id, "period": -5}); e.Code != 100 ||
		e.Message != `General Exception: ("can't convert negative int to unsigned",)` {
		t.Errorf("VM.setCpuTunePeriod -5 (Python's OverflowError): %d %q", e.Code, e.Message)
	}
	if e := callErr(t, c, "VM.setCpuTunePeriod", map[string]any{"vmID": id, "period": 100000}); e.Code != 62 || e.Message == "" {
		t.Errorf("VM.setCpuTunePeriod on the test driver: %d %q; want 62 with libvirt's reason", e.Code, e.Message)
	}
}

// A VM under a CPU limit is reported with VDSM's keys and types, and still is after the agent
// restarts: the limit lives in the domain's metadata, the bandwidth in its definition.
// test:///default keeps its state while any connection to it is open, so a connection held by
// the test plays the daemon.
func TestCPULimitSurvivesRestart(t *testing.T) {
	hold, err := virt.Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	withDefault := func(c *agentConfig) { c.LibvirtURI = "test:///default" }
	id := "23232323-4545-4676-8989-010101010101"
	check := func(stage string, c *client.Client) {
		t.Helper()
		st := vmStatsOf(t, c, id)
		if st["vcpuUserLimit"] != "50" || st["vcpuQuota"] != "50000" || st["vcpuPeriod"] != float64(100000) {
			t.Errorf("%s: vcpuUserLimit %#v vcpuQuota %#v vcpuPeriod %#v; want \"50\" \"50000\" 100000",
				stage, st["vcpuUserLimit"], st["vcpuQuota"], st["vcpuPeriod"])
		}
	}
	a1 := startAgent(t, withDefault)
	c := a1.dial(t)
	if _, err := c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": limitedXML(t, "limited", id)}}); err != nil {
		t.Fatal(err)
	}
	check("created", c)
	c.Close()
	if err := a1.Shutdown(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	a2 := startAgent(t, withDefault)
	c2 := a2.dial(t)
	check("recovered", c2)
	if _, err := c2.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
		t.Fatal(err)
	}
}
