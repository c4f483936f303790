package host

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/engine/domxml"
	"github.com/hostagent/hostagent/virt"
)

// spawnHost runs a host actor over lv with the fixture tree, its Linux-bridge maker replaced by
// ensure.
func spawnHost(t *testing.T, cfg Config) (*actor.ActorSystem, *actor.PID) {
	t.Helper()
	cfg.Root, cfg.Start, cfg.SampleInterval = string(fixture), time.Now(), time.Hour
	cfg.Log = zerolog.New(zerolog.NewTestWriter(t))
	sys := actor.NewActorSystem()
	pid := sys.Root.Spawn(actor.PropsFromProducer(New(cfg)))
	t.Cleanup(func() { _ = sys.Root.StopFuture(pid).Wait() })
	return sys, pid
}

func ask[T any](t *testing.T, sys *actor.ActorSystem, pid *actor.PID, m any) T {
	t.Helper()
	res, err := sys.Root.RequestFuture(pid, m, time.Minute).Result() // a hang detector
	if err != nil {
		t.Fatalf("%T: %v", m, err)
	}
	ans, ok := res.(T)
	if !ok {
		t.Fatalf("%T answered %T", m, res)
	}
	return ans
}

// Two domains needing the same display network at once: the host actor takes their requests one
// after the other, so the network is made once, and the second finds it there.
func TestDisplayNetworkMadeOnce(t *testing.T) {
	lv := openTestDriver(t)
	sys, pid := spawnHost(t, Config{Libvirt: lv})
	want := []domxml.DisplayNetwork{{Name: "vdsm-virbr0", Bridge: "virbr0"}}
	t.Cleanup(func() { _ = lv.RemoveNetwork("vdsm-virbr0") })

	found := ask[*DomainNetworksFound](t, sys, pid, &DomainNetworks{})
	if found.Err != nil || slices.Contains(found.Networks, "vdsm-virbr0") {
		t.Fatalf("before: %+v", found)
	}
	// The test driver's host is a file: the fixture's own bridge (ovirtmgmt) is not on it.
	if !slices.Equal(found.Bridges, []string{"virbr0"}) {
		t.Fatalf("bridges on the test driver: %v", found.Bridges)
	}

	var wg sync.WaitGroup
	answers := make([]*DomainNetworksProvided, 2)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := sys.Root.RequestFuture(pid, &ProvideDomainNetworks{Display: want}, time.Minute).Result()
			if err != nil {
				t.Errorf("provide: %v", err)
				return
			}
			answers[i] = res.(*DomainNetworksProvided)
		}()
	}
	wg.Wait()
	var created []string
	for _, a := range answers {
		if a == nil {
			t.FailNow()
		}
		if a.Err != nil {
			t.Fatalf("provide: %v", a.Err)
		}
		created = append(created, a.Created...)
	}
	if !slices.Equal(created, []string{"vdsm-virbr0"}) {
		t.Fatalf("made %v, want vdsm-virbr0 once", created)
	}
	nets, err := lv.Networks()
	if err != nil {
		t.Fatal(err)
	}
	n := slices.IndexFunc(nets, func(n virt.Network) bool { return n.Name == "vdsm-virbr0" })
	if n < 0 || nets[n].Bridge != "virbr0" {
		t.Fatalf("libvirt's networks: %+v", nets)
	}
}

// A display network libvirt refuses fails the domain with the words VM.create's start failure
// has always carried, libvirt's reason included.
func TestDisplayNetworkFailure(t *testing.T) {
	sys, pid := spawnHost(t, Config{Libvirt: openTestDriver(t)})
	got := ask[*DomainNetworksProvided](t, sys, pid, &ProvideDomainNetworks{Display: []domxml.DisplayNetwork{{Name: "vdsm-a/b", Bridge: "a/b"}}})
	if got.Err == nil || !strings.HasPrefix(got.Err.Error(), "display network: define network vdsm-a/b: ") || len(got.Created) != 0 {
		t.Fatalf("answer: %+v", got)
	}
}

func TestLinuxBridges(t *testing.T) {
	if got := linuxBridges(fixture); !slices.Equal(got, []string{"ovirtmgmt"}) {
		t.Fatalf("bridges of the fixture: %v", got)
	}
}
