package host

import (
	"maps"
	"slices"
	"testing"
)

// No device listens for LLDP on this agent: the NICs caps report (or the devices asked for) read
// enabled false with an empty TLV list, and a device that does not exist fails the call.
func TestLldpInfo(t *testing.T) {
	all, err := lldpInfo(fixture, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	nics := readNetCaps(fixture, hostAddrs(fixture), nil).NICs
	if got, want := slices.Sorted(maps.Keys(all)), slices.Sorted(maps.Keys(nics)); !slices.Equal(got, want) || len(got) == 0 {
		t.Fatalf("devices %v, want the caps' NICs %v", got, want)
	}
	for d, i := range all {
		if i.Enabled || i.TLVs == nil || len(i.TLVs) != 0 {
			t.Errorf("%s: %+v", d, i)
		}
	}
	some, err := lldpInfo(fixture, nil, []string{"bond0", "eth2"})
	if err != nil || len(some) != 2 {
		t.Fatalf("two devices asked: %v %v", some, err)
	}
	if _, err := lldpInfo(fixture, nil, []string{"eth0", "eth9"}); err == nil {
		t.Fatal("an unknown device was answered")
	}
}
