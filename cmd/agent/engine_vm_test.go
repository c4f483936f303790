package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/client"
)

func engineXML(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/engine/" + name + ".in.xml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// engineCreate sends VM.create the way the engine's CreateBrokerVDSCommand does: the VM id and a
// vmParams map holding it and the domain XML.
func engineCreate(c *client.Client, id, xml string) (json.RawMessage, error) {
	return c.Call("VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": xml}})
}

func dumpXML(t *testing.T, c *client.Client, id string) string {
	t.Helper()
	res, err := c.Call("Host.dumpxmls", map[string]any{"vmList": []string{id}})
	if err != nil {
		t.Fatalf("Host.dumpxmls: %v", err)
	}
	var m map[string]string
	if err := json.Unmarshal(res, &m); err != nil || m[id] == "" {
		t.Fatalf("Host.dumpxmls: %s %v", res, err)
	}
	return m[id]
}

// A VM exactly as the engine builds it is defined with VDSM's substitutions made, starts, and
// reads as a kvm VM with its display; the engine's metadata stays in the domain.
func TestEngineBuiltVMStarts(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	const id = "3f2c9a10-6b7d-4e8f-9a0b-1c2d3e4f5a6b" // testdata/engine/q35.in.xml
	xml := engineXML(t, "q35")
	res, err := engineCreate(c, id, xml)
	if err != nil {
		t.Fatalf("VM.create: %v", err)
	}
	created := decodeObject(t, res)
	if created["vmId"] != id || created["status"] != "WaitForLaunch" || created["xml"] != xml {
		t.Fatalf("VM.create answered %v", created)
	}
	ev.wait(id, "Powering up")

	caps := decodeObject(t, ta.call(t, "Host.getCapabilities", nil))
	hostUUID, _ := caps["uuid"].(string)
	osName := caps["operatingSystem"].(map[string]any)["name"].(string)
	dom := dumpXML(t, c, id)
	for _, want := range []string{
		"<entry name='product'>" + osName + "</entry>",
		"<entry name='serial'>" + hostUUID + "</entry>",
		// The display network the XML names was made on the host's ovirtmgmt bridge.
		"<listen type='network' network='vdsm-ovirtmgmt'/>",
		"<source bridge=';vdsmdummy;'/>",
		"<ovirt-vm:clusterVersion>4.7</ovirt-vm:clusterVersion>",
		"<ovirt-vm:launchPaused>false</ovirt-vm:launchPaused>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("libvirt's domain XML lacks %s", want)
		}
	}
	if hostUUID == "" || strings.Contains(dom, "OS-NAME:") || strings.Contains(dom, "HOST-SERIAL:") {
		t.Errorf("placeholders left (host uuid %q):\n%s", hostUUID, dom)
	}

	st := vmStatsOf(t, c, id)
	if st["vmType"] != "kvm" || st["vmName"] != "engine-q35" || st["status"] != "Powering up" {
		t.Fatalf("VM.getStats: %v", st)
	}
	di, _ := st["displayInfo"].([]any)
	if len(di) != 1 || di[0].(map[string]any)["type"] != "vnc" {
		t.Fatalf("displayInfo: %v", st["displayInfo"])
	}

	if res, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil || string(res) != "true" {
		t.Fatalf("VM.destroy: %s %v", res, err)
	}
	ev.wait(id, "Down")
}

// launchPaused in the engine's metadata starts the VM with its CPUs stopped, reported Paused;
// the run-once XML's on_reboot is the agent's to honour, not libvirt's.
func TestEngineLaunchPaused(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	const id = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" // testdata/engine/volatile.in.xml
	if _, err := engineCreate(c, id, engineXML(t, "volatile")); err != nil {
		t.Fatalf("VM.create: %v", err)
	}
	ev.wait(id, "Paused")
	if st := vmStatsOf(t, c, id); st["status"] != "Paused" {
		t.Fatalf("a VM launched paused reads %v", st["status"])
	}
	dom := dumpXML(t, c, id)
	if strings.Contains(dom, "<on_reboot>destroy</on_reboot>") || !strings.Contains(dom, "destroyOnReboot>true<") {
		t.Fatalf("destroy-on-reboot should be the agent's metadata, not libvirt's on_reboot:\n%s", dom)
	}
	if res, err := c.Call("VM.cont", map[string]any{"vmID": id}); err != nil || string(res) != `{"vmList":{}}` {
		t.Fatalf("VM.cont: %s %v", res, err)
	}
	ev.wait(id, "Up", "Powering up")
}

