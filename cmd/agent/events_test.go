package main

import (
	"strings"
	"testing"
)

// eventStream reads the events of one subscription to jms.queue.events. VM_status events are
// what the waits below take; VM_migration_status events are kept apart for migration's tests
// (migration).
//
// VMs change state concurrently (VM.create answers before the VM starts), so the events of two
// VMs come in either order. A wait for one VM's event therefore keeps the other VMs' events it
// reads, and the waits that follow find them there: a test never loses an event by waiting for
// another VM first.
type eventStream struct {
	t    *testing.T
	r    *raw
	kept []vmEvent // read from the wire, not yet taken by a wait, oldest first
	// migration holds the VM_migration_status events read so far, oldest first, until
	// takeMigration takes them.
	migration []vmEvent
}

type vmEvent struct {
	id     string
	params map[string]any
}

// events subscribes a raw connection to jms.queue.events; the subscription is in place (its
// RECEIPT read) when it returns.
func events(t *testing.T, ta *testAgent) *eventStream {
	t.Helper()
	r := ta.raw(t)
	r.connect()
	r.send("SUBSCRIBE\ndestination:jms.queue.events\nid:ev\nreceipt:ev\n\n\x00")
	if f := r.frame(); f.Command != "RECEIPT" {
		t.Fatalf("want RECEIPT, got %s", f.Command)
	}
	return &eventStream{t: t, r: r}
}

const migrationEventPrefix = "|virt|VM_migration_status|"

// read takes the next VM_status event off the wire (failing the test after 20 s without a
// frame), keeping the VM_migration_status events it reads on the way. Any other event fails:
// the agent sends no other kind.
func (s *eventStream) read() vmEvent {
	s.t.Helper()
	for {
		method, e := s.readAny()
		if method == "|virt|VM_status|" {
			s.t.Logf("event: VM %s %v", e.id, e.params["status"])
			return e
		}
		s.t.Logf("event: VM %s migration %v", e.id, e.params)
		s.migration = append(s.migration, e)
	}
}

// readAny reads the next event of either kind and returns its kind's method prefix.
func (s *eventStream) readAny() (string, vmEvent) {
	s.t.Helper()
	m, _ := s.r.response()
	method, _ := m["method"].(string)
	kind := "|virt|VM_status|"
	if strings.HasPrefix(method, migrationEventPrefix) {
		kind = migrationEventPrefix
	} else if !strings.HasPrefix(method, kind) {
		s.t.Fatalf("event %v", m)
	}
	id := strings.TrimPrefix(method, kind)
	params, _ := m["params"].(map[string]any)
	if _, ok := params["notify_time"].(float64); !ok {
		s.t.Fatalf("event without notify_time: %v", m)
	}
	p, ok := params[id].(map[string]any)
	if !ok {
		s.t.Fatalf("event without the VM's own entry: %v", m)
	}
	// Under -v this is the tests' progress as it happens (the QEMU lane streams it while guests
	// boot), and any failure shows the events that came before it.
	return kind, vmEvent{id: id, params: p}
}

// forgetMigration drops the VM_migration_status events kept so far. Called right after a VM's
// "Migration Source" is taken, it leaves only that migration's events to come: an earlier
// migration's were all published before the status event that ended it.
func (s *eventStream) forgetMigration() { s.migration = nil }

// takeMigration returns id's first VM_migration_status event for which match holds, kept or
// read; the migration events before it (any VM's) are dropped, VM_status events read meanwhile
// kept.
func (s *eventStream) takeMigration(id string, match func(map[string]any) bool) map[string]any {
	s.t.Helper()
	for {
		for len(s.migration) > 0 {
			e := s.migration[0]
			s.migration = s.migration[1:]
			if e.id == id && match(e.params) {
				return e.params
			}
		}
		method, e := s.readAny()
		if method == migrationEventPrefix {
			s.t.Logf("event: VM %s migration %v", e.id, e.params)
			s.migration = append(s.migration, e)
			continue
		}
		s.t.Logf("event: VM %s %v", e.id, e.params["status"])
		s.kept = append(s.kept, e)
	}
}

// take returns the first event, kept or read, for which match holds; the events before it that
// drop says nothing about are kept, those it does are dropped.
func (s *eventStream) take(match, drop func(vmEvent) bool) vmEvent {
	s.t.Helper()
	for i := 0; i < len(s.kept); i++ {
		e := s.kept[i]
		if match(e) {
			s.kept = append(s.kept[:i:i], s.kept[i+1:]...)
			return e
		}
		if drop(e) {
			s.kept = append(s.kept[:i:i], s.kept[i+1:]...)
			i--
		}
	}
	for {
		e := s.read()
		if match(e) {
			return e
		}
		if !drop(e) {
			s.kept = append(s.kept, e)
		}
	}
}

func hasStatus(p map[string]any, statuses []string) bool {
	for _, st := range statuses {
		if p["status"] == st {
			return true
		}
	}
	return false
}

// wait returns the payload of id's first event with one of the statuses. id's events before it
// (the states it passed through on the way) are dropped; other VMs' are kept.
func (s *eventStream) wait(id string, statuses ...string) map[string]any {
	s.t.Helper()
	return s.take(
		func(e vmEvent) bool { return e.id == id && hasStatus(e.params, statuses) },
		func(e vmEvent) bool { return e.id == id },
	).params
}

// noEventFor asserts that id has no event before marker's first event, and returns the marker's
// payload. The marker is an event the test causes after the point from
// which id must stay quiet (another VM's start): every VM_status event is published by one actor
// (the VM registry) through the broker, so a subscription reads them in the order they were
// published, and an event for id published before the marker's is read first. This proves silence
// by a message, not by waiting some time.
func (s *eventStream) noEventFor(id, marker string) map[string]any {
	s.t.Helper()
	return s.take(
		func(e vmEvent) bool {
			if e.id == id {
				s.t.Fatalf("event for %s, which was to stay quiet: %v", id, e.params)
			}
			return e.id == marker
		},
		func(e vmEvent) bool { return false },
	).params
}
