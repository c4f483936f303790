package virt

import (
	"errors"
	"testing"
)

// testDomainUUID is the domain libvirt's test driver defines, running, in every test:///default
// connection.
const testDomainUUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"

// The Inspector sees a running persistent domain as such, removes it in both steps it needs, and
// then reports it gone as ErrNoDomain; removing it again is not an error.
func TestInspector(t *testing.T) {
	in, err := Inspect("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	d, err := in.Domain(testDomainUUID)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID == 0 || d.State != StateRunning || !d.Persistent {
		t.Fatalf("domain %+v, want a running persistent one with an id", d)
	}
	destroyed, undefined, err := in.Remove(testDomainUUID)
	if err != nil || !destroyed || !undefined {
		t.Fatalf("remove: destroyed %v undefined %v err %v, want both and no error", destroyed, undefined, err)
	}
	if _, err := in.Domain(testDomainUUID); !errors.Is(err, ErrNoDomain) {
		t.Fatalf("after remove: %v, want ErrNoDomain", err)
	}
	if destroyed, undefined, err := in.Remove(testDomainUUID); err != nil || destroyed || undefined {
		t.Fatalf("second remove: destroyed %v undefined %v err %v, want nothing to do", destroyed, undefined, err)
	}
}
