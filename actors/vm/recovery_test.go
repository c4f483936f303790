package vm

import (
	"fmt"
	"testing"
	"time"

	"github.com/hostagent/hostagent/supervisor"
)

// Domains defined behind the agent's back are adopted with one listing of libvirt's domains, not
// one per event: the registry is held while fifty domains are defined, so all their DEFINED
// events meet a registry that has one listing in flight at most.
func TestUnknownDomainEventsShareOneListing(t *testing.T) {
	h := newHarness(t)
	const n = 50
	release := make(chan struct{})
	held := make(chan string, 1)
	listings := make(chan string, 2*n)
	h.faults.Set(
		supervisor.Rule{Kind: "registry", Message: "*vm.List", Action: supervisor.Delay, Delay: time.Hour, Until: release, Fired: held},
		supervisor.Rule{Kind: "registry", Message: "*vm.domainsListed", Action: supervisor.Delay, Fired: listings},
	)
	before := h.index.Len() // the host's own domains, recovered at start
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &List{Reply: r})
	<-held
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("d0000000-0000-4000-8000-%012d", i)
		if _, err := h.lv.Define(fmt.Sprintf(`<domain type='test'><name>ext-%d</name><uuid>%s</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`, i, ids[i])); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	wait()
	// Adopted: a defined, stopped domain is a Down VM, announced once.
	for down := map[string]bool{}; len(down) < n; {
		select {
		case e := <-h.events:
			if e.params["status"] == "Down" {
				down[e.vmID] = true
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of %d domains adopted", len(down), n)
		}
	}
	// Every listing that adopted something has been handled by now; one more round trip takes
	// in any other already delivered.
	r, wait = h.reply()
	h.sys.Root.Send(h.reg, &List{Reply: r})
	wait()
	if got := len(listings); got < 1 || got > 2 {
		t.Fatalf("%d unknown-domain events took %d listings, want 1 or 2", n, got)
	}
	if got := h.index.Len() - before; got != n {
		t.Fatalf("%d VMs adopted, want %d", got, n)
	}
}
