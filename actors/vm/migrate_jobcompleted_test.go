package vm

import (
	"testing"
	"time"

	"github.com/hostagent/hostagent/virt"
)

// The test driver migrates nothing, so the test hands the registry the JOB_COMPLETED events
// virt's callback produces: an outgoing migration's ends in a VM_migration_status event with
// progress 100 and libvirt's downtime_net as downtime, sent by the registry even though the VM
// (Down with "Migration succeeded" by then) is not known any more; any other job's sends nothing.
func TestMigrationJobCompletedSendsDowntime(t *testing.T) {
	h := newHarness(t)
	gone, marker, other := "f0000000-0000-4000-8000-000000000001", "f0000000-0000-4000-8000-000000000002", "f0000000-0000-4000-8000-000000000003"
	send := func(id string, j virt.JobCompleted) {
		h.sys.Root.Send(h.reg, &libvirtEvent{e: virt.Event{UUID: id, Kind: virt.KindJobCompleted, ID: -1, Job: j}})
	}
	// The test host's own domains announce themselves as they are recovered: not ours.
	next := func() statusEvent {
		for {
			select {
			case e := <-h.events:
				if e.vmID == gone || e.vmID == marker || e.vmID == other {
					return e
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no event")
			}
		}
	}
	send(gone, virt.JobCompleted{Outgoing: true, DowntimeMs: 240, HasDowntime: true, DowntimeNetMs: 231, HasDowntimeNet: true})
	if e := next(); e.vmID != gone || e.params["progress"] != float64(100) || e.params["downtime"] != float64(231) || e.params["postcopy"] != false {
		t.Fatalf("after an outgoing migration completed: %+v", e)
	}
	// Without downtime_net, VDSM's stats.get gives None and its event has no downtime.
	send(gone, virt.JobCompleted{Outgoing: true, DowntimeMs: 240, HasDowntime: true})
	if e := next(); e.vmID != gone || e.params["progress"] != float64(100) || e.params["downtime"] != nil {
		t.Fatalf("without downtime_net: %+v", e)
	}
	// A save's completion is not a migration's: nothing comes before the marker.
	send(other, virt.JobCompleted{DowntimeMs: 9, HasDowntime: true})
	send(marker, virt.JobCompleted{Outgoing: true})
	if e := next(); e.vmID != marker {
		t.Fatalf("another job's completion sent %+v", e)
	}
}
