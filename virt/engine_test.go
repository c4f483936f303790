package virt

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// A display network is made once, running, on its bridge; asking again (a second VM on the same
// display network) leaves it as it is.
func TestEnsureBridgeNetwork(t *testing.T) {
	c := openPrivate(t)
	for i := 0; i < 2; i++ {
		if err := c.EnsureBridgeNetwork("vdsm-ovirtmgmt", "ovirtmgmt"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	nets, err := c.Networks()
	if err != nil {
		t.Fatal(err)
	}
	want := []Network{{Name: "default", Bridge: "virbr0"}, {Name: "vdsm-ovirtmgmt", Bridge: "ovirtmgmt"}}
	if !reflect.DeepEqual(nets, want) {
		t.Fatalf("networks %+v, want %+v", nets, want)
	}
	n, err := c.lc().LookupNetworkByName("vdsm-ovirtmgmt")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Free()
	if active, _ := n.IsActive(); !active {
		t.Fatal("the display network is defined but not running")
	}
}

// The test driver cannot update a device; the refusal carries libvirt's own words.
func TestUpdateDeviceRefusedInLibvirtsWords(t *testing.T) {
	c := openPrivate(t)
	id := "5a6b7c8d-0000-4000-8000-00000000000a"
	if _, err := c.Define(fmt.Sprintf(testDomain, "upd", id, "upd", "upd")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(id, false); err != nil {
		t.Fatal(err)
	}
	err := c.UpdateDevice(id, `<graphics type='vnc' passwd='x'/>`)
	var le *Error
	if !errors.As(err, &le) || le.Message != "this function is not supported by the connection driver: virDomainUpdateDeviceFlags" {
		t.Fatalf("UpdateDevice: %v", err)
	}
	if err := c.UpdateDevice("00000000-0000-4000-8000-000000000000", "<graphics/>"); !errors.Is(err, ErrNoDomain) {
		t.Fatalf("UpdateDevice on no domain: %v", err)
	}
}

// A domain started paused on a driver that cannot start one paused is running no more.
func TestStartPausedOnTheTestDriver(t *testing.T) {
	c := openPrivate(t)
	id := "5a6b7c8d-0000-4000-8000-00000000000b"
	if _, err := c.Define(fmt.Sprintf(testDomain, "paused", id, "paused", "paused")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(id, true); err != nil {
		t.Fatal(err)
	}
	if st, _, err := c.State(id); err != nil || st != StatePaused {
		t.Fatalf("state %d %v, want paused", st, err)
	}
}
