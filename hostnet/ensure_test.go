package hostnet

import (
	"net"
	"testing"
)

// VDSM's dummy bridge, made on demand in a namespace of the test's own: created once, with no
// ports and down; asked again it is left as it is; a link of another type by that name is refused.
func TestEnsureBridgeInNamespace(t *testing.T) {
	h := testNamespace(t)
	const name = ";vdsmdummy;"
	created, err := h.EnsureBridge(name)
	if err != nil || !created {
		t.Fatalf("EnsureBridge: created %v, %v", created, err)
	}
	l, err := h.nl.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if l.Type() != "bridge" || l.Attrs().Flags&net.FlagUp != 0 {
		t.Fatalf("%s: type %s, flags %v; want a bridge, down", name, l.Type(), l.Attrs().Flags)
	}
	for _, other := range read(t, h).Links {
		if other.Master == name {
			t.Fatalf("%s has a port: %s", name, other.Name)
		}
	}
	created, err = h.EnsureBridge(name)
	if err != nil || created {
		t.Fatalf("EnsureBridge on the existing bridge: created %v, %v", created, err)
	}
	if l2, err := h.nl.LinkByName(name); err != nil || l2.Attrs().Index != l.Attrs().Index {
		t.Fatalf("the bridge was replaced: %v %v", l2, err)
	}
	if created, err := h.EnsureBridge("veth_nic1"); err == nil || created {
		t.Fatalf("EnsureBridge over a veth: created %v, %v", created, err)
	}
}