// VDSM refuses a VNC display without a password unless SASL is configured; so does the agent,
// with VDSM's answer, and nothing is defined.
func TestEngineInsecureVNCRefused(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	const id = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f" // testdata/engine/ppc64le.in.xml
	_, err := engineCreate(c, id, engineXML(t, "ppc64le"))
	if e, ok := err.(*client.Error); !ok || e.Code != 9 || e.Message != "Error creating the requested VM" {
		t.Fatalf("VM.create with an insecure VNC: %v", err)
	}
	if _, err := c.Call("VM.getStats", map[string]any{"vmID": id}); err == nil {
		t.Fatal("a refused VM is listed")
	}
}

// The console verbs as the engine's SetVmTicketVDSCommand sends them. The test driver has no
// device update, so the ticket itself is refused in libvirt's words, as VDSM passes them on; every
// check VDSM makes before it reaches libvirt answers with VDSM's code and message. Only a QEMU
// guest can show the password taking effect.
func TestEngineConsoleTicket(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	const id = "3f2c9a10-6b7d-4e8f-9a0b-1c2d3e4f5a6b"
	if _, err := engineCreate(c, id, engineXML(t, "q35")); err != nil {
		t.Fatalf("VM.create: %v", err)
	}
	ev.wait(id, "Powering up")

	graphics := func(change func(map[string]any)) map[string]any {
		p := map[string]any{
			"deviceType": "graphics", "graphicsType": "vnc", "password": "s3cret", "ttl": 120,
			"existingConnAction": "keep", "disconnectAction": "LOCK_SCREEN", "consoleDisconnectActionDelay": 0,
			"params": map[string]any{"fips": "false"},
		}
		change(p)
		return map[string]any{"vmID": id, "params": p}
	}
	noUpdate := "General Exception: ('this function is not supported by the connection driver: virDomainUpdateDeviceFlags',)"
	for _, tc := range []struct {
		name, method string
		params       map[string]any
		code         int
		message      string
	}{
		{"updateDevice reaches libvirt", "VM.updateDevice", graphics(func(map[string]any) {}), 100, noUpdate},
		{"setTicket reaches libvirt", "VM.setTicket", map[string]any{"vmID": id, "password": "s3cret", "ttl": 120, "existingConnAction": "disconnect", "params": map[string]any{}}, 100, noUpdate},
		{"no device of that type", "VM.updateDevice", graphics(func(p map[string]any) { p["graphicsType"] = "spice" }), 56, "Failed to update device"},
		{"no password", "VM.updateDevice", graphics(func(p map[string]any) { delete(p, "password") }), 100, `General Exception: ("'password'",)`},
		{"fips neither true nor false", "VM.updateDevice", graphics(func(p map[string]any) { p["params"] = map[string]any{"fips": "yes"} }),
			11, `Missing required parameter: {'reason': 'fips param should either be "true", "false" or non-existent'}`},
		{"fips without a user", "VM.updateDevice", graphics(func(p map[string]any) { p["params"] = map[string]any{"fips": "true"} }),
			100, "General Exception: ('FIPS mode requires vncUsername',)"},
		{"no device type", "VM.updateDevice", map[string]any{"vmID": id, "params": map[string]any{"password": "s3cret"}},
			11, "Missing required parameter: {'missing': ['deviceType'], 'params': {'password': '********'}}"},
		{"a NIC of no such alias", "VM.updateDevice", map[string]any{"vmID": id, "params": map[string]any{"deviceType": "interface", "alias": "ua-x"}}, 56, "Failed to update device"},
		{"graphics by XML", "VM.updateDevice", map[string]any{"vmID": id, "params": map[string]any{"deviceType": "graphics", "xml": "<graphics/>"}}, 44, "Not implemented"},
		{"a NIC by XML of no such alias", "VM.updateDevice", map[string]any{"vmID": id, "params": map[string]any{"deviceType": "interface",
			"xml": `<hotplug><devices><interface type="bridge"><alias name="ua-x"/><mac address="56:6f:00:00:00:99"/></interface></devices></hotplug>`}}, 56, "Failed to update device"},
		{"a NIC by XML without a device", "VM.updateDevice", map[string]any{"vmID": id, "params": map[string]any{"deviceType": "interface", "xml": "<interface/>"}},
			100, `General Exception: ('no device in the XML',)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Call(tc.method, tc.params)
			if e, ok := err.(*client.Error); !ok || e.Code != tc.code || e.Message != tc.message {
				t.Fatalf("%s: %v, want %d %s", tc.method, err, tc.code, tc.message)
			}
		})
	}
	if st := vmStatsOf(t, c, id); st["status"] != "Powering up" {
		t.Fatalf("a refused ticket changed the VM: %v", st["status"])
	}
}
