package vm

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/virt"
)

// A destination whose VM.migrationCreate carries the source's guest keys (VDSM's
// migration_parameters) reports them in VM.getStats once the domain arrived (the test driver
// migrates nothing: the test hands the registry libvirt's RESUMED/migrated), before any agent of
// its own answered; the other keys are VDSM's defaults.
func TestDestinationReportsMigratedGuestKeys(t *testing.T) {
	h := newHarness(t)
	id := "a9000000-0000-4000-8000-0000000000d1"
	b, err := os.ReadFile("../../testdata/domains/minimal.xml")
	if err != nil {
		t.Fatal(err)
	}
	x := strings.Replace(strings.Replace(string(b), "<name>minimal</name>", "<name>incoming</name>", 1),
		"<uuid>a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d</uuid>", "<uuid>"+id+"</uuid>", 1)
	raw, _ := json.Marshal(x)
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &MigrationCreate{Reply: r, VMID: id, Params: map[string]json.RawMessage{
		"vmId": json.RawMessage(`"` + id + `"`), "_srcDomXML": raw,
		"guestFQDN": json.RawMessage(`"guest.example"`), "username": json.RawMessage(`"root"`),
		"netIfaces": json.RawMessage(`[{"name":"eth0","hw":"52:54:00:00:00:01","inet":["192.0.2.2"],"inet6":[]}]`),
	}})
	if a := wait(); a.Error != nil {
		t.Fatalf("VM.migrationCreate: %+v", a.Error)
	}
	h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindLifecycle, Type: virt.EventResumed, Detail: ResumedMigrated, ID: -1}})
	h.waitStatus(id, "Up", "Powering up")

	r, wait = h.reply()
	h.sys.Root.Send(h.reg, &GetStats{Reply: r, VMID: id})
	var stats []map[string]any
	if err := json.Unmarshal(wait().Result, &stats); err != nil || len(stats) != 1 {
		t.Fatalf("VM.getStats: %v", err)
	}
	st := stats[0]
	ifs, _ := json.Marshal(st["netIfaces"])
	if st["guestFQDN"] != "guest.example" || st["username"] != "root" ||
		string(ifs) != `[{"hw":"52:54:00:00:00:01","inet":["192.0.2.2"],"inet6":[],"name":"eth0"}]` {
		t.Fatalf("guestFQDN %v username %v netIfaces %s", st["guestFQDN"], st["username"], ifs)
	}
	if st["guestName"] != nil || st["guestOsInfo"] != nil || st["session"] != "Unknown" {
		t.Fatalf("keys nothing carried: guestName %v guestOsInfo %v session %v", st["guestName"], st["guestOsInfo"], st["session"])
	}
}
