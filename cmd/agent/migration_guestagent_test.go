package main

// QEMU's guest agent across a live migration (the migration lane): the guest runs qemu-ga
// (.ci/qemu-guest.sh, hostagent.qga=NAME), and what its agent said stays known after each hop.

import (
	"strings"
	"testing"

	"github.com/hostagent/hostagent/client"
)

// A guest with qemu-ga, migrated A → B → A. Each destination reports the guest's hostname and
// addresses from its first VM.getStats after the arrival (the source passes them in
// VM.migrationCreate's parameters, as VDSM does), and then asks the agent itself (its OS info,
// which nothing carries, shows up): the channel's state came with the migration, and the
// destination read it from the domain.
func TestMigrationLaneGuestAgent(t *testing.T) {
	a, b, tmpl := migrationLane(t)
	id := client.UUID()
	name := "hostagent-qga-" + id[:8]
	fqdn := "qga-" + id[:8]
	xml := strings.NewReplacer(
		"</name>", "</name>\n  <uuid>"+id+"</uuid>",
		"quiet</cmdline>", "quiet hostagent.qga="+fqdn+"</cmdline>",
		"</devices>", agentChannelXML+"\n  </devices>",
	).Replace(strings.ReplaceAll(tmpl, "@NAME@", name))
	if !strings.Contains(xml, "hostagent.qga="+fqdn) || !strings.Contains(xml, agentChannelXML) {
		t.Fatalf("the lane's guest XML changed; no guest agent in:\n%s", xml)
	}
	createOnA(t, a, b, id, xml)
	a.waitAgent(t, id, fqdn)

	for _, hop := range [][2]*migrationHost{{a, b}, {b, a}} {
		src, dst := hop[0], hop[1]
		t.Logf("migrating %s → %s", src.name, dst.name)
		src.migrate(t, id, dst, nil)
		src.takeStatus(t, id, "Down")
		dst.takeStatus(t, id, "Up", "Powering up")
		st := vmStatsOf(t, dst.ta.dial(t), id)
		if st["guestFQDN"] != fqdn || !strings.Contains(jsonOf(t, st["netIfaces"]), `"192.0.2.2"`) {
			t.Fatalf("host %s right after the arrival: guestFQDN %v netIfaces %s, want %s and 192.0.2.2",
				dst.name, st["guestFQDN"], jsonOf(t, st["netIfaces"]), fqdn)
		}
		dst.waitAgent(t, id, fqdn)
	}
}

// waitAgent waits until h's agent reports what the guest's qemu-ga says, its OS info included:
// h asks the agent.
func (h *migrationHost) waitAgent(t *testing.T, id, fqdn string) {
	t.Helper()
	c := h.ta.dial(t)
	var st map[string]any
	libvirtdEventually(t, migrationBootLimit, "host "+h.name+": no guest agent info", func() bool {
		st = vmStatsOf(t, c, id)
		return st["guestFQDN"] == fqdn && st["guestOsInfo"] != nil && strings.Contains(jsonOf(t, st["netIfaces"]), `"192.0.2.2"`)
	})
	t.Logf("host %s: guestFQDN %v guestOsInfo %v netIfaces %s", h.name, st["guestFQDN"], st["guestOsInfo"], jsonOf(t, st["netIfaces"]))
}

// takeStatus takes h's next status event for id whose status is one of statuses; the VM's other
// status events before it are dropped (the agent's own Up event among them).
func (h *migrationHost) takeStatus(t *testing.T, id string, statuses ...string) map[string]any {
	t.Helper()
	is := func(e vmEvent) bool {
		for _, s := range statuses {
			if e.params["status"] == s {
				return true
			}
		}
		return false
	}
	return h.events.take(func(e vmEvent) bool { return e.id == id && is(e) }, func(e vmEvent) bool { return e.id == id }).params
}
