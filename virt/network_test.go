package virt

import (
	"reflect"
	"testing"
)

// A removed network is gone, defined and running; removing it again is no error.
func TestRemoveNetwork(t *testing.T) {
	c := openPrivate(t)
	if err := c.EnsureBridgeNetwork("vdsm-red", "red"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := c.RemoveNetwork("vdsm-red"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	nets, err := c.Networks()
	if err != nil {
		t.Fatal(err)
	}
	if want := []Network{{Name: "default", Bridge: "virbr0"}}; !reflect.DeepEqual(nets, want) {
		t.Fatalf("networks %+v, want %+v", nets, want)
	}
}
