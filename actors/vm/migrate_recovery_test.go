package vm

import "testing"

// The destination written into a domain's metadata is read back from the domain's XML as libvirt
// gives it (the test driver keeps metadata as the QEMU driver does), and is gone once cleared,
// the VM's own metadata untouched.
func TestMigrationDestinationInMetadata(t *testing.T) {
	h := newHarness(t)
	id := "f1000000-0000-4000-8000-000000000001"
	h.create("migdst", id)
	set := func(x string) string {
		t.Helper()
		if err := h.lv.SetMetadata(id, x, migrationMetaPrefix, migrationMetaNamespace); err != nil {
			t.Fatal(err)
		}
		dx, err := h.lv.XML(id)
		if err != nil {
			t.Fatal(err)
		}
		return dx
	}
	dst := `[fd00::2]:54321&<"x">`
	dx := set(migrationDestXML(dst))
	if got := migrationDest(dx); got != dst {
		t.Fatalf("destination read back %q, want %q, from\n%s", got, dst, dx)
	}
	dx = set("")
	if got := migrationDest(dx); got != "" {
		t.Fatalf("after clearing: %q", got)
	}
	if info, err := ParseDomainXML(dx); err != nil || info.Meta.StartTime == 0 {
		t.Fatalf("the VM's own metadata after clearing: %+v %v", info.Meta, err)
	}
	if got := migrationDest(`<domain><metadata><migration dst="elsewhere"/></metadata></domain>`); got != "" {
		t.Fatalf("an element of another namespace read as ours: %q", got)
	}
}
