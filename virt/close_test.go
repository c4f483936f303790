package virt

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"libvirt.org/go/libvirt"
)

// The guest agent's poll, a migration and the registry's listing call libvirt from goroutines
// of their own, which the agent's shutdown does not wait for before it closes the connection.
// A domain handle held across Close keeps the connection alive until it is freed; a call after
// that must fail as closed, not look the domain up through the freed connection.
func TestCallsAfterCloseFail(t *testing.T) {
	c := openPrivate(t)
	uuid := "6a1f0b8e-0000-4000-8000-0000000000c1"
	if _, err := c.Define(fmt.Sprintf(testDomain, "closed", uuid, "closed", "closed")); err != nil {
		t.Fatal(err)
	}
	if err := c.withDomain("hold", uuid, func(*libvirt.Domain) error { return c.Close() }); err != nil {
		t.Fatalf("close while a domain is held: %v", err)
	}
	if _, err := c.AgentCommand(uuid, `{"execute":"guest-info"}`, time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("agent command after close: %v, want ErrClosed", err)
	}
	if _, err := c.AgentInterfaces(uuid, time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("agent interfaces after close: %v, want ErrClosed", err)
	}
	if _, err := c.Domains(); !errors.Is(err, ErrClosed) {
		t.Fatalf("list after close: %v, want ErrClosed", err)
	}
}
