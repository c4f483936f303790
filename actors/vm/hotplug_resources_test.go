package vm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/reply"
)

// hotplugXML is a test-driver domain ready for CPU hotplug: one vCPU online of four.
func hotplugXML(name, id string) string {
	return fmt.Sprintf(`<domain type='test'><name>%s</name><uuid>%s</uuid><memory unit='MiB'>512</memory>
<vcpu current='1'>4</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`, name, id)
}

// dumpXML is the VM's XML as Host.dumpxmls answers it.
func (h *harness) dumpXML(id string) string {
	h.t.Helper()
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &DumpXMLs{Reply: r, VMIDs: []string{id}})
	a := wait()
	var m map[string]string
	if a.Error != nil || json.Unmarshal(a.Result, &m) != nil || m[id] == "" {
		h.t.Fatalf("dumpxmls: %s %+v", a.Result, a.Error)
	}
	return m[id]
}

func wantError(t *testing.T, what string, a answer, code int, msg string) {
	t.Helper()
	if a.Error == nil || a.Error.Code != code || !strings.Contains(a.Error.Message, msg) {
		t.Errorf("%s: answered %s %+v, want code %d containing %q", what, a.Result, a.Error, code, msg)
	}
}

// VM.setNumberOfCpus on the test driver, which sets vCPUs live and in the definition: the
// answer is VDSM's empty vmList, and Host.dumpxmls shows the new count at once, in the running
// domain and in its definition. libvirt's refusals (over the maximum, none, a negative count
// that reaches libvirt unchecked, as VDSM's binding passes it) are code 60 in libvirt's words, and
// leave the count as it was.
func TestSetNumberOfCpus(t *testing.T) {
	h := newHarness(t)
	id := "5b0c6a3e-1f2d-4c5b-8a9e-0000000000c1"
	h.createXML(id, hotplugXML("cpus", id))
	set := func(n int64) answer {
		return h.verb(id, func(r *reply.Reply) any { return &SetNumberOfCpus{Reply: r, Count: n} })
	}
	for _, n := range []int64{3, 2} {
		if a := set(n); a.Error != nil || string(a.Result) != "{}" {
			t.Fatalf("setNumberOfCpus %d: %s %+v", n, a.Result, a.Error)
		}
		if x := h.dumpXML(id); !strings.Contains(x, fmt.Sprintf("current='%d'>4</vcpu>", n)) {
			t.Fatalf("after setNumberOfCpus %d, Host.dumpxmls has:\n%s", n, x)
		}
		inactive, err := h.lv.InactiveXML(id)
		if err != nil || !strings.Contains(inactive, fmt.Sprintf("current='%d'>4</vcpu>", n)) {
			t.Fatalf("after setNumberOfCpus %d the definition is (%v):\n%s", n, err, inactive)
		}
	}
	wantError(t, "5 of 4", set(5), 60, "5 > 4")
	wantError(t, "0", set(0), 60, "")
	wantError(t, "-1", set(-1), 60, "exceeds maximum")
	if x := h.dumpXML(id); !strings.Contains(x, "current='2'>4</vcpu>") {
		t.Fatalf("after the refusals Host.dumpxmls has:\n%s", x)
	}
}

// A Down VM has no domain for VDSM to talk to: setNumberOfCpus, which is no api.method, answers
// the NotConnectedError as an internal error, the memory verbs as code 100; nothing reaches
// libvirt.
func TestHotplugResourcesOfDownVM(t *testing.T) {
	h := newHarness(t)
	id := "5b0c6a3e-1f2d-4c5b-8a9e-0000000000c2"
	h.createXML(id, hotplugXML("down", id))
	if err := h.lv.Destroy(id); err != nil {
		t.Fatal(err)
	}
	h.waitStatus(id, "Down")
	notDefined := "VM '" + id + "' was not defined yet or was undefined"
	dimm := "<memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target></memory>"
	wantError(t, "setNumberOfCpus", h.verb(id, func(r *reply.Reply) any { return &SetNumberOfCpus{Reply: r, Count: 2} }), -32603, notDefined)
	wantError(t, "hotplugMemory", h.verb(id, func(r *reply.Reply) any { return &HotplugMemory{Reply: r, XML: dimm} }), 100, notDefined)
	wantError(t, "hotunplugMemory", h.verb(id, func(r *reply.Reply) any { return &HotunplugMemory{Reply: r, XML: dimm} }), 100, notDefined)
}

