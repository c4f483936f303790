package vm

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/supervisor"
)

// A VM reports no devices hash until libvirt's own XML of it is read: the request's devices are
// not what libvirt runs, and an engine that sees a hash fetches the XML. The VM actor's reports
// are kept from the registry, so it has only the request when it is asked. (That the hash comes
// once libvirt's XML is read: TestEngineReadsVMStats in cmd/agent.)
func TestNoHashBeforeLibvirtXML(t *testing.T) {
	h := newHarness(t)
	id := "4a500000-0000-4000-8000-000000000001"
	h.faults.Set(supervisor.Rule{Kind: "registry", Message: "*vm.stateChanged", Action: supervisor.Drop})
	b, err := os.ReadFile("../../testdata/domains/minimal.xml")
	if err != nil {
		t.Fatal(err)
	}
	x := strings.Replace(string(b), "<uuid>a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d</uuid>", "<uuid>"+id+"</uuid>", 1)
	raw, _ := json.Marshal(x)
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &Create{Reply: r, Params: map[string]json.RawMessage{"xml": raw}})
	if a := wait(); a.Error != nil {
		t.Fatalf("create: %+v", a.Error)
	}
	if st := h.stats(id); st["status"] != "WaitForLaunch" || st["hash"] != nil {
		t.Fatalf("with only the request: status %v hash %v", st["status"], st["hash"])
	}
}
