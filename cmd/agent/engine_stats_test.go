package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/client"
)

// allVMStats is Host.getAllVmStats as the engine polls it, by VM id.
func allVMStats(t *testing.T, c *client.Client) map[string]map[string]any {
	t.Helper()
	res, err := c.Call("Host.getAllVmStats", map[string]any{})
	if err != nil {
		t.Fatalf("Host.getAllVmStats: %v", err)
	}
	var list []map[string]any
	if err := json.Unmarshal(res, &list); err != nil {
		t.Fatalf("Host.getAllVmStats: %v in %s", err, res)
	}
	out := map[string]map[string]any{}
	for _, st := range list {
		out[st["vmId"].(string)] = st
	}
	return out
}

// What the engine reads of a running VM it built (VdsBrokerObjectsBuilder): vmType kvm, one
// displayInfo entry per graphics device with every value a string, no guest addresses before
// a guest agent reports, and a devices hash that VM.getStats and Host.getAllVmStats agree on.
func TestEngineReadsVMStats(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	const id = "3f2c9a10-6b7d-4e8f-9a0b-1c2d3e4f5a6b" // testdata/engine/q35.in.xml
	if _, err := engineCreate(c, id, engineXML(t, "q35")); err != nil {
		t.Fatalf("VM.create: %v", err)
	}
	ev.wait(id, "Powering up")
	st := allVMStats(t, c)[id]
	if st == nil {
		t.Fatal("Host.getAllVmStats has no entry for the VM")
	}
	for k, want := range map[string]any{"vmType": "kvm", "guestIPs": "", "guestFQDN": "", "kvmEnable": "true"} {
		if st[k] != want {
			t.Errorf("%s is %#v, want %#v", k, st[k], want)
		}
	}
	hash, _ := st["hash"].(string)
	if hash == "" {
		t.Errorf("no devices hash: %v", st["hash"])
	}
	if one := vmStatsOf(t, c, id); one["hash"] != hash {
		t.Errorf("VM.getStats hash %v, Host.getAllVmStats %v", one["hash"], hash)
	}
	di, _ := st["displayInfo"].([]any)
	if len(di) != 1 {
		t.Fatalf("displayInfo: %v", st["displayInfo"])
	}
	d := di[0].(map[string]any)
	if len(d) != 4 || d["type"] != "vnc" {
		t.Errorf("displayInfo[0]: %v", d)
	}
	for _, k := range []string{"port", "tlsPort", "ipAddress"} {
		if _, ok := d[k].(string); !ok {
			t.Errorf("displayInfo[0].%s is %#v, want a string", k, d[k])
		}
	}
	// libvirt's own XML is what the display is read from: the address of its first <listen>,
	// "0" when that has none.
	dom := dumpXML(t, c, id)
	g := dom[strings.Index(dom, "<graphics"):]
	g = g[:strings.Index(g, "</graphics>")]
	want := "0"
	if i := strings.Index(g, "<listen"); i >= 0 {
		l := g[i:]
		l = l[:strings.Index(l, ">")]
		if j := strings.Index(l, "address='"); j >= 0 {
			want = strings.SplitN(l[j+len("address='"):], "'", 2)[0]
		}
	}
	if d["ipAddress"] != want {
		t.Errorf("displayInfo ipAddress %v; libvirt's graphics: %s", d["ipAddress"], g)
	}
}

