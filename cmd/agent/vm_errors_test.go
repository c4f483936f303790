package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// Every failure a verb can meet is answered with VDSM's code, and with VDSM's message where VDSM
// has a useful one. Each row names the VDSM source (oVirt/vdsm master) it follows. The rows that
// need libvirt to fail stop the domain behind the agent's back, through a connection of the
// test's own to test:///default, while the VM actors do not hear libvirt's events (dropped by
// the fault injector): the agent then believes the VM runs, as VDSM does in the moment between
// a domain's death and its STOPPED event.
func TestVMErrorAnswers(t *testing.T) {
	hold, err := virt.Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	ta := startAgent(t, func(c *agentConfig) { c.LibvirtURI = "test:///default" })
	ev := events(t, ta)
	c := ta.dial(t)

	const (
		up      = "e1000000-0000-4000-8000-000000000001" // Up
		paused  = "e1000000-0000-4000-8000-000000000002" // Paused by VM.pause
		down    = "e1000000-0000-4000-8000-000000000003" // Down after VM.shutdown
		gone    = "e1000000-0000-4000-8000-000000000004" // stopped behind the agent's back
		unknown = "e1000000-0000-4000-8000-0000000000ff"
	)
	for _, v := range []struct{ name, id string }{{"err-up", up}, {"err-paused", paused}, {"err-down", down}, {"err-gone", gone}} {
		createVM(t, c, v.name, v.id)
		ev.wait(v.id, "Powering up", "Up")
	}
	if _, err := c.Call("VM.pause", map[string]any{"vmID": paused}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call("VM.shutdown", map[string]any{"vmID": down}); err != nil {
		t.Fatal(err)
	}
	ev.wait(down, "Down")

	fired := make(chan string, 16)
	ta.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.libvirtEvent", Action: supervisor.Drop, Fired: fired})
	if err := hold.Destroy(gone); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fired: // the STOPPED event never reaches the VM actor
	case <-time.After(20 * time.Second):
		t.Fatal("the STOPPED event of the domain stopped behind the agent's back never came")
	}

	rows := []struct {
		name   string
		method string
		params map[string]any
		code   int
		msg    string // exact, or a prefix when it ends in "…"
	}{
		// API.py VM.vm: raise exception.expected(exception.NoSuchVM(vmId=self._UUID)).
		{"destroy unknown", "VM.destroy", map[string]any{"vmID": unknown}, 1, "Virtual machine does not exist: {'vmId': '" + unknown + "'}"},
		{"pause unknown", "VM.pause", map[string]any{"vmID": unknown}, 1, "Virtual machine does not exist: {'vmId': '" + unknown + "'}"},
		{"getStats unknown", "VM.getStats", map[string]any{"vmID": unknown}, 1, "Virtual machine does not exist: {'vmId': '" + unknown + "'}"},
		// vm.py pause: dom.suspend() raises libvirtError; api.method: GeneralException(str(e)).
		{"pause libvirt error", "VM.pause", map[string]any{"vmID": paused}, 100, `General Exception: ("internal error: domain 'err-paused' not running",)`},
		// vm.py cont: dom.resume() raises libvirtError; api.method: GeneralException(str(e)).
		{"cont libvirt error", "VM.cont", map[string]any{"vmID": up}, 100, `General Exception: ("internal error: domain 'err-up' not paused",)`},
		// vm.py pause on a Down VM: virdomain.Disconnected raises NotConnectedError; api.method: 100.
		{"pause Down", "VM.pause", map[string]any{"vmID": down}, 100, `General Exception: ("VM '` + down + `' was not defined yet or was undefined",)`},
		// vm.py cont: not _can_resume() (Down) → response.error('unexpected').
		{"cont Down", "VM.cont", map[string]any{"vmID": down}, 16, "Unexpected exception"},
		// vm.py reset: lastStatus == DOWN → raise exception.NoSuchVM(), bare.
		{"reset Down", "VM.reset", map[string]any{"vmID": down}, 1, "Virtual machine does not exist"},
		// vm.py shutdown: lastStatus == DOWN → raise exception.NoSuchVM(), bare.
		{"shutdown Down", "VM.shutdown", map[string]any{"vmID": down}, 1, "Virtual machine does not exist"},
		// vm.py reset: dom.reset(0) raises libvirtError → raise exception.ResetFailed (code 90).
		{"reset libvirt error", "VM.reset", map[string]any{"vmID": gone}, 90, "Failed to reset VM.: {'reason': 'Requested operation is not valid: domain is not running'}"},
		// vm.py _destroyVmGraceful: libvirtError while lastStatus != DOWN → response.error('destroyErr').
		{"destroy libvirt error", "VM.destroy", map[string]any{"vmID": gone}, 42, "Virtual machine destroy error"},
		// rpc/Bridge.py VM_getInfo_Ret: getVMList(...)['vmList'][0] raises IndexError; yajsonrpc
		// _serveRequest: JsonRpcInternalError(str(e)), -32603. Same code, a message that says why.
		{"getInfo unknown", "VM.getInfo", map[string]any{"vmID": unknown}, -32603, "Internal JSON-RPC error: {'reason': 'Virtual machine " + unknown + " does not exist'}"},
		// API.py create: vmParams['xml'] raises KeyError before its try; api.method: 100.
		{"create without xml", "VM.create", map[string]any{"vmID": unknown, "vmParams": map[string]any{}}, 100, `General Exception: ("vmParams has no 'xml': VM.create needs the domain XML",)`},
		// API.py create: DomainDescriptor(xml) fails to parse before its try; api.method: 100.
		{"create bad xml", "VM.create", map[string]any{"vmID": unknown, "vmParams": map[string]any{"xml": "<domain"}}, 100, "General Exception: ('cannot read the domain XML in vmParams: …"},
		// API.py create: vmId already in vmContainer → raise exception.VMExists().
		{"create existing", "VM.create", map[string]any{"vmID": up, "vmParams": map[string]any{"xml": domainXML(t, "err-up", up)}}, 4, "Virtual machine already exists"},
		// API.py dumpxmls: vmContainer[vmId] raises KeyError; yajsonrpc: -32603 with str(e).
		{"dumpxmls unknown", "Host.dumpxmls", map[string]any{"vmList": []string{unknown}}, -32603, `Internal JSON-RPC error: {'reason': "'` + unknown + `'"}`},
	}
	for _, row := range rows {
		e := rpcError(t, c, row.method, row.params)
		if e.Code != row.code || !matches(e.Message, row.msg) {
			t.Errorf("%s: %s answered %d %q, want %d %q", row.name, row.method, e.Code, e.Message, row.code, row.msg)
		}
	}

	// The failed destroy left the VM listed, Powering down, for the engine to destroy again.
	if st := vmStatsOf(t, c, gone); st["status"] != "Powering down" {
		t.Errorf("after a failed destroy: %v", st["status"])
	}
	ta.faults.Clear()
}

// Host.getCapabilities that cannot read the host: API.py getCapabilities is not an api.method,
// so the exception reaches yajsonrpc _serveRequest: JsonRpcInternalError(str(e)), -32603.
func TestCapabilitiesErrorAnswer(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.Root = t.TempDir() })
	c := ta.dial(t)
	e := rpcError(t, c, "Host.getCapabilities", nil)
	if want := "Internal JSON-RPC error: {'reason': 'memory size: "; e.Code != -32603 || !strings.HasPrefix(e.Message, want) {
		t.Errorf("Host.getCapabilities on an unreadable host: %d %q, want -32603 %q…", e.Code, e.Message, want)
	}
}

func matches(got, want string) bool {
	if p, ok := strings.CutSuffix(want, "…"); ok {
		return strings.HasPrefix(got, p)
	}
	return got == want
}
