package vm

import (
	"encoding/json"
	"testing"

	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// The test driver raises neither IO-error nor RTC-change events, so the test hands the registry
// the very message virt's callbacks produce (virt.Subscribe's handler sends libvirtEvent), and
// follows it to the engine: a disk error pauses the VM with its pause code and the failed
// disk, and an RTC change shows as timeOffset.
func TestIOErrorAndRTCChangeReachTheVM(t *testing.T) {
	h := newHarness(t)
	id := "e0000000-0000-4000-8000-000000000001"
	// A VM actor ignores events until libvirt's STARTED of its own run (events of an earlier
	// domain under the same UUID may still be on their way): the injected events must come
	// after it, as libvirt's would. DEFINED and STARTED reach the actor first.
	lifecycle := make(chan string, 16)
	h.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.libvirtEvent", Action: supervisor.Delay, Fired: lifecycle})
	h.createXML(id, `<domain type='test'><name>ioerr</name><uuid>`+id+`</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'><source file='/images/ioerr.img'/>
<target dev='vda' bus='virtio'/><alias name='ua-disk0'/></disk></devices></domain>`)

	for range 2 {
		<-lifecycle
	}
	h.faults.Clear()
	if a := h.verb(id, func(r *reply.Reply) any { return &SetDestroyOnRebootVerb{Reply: r} }); a.Error != nil {
		t.Fatal(a.Error) // taken up after both events
	}
	h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindIOError, ID: -1,
		IOError: virt.IOError{Path: "/images/ioerr.img", Alias: "ua-disk0", Action: virt.IOErrorPause, Reason: "enospc"}}})
	ev := h.waitStatus(id, "Paused")
	got, _ := json.Marshal(ev)
	if want := `{"ioerror":{"alias":"ua-disk0","name":"vda","path":"/images/ioerr.img"},"pauseCode":"ENOSPC","status":"Paused"}`; string(got) != want {
		t.Fatalf("IO error event:\n got %s\nwant %s", got, want)
	}

	h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindRTCChange, ID: -1, RTCOffset: 7200}})
	// The event goes registry → VM actor → registry. A round trip through each, in that order,
	// puts the VM actor's report ahead of the stats request.
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &List{Reply: r})
	wait()
	if a := h.verb(id, func(r *reply.Reply) any { return &SetDestroyOnRebootVerb{Reply: r} }); a.Error != nil {
		t.Fatal(a.Error)
	}
	st := h.stats(id)
	if st["timeOffset"] != "7200" || st["pauseCode"] != "ENOSPC" {
		t.Fatalf("after an RTC change: timeOffset %v, pauseCode %v", st["timeOffset"], st["pauseCode"])
	}
}