// The hash changes exactly when the device list does: not with the VM's state or its metadata,
// and a VM defined again with the same devices gets the same hash back.
func TestEngineHashFollowsDevices(t *testing.T) {
	ta := startAgent(t)
	ev := events(t, ta)
	c := ta.dial(t)
	const id = "3f2c9a10-6b7d-4e8f-9a0b-1c2d3e4f5a6b" // testdata/engine/q35.in.xml
	base := engineXML(t, "q35")
	extraNIC := strings.Replace(base, "</devices>",
		"<interface type='bridge'><mac address='56:6f:00:00:00:7f'/><source bridge=';vdsmdummy;'/><model type='virtio'/></interface></devices>", 1)
	if extraNIC == base {
		t.Fatal("the engine XML has no </devices>")
	}
	run := func(xml string) string {
		t.Helper()
		if _, err := engineCreate(c, id, xml); err != nil {
			t.Fatalf("VM.create: %v", err)
		}
		ev.wait(id, "Powering up")
		h, _ := vmStatsOf(t, c, id)["hash"].(string)
		if h == "" {
			t.Fatal("no hash")
		}
		return h
	}
	destroy := func() {
		t.Helper()
		if _, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
			t.Fatalf("VM.destroy: %v", err)
		}
		ev.wait(id, "Down")
	}

	first := run(base)
	if _, err := c.Call("VM.pause", map[string]any{"vmID": id}); err != nil {
		t.Fatalf("VM.pause: %v", err)
	}
	if _, err := c.Call("VM.setDestroyOnReboot", map[string]any{"vmID": id}); err != nil {
		t.Fatalf("VM.setDestroyOnReboot: %v", err)
	}
	if h := vmStatsOf(t, c, id)["hash"]; h != first {
		t.Errorf("hash %v after a pause and a metadata change, was %s", h, first)
	}
	destroy()
	if more := run(extraNIC); more == first {
		t.Errorf("hash %s unchanged by one more NIC", more)
	}
	destroy()
	if again := run(base); again != first {
		t.Errorf("hash %s for the same devices, was %s", again, first)
	}
}

// A test-driver domain (<domain type='test'>) reads as kvm: the engine knows no other type.
func TestTestDriverVMReadsAsKVM(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	id := "e5000000-0000-4000-8000-000000000301"
	createVM(t, c, "as-kvm", id)
	if st := vmStatsOf(t, c, id); st["vmType"] != "kvm" {
		t.Fatalf("vmType %v", st["vmType"])
	}
}

// Host.getStats' numbers have VDSM's types: top-level figures as VDSM's convertToStr leaves
// them, and inside numaNodeMemFree memPercent and every freePages an integer, memFree a string.
func TestHostStatsNumberTypes(t *testing.T) {
	ta := startAgent(t)
	st := decodeObject(t, ta.call(t, "Host.getStats", nil))
	for k, kind := range map[string]string{
		"cpuUser": "s", "cpuSys": "s", "cpuIdle": "s", "cpuLoad": "s", "memUsed": "s", "anonHugePages": "s",
		"elapsedTime": "s", "netConfigDirty": "s", "rxDropped": "s", "txDropped": "s",
		"memFree": "int", "swapTotal": "int", "swapFree": "int", "vmCount": "int", "vmActive": "int",
		"ksmPages": "int", "memShared": "int", "ksmCpu": "int", "ksmState": "b",
	} {
		if got := jsonKind(st[k]); got != kind {
			t.Errorf("%s is %#v (%s), want %s", k, st[k], got, kind)
		}
	}
	nodes, _ := st["numaNodeMemFree"].(map[string]any)
	if len(nodes) == 0 {
		t.Fatalf("numaNodeMemFree: %v", st["numaNodeMemFree"])
	}
	for n, v := range nodes {
		node := v.(map[string]any)
		if jsonKind(node["memFree"]) != "s" || jsonKind(node["memPercent"]) != "int" {
			t.Errorf("numaNodeMemFree.%s: %v", n, node)
		}
		pages, _ := node["hugepages"].(map[string]any)
		if len(pages) == 0 {
			t.Errorf("numaNodeMemFree.%s has no page sizes", n)
		}
		for size, p := range pages {
			if f := p.(map[string]any)["freePages"]; jsonKind(f) != "int" {
				t.Errorf("numaNodeMemFree.%s.hugepages.%s.freePages is %#v, want an integer", n, size, f)
			}
		}
	}
}

func jsonKind(v any) string {
	switch v := v.(type) {
	case string:
		return "s"
	case bool:
		return "b"
	case float64:
		if v == math.Trunc(v) {
			return "int"
		}
		return "n"
	}
	return "?"
}
