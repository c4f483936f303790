package vm

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
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

	st := h.stats(id)
	ifs, _ := json.Marshal(st["netIfaces"])
	if st["guestFQDN"] != "guest.example" || st["username"] != "root" ||
		string(ifs) != `[{"hw":"52:54:00:00:00:01","inet":["192.0.2.2"],"inet6":[],"name":"eth0"}]` {
		t.Fatalf("guestFQDN %v username %v netIfaces %s", st["guestFQDN"], st["username"], ifs)
	}
	if st["guestName"] != nil || st["guestOsInfo"] != nil || st["session"] != "Unknown" {
		t.Fatalf("keys nothing carried: guestName %v guestOsInfo %v session %v", st["guestName"], st["guestOsInfo"], st["session"])
	}
}

// A source whose guest agent listed the guest's NICs passes them, with the hostname and users
// it knows (VDSM's defaults here: the test driver answers no qemu-ga command), in
// VM.migrationCreate's parameters; a VM whose agent said nothing passes none of the keys.
func TestSourcePassesGuestKeys(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Migration.PeerTimeout = time.Minute })
	for _, tc := range []struct {
		id    string
		agent bool
		want  string
	}{
		{"a9000000-0000-4000-8000-0000000000d2", false, `{}`},
		{"a9000000-0000-4000-8000-0000000000d3", true,
			`{"guestFQDN":"","netIfaces":[{"name":"testnet0","hw":"56:6f:00:00:00:01","inet":["192.168.0.1"],"inet6":[]}],"username":"Unknown"}`},
	} {
		lifecycle := make(chan string, 16)
		h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.libvirtEvent", Action: supervisor.Delay, Fired: lifecycle})
		h.createXML(tc.id, `<domain type='test'><name>src-`+tc.id[len(tc.id)-2:]+`</name><uuid>`+tc.id+`</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices><interface type='ethernet'><mac address='56:6f:00:00:00:01'/><model type='virtio'/></interface></devices></domain>`)
		for range 2 {
			<-lifecycle // DEFINED and STARTED: the actor takes events of its own run from here on
		}
		h.faults.Clear()
		if tc.agent {
			answered := make(chan string, 4)
			h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.agentAnswers", Action: supervisor.Delay, Fired: answered})
			h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: tc.id, Kind: virt.KindAgent, ID: -1, AgentConnected: true}})
			<-answered
			h.faults.Clear()
		}
		dst := newPeerAgent(t)
		if a := h.verb(tc.id, func(r *reply.Reply) any { return &Migrate{Reply: r, Dst: dst.addr()} }); a.Error != nil {
			t.Fatalf("VM.migrate: %+v", a.Error)
		}
		var params map[string]json.RawMessage
		select {
		case params = <-dst.creates:
		case <-time.After(20 * time.Second):
			t.Fatal("no VM.migrationCreate")
		}
		got := map[string]json.RawMessage{}
		for _, k := range []string{"guestFQDN", "username", "netIfaces"} {
			if v, ok := params[k]; ok {
				got[k] = v
			}
		}
		if b, _ := json.Marshal(got); string(b) != tc.want {
			t.Errorf("agent %v: guest keys passed\n got %s\nwant %s", tc.agent, b, tc.want)
		}
		if params["_srcDomXML"] == nil {
			t.Errorf("no _srcDomXML in %v", params)
		}
		dst.answerCreate() // the test driver's migration then fails: the VM stays here
		h.waitStatus(tc.id, "Up", "Powering up")
	}
}
