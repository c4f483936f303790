package vm

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// The agent's channel connects (the test driver raises no agent event: the test hands the
// registry the message virt's callback makes): the VM actor asks the agent, off its turn, and
// what the test driver can answer — the guest's addresses through InterfaceAddresses — shows in
// VM.getStats in VDSM's shape. The test driver has no qemu-ga commands: guest-info fails, so the
// agent is not known up and the VM stays Powering up.
func TestAgentChannelConnectedReportsAddresses(t *testing.T) {
	h := newHarness(t)
	id := "a9000000-0000-4000-8000-000000000001"
	lifecycle := make(chan string, 16)
	h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.libvirtEvent", Action: supervisor.Delay, Fired: lifecycle})
	h.createXML(id, `<domain type='test'><name>qga</name><uuid>`+id+`</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices><interface type='ethernet'><mac address='56:6f:00:00:00:01'/><model type='virtio'/></interface></devices></domain>`)
	for range 2 {
		<-lifecycle // DEFINED and STARTED: the actor takes events of its own run from here on
	}
	h.faults.Clear()

	answered := make(chan string, 4)
	h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.agentAnswers", Action: supervisor.Delay, Fired: answered})
	h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindAgent, ID: -1, AgentConnected: true}})
	select {
	case <-answered:
	case <-time.After(20 * time.Second):
		t.Fatal("the agent was not asked")
	}
	h.faults.Clear()
	// The answers' turn reports to the registry before the next verb's turn; a round trip through
	// the registry then puts that report ahead of the stats request.
	if a := h.verb(id, func(r *reply.Reply) any { return &SetDestroyOnRebootVerb{Reply: r} }); a.Error != nil {
		t.Fatal(a.Error)
	}
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &List{Reply: r})
	wait()
	st := h.stats(id)
	got, _ := json.Marshal(st["netIfaces"])
	if want := `[{"hw":"56:6f:00:00:00:01","inet":["192.168.0.1"],"inet6":[],"name":"testnet0"}]`; string(got) != want {
		t.Fatalf("netIfaces\n got %s\nwant %s", got, want)
	}
	if st["guestIPs"] != "" || st["status"] != "Powering up" || st["username"] != "Unknown" || st["guestOsInfo"] != nil {
		t.Fatalf("guestIPs %q status %v username %v guestOsInfo %v", st["guestIPs"], st["status"], st["username"], st["guestOsInfo"])
	}
}

// A VM found running at start has its agent's channel state in libvirt's live XML only (the
// connect event came before the agent was there). The test driver keeps no channel state, so
// this reads libvirt's XML as QEMU's driver writes it.
func TestAgentConnectedInLiveXML(t *testing.T) {
	for _, tc := range []struct {
		xml  string
		want bool
	}{
		{`<domain><devices><channel type='unix'><source mode='bind' path='/run/x'/><target type='virtio' name='org.qemu.guest_agent.0' state='connected'/><alias name='channel0'/></channel></devices></domain>`, true},
		{`<domain><devices><channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/></channel></devices></domain>`, false},
		{`<domain><devices><channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel></devices></domain>`, false},
		{`<domain><devices><channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0' state='connected'/></channel></devices></domain>`, false},
		{`not xml`, false},
	} {
		if got := agentConnectedIn(tc.xml); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.xml, got, tc.want)
		}
	}
}
