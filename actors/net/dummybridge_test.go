package net

import (
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/hostnet"
)

func (r *rig) ensureDummyBridge() *DummyBridgeEnsured {
	r.t.Helper()
	res, err := r.sys.Root.RequestFuture(r.pid, &EnsureDummyBridge{}, time.Minute).Result()
	if err != nil {
		r.t.Fatal(err)
	}
	return res.(*DummyBridgeEnsured)
}

// dummyBridge is the namespace's dummy bridge as hostnet reads it; ok false when it is absent.
func dummyBridge(t *testing.T, ns string) (l hostnet.Link, ports int, ok bool) {
	t.Helper()
	cur, err := hostnet.ReadNamespace(ns, hostnet.DefaultFakeNICs)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cur.Links {
		if x.Name == domxml.DummyBridge {
			l, ok = x, true
		}
		if x.Master == domxml.DummyBridge {
			ports++
		}
	}
	return l, ports, ok
}

// The dummy bridge is asked for while a setupNetworks waits for its connectivity check: it is
// made at once (the pending check does not hold the actor), as VDSM's is (a bridge, down, with
// no ports or addresses), and neither the rollback of the unconfirmed change nor the undo of an
// unsaved one at the next start deletes it: it is no network of theirs.
func TestDummyBridgeSurvivesRollbacks(t *testing.T) {
	ns, dir := namespace(t), t.TempDir()
	r := start(t, ns, dir)
	r.setup(install, `{"connectivityCheck": "true", "connectivityTimeout": 120}`)
	if got := r.ensureDummyBridge(); got.Err != nil || !got.Created {
		t.Fatalf("EnsureDummyBridge during the connectivity check: %+v", got)
	}
	if l, ports, ok := dummyBridge(t, ns); !ok || l.Kind != hostnet.KindBridge || l.Up || len(l.Addrs) != 0 || ports != 0 {
		t.Fatalf("dummy bridge %+v (present %v, %d ports), want a bridge, down, no addresses, no ports", l, ok, ports)
	}
	if got := r.ensureDummyBridge(); got.Err != nil || got.Created {
		t.Fatalf("EnsureDummyBridge again: %+v, want it left as it is", got)
	}
	r.sys.Root.Send(r.pid, &connectivityTimeout{gen: 1}) // the check's timer, fired early
	want(t, r.answer(), `"id":1,"error":{"code":10,"message":"connectivity check failed"}`)
	rolledBack := kernel(t, ns)
	if _, _, ok := dummyBridge(t, ns); !ok {
		t.Fatalf("the rollback deleted the dummy bridge:\n%s", rolledBack)
	}
	if strings.Contains(rolledBack, `"name": "ovirtmgmt"`) {
		t.Fatalf("the unconfirmed change was not rolled back:\n%s", rolledBack)
	}

	r.setup(install, `{"connectivityCheck": "false"}`)
	want(t, r.answer(), `"id":2,"result":{"code":0,"message":"Done"}`)
	r.stop()
	r2 := start(t, ns, dir)
	r2.sys.Root.Send(r2.pid, &SetSafeNetworkConfig{Reply: r2.reply()}) // answered once start is done
	want(t, r2.answer(), `"result":true`)
	if got := kernel(t, ns); got != rolledBack {
		t.Errorf("after the unsaved change was undone at start:\n%s\nwant:\n%s", got, rolledBack)
	}
}