// The test driver cannot attach or detach a device: hotplugMemory answers code 70 and
// hotunplugMemory 85 with the VM's id, each in libvirt's words; a device VDSM cannot build from
// the engine's parameters is its KeyError or ValueError as a general exception (100). The
// domain is left as it was.
func TestHotplugMemoryRefusals(t *testing.T) {
	h := newHarness(t)
	id := "5b0c6a3e-1f2d-4c5b-8a9e-0000000000c3"
	h.createXML(id, hotplugXML("mem", id))
	before := h.dumpXML(id)
	mem := func(kv ...string) map[string]json.RawMessage {
		m := map[string]json.RawMessage{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = json.RawMessage(kv[i+1])
		}
		return m
	}
	engine := mem("size", "128", "node", "0", "alias", `"ua-dimm0"`, "type", `"memory"`, "device", `"memory"`)
	plug := func(xml string, m map[string]json.RawMessage) answer {
		return h.verb(id, func(r *reply.Reply) any { return &HotplugMemory{Reply: r, XML: xml, Memory: m} })
	}
	unplug := func(xml string, m map[string]json.RawMessage) answer {
		return h.verb(id, func(r *reply.Reply) any { return &HotunplugMemory{Reply: r, XML: xml, Memory: m} })
	}
	wantError(t, "hotplugMemory", plug("", engine), 70, "virDomainAttachDeviceFlags")
	wantError(t, "hotunplugMemory", unplug("", engine), 85,
		"Failed to hotunplug memory: {'vmId': '"+id+"', 'reason': 'this function is not supported by the connection driver: virDomainDetachDeviceFlags'}")
	wantError(t, "hotplugMemory without a size", plug("", mem("node", "0")), 100, `General Exception: ("'size'",)`)
	wantError(t, "hotplugMemory without a node", plug("", mem("size", "128")), 100, `("'node'",)`)
	wantError(t, "hotplugMemory of size abc", plug("", mem("size", `"abc"`, "node", "0")), 100, "invalid literal for int() with base 10: 'abc'")
	wantError(t, "hotunplugMemory without a device", unplug("", nil), 100, `("'memory'",)`)
	if after := h.dumpXML(id); after != before {
		t.Fatalf("the refusals changed the domain:\n%s\nto:\n%s", before, after)
	}
}

// A VM migrating out refuses the hotplug and QoS verbs as VDSM's _not_migrating guard does (51,
// with its vmId), and nothing reaches libvirt: the count stays, the migration goes on.
func TestHotplugAndPolicyRefusedWhileMigrating(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Migration.PeerTimeout = time.Minute })
	id := "5b0c6a3e-1f2d-4c5b-8a9e-0000000000c4"
	h.createXML(id, hotplugXML("migrating", id))
	dst := newPeerAgent(t)
	if a := h.verb(id, func(r *reply.Reply) any { return &Migrate{Reply: r, Dst: dst.addr()} }); a.Error != nil {
		t.Fatalf("VM.migrate: %+v", a.Error)
	}
	select {
	case <-dst.creates: // the migration is under way, held at the destination's migrationCreate
	case <-time.After(20 * time.Second):
		t.Fatal("no VM.migrationCreate")
	}
	dimm := "<memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target></memory>"
	limit := "50"
	q := int64(5000)
	want := "Command not supported during migration: {'vmId': '" + id + "'}"
	for what, msg := range map[string]func(*reply.Reply) any{
		"setNumberOfCpus": func(r *reply.Reply) any { return &SetNumberOfCpus{Reply: r, Count: 2} },
		"hotplugMemory":   func(r *reply.Reply) any { return &HotplugMemory{Reply: r, XML: dimm} },
		"hotunplugMemory": func(r *reply.Reply) any { return &HotunplugMemory{Reply: r, XML: dimm} },
		"updateVmPolicy":  func(r *reply.Reply) any { return &UpdateVMPolicy{Reply: r, VCPULimit: &limit, Given: true} },
	} {
		a := h.verb(id, msg)
		if a.Error == nil || a.Error.Code != 51 || a.Error.Message != want {
			t.Errorf("%s while migrating: %s %+v; want 51 %q", what, a.Result, a.Error, want)
		}
	}
	// setCpuTuneQuota has no guard in vm.py: it reaches libvirt (whose test driver refuses it).
	wantError(t, "setCpuTuneQuota while migrating", h.verb(id, func(r *reply.Reply) any { return &SetCPUTune{Reply: r, Quota: &q} }), 62, "vcpu_quota")
	if x := h.dumpXML(id); !strings.Contains(x, "current='1'>4</vcpu>") {
		t.Fatalf("a refused setNumberOfCpus changed the domain:\n%s", x)
	}
	dst.answerCreate() // the test driver's migration then fails: the VM stays here
	h.waitStatus(id, "Up", "Powering up")
}
