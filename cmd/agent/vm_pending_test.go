package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/supervisor"
)

// At most vm.MaxPending verbs wait for one VM: with its actor held inside a turn, as a slow
// libvirt call would hold it, the verb being run and MaxPending-1 queued behind it wait, every
// further one is answered 40 at once, and once the VM is let go each waiting verb is answered,
// once.
func TestVMPendingIsBounded(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) {
		// The held turn must not count as a stuck libvirt call (those verbs fail with another
		// reason), and no deadline may answer the waiting verbs first.
		c.StuckAfter, c.Deadline = time.Hour, time.Hour
		c.Queue = 64 // room agent-wide for every request here
	})
	until := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(until) }) }
	defer free()
	fired := make(chan string, 1)
	ta.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.SetDestroyOnRebootVerb", Action: supervisor.Delay,
		Delay: time.Hour, Until: until, Fired: fired, Times: 1})

	r := ta.raw(t)
	r.connect()
	r.subscribe("pending", "p")
	send := func(id string) {
		r.request("pending", fmt.Sprintf(`{"jsonrpc":"2.0","method":"VM.setDestroyOnReboot","params":{"vmID":%q},"id":%q}`, vmWeb1, id))
	}
	send("held")
	select {
	case <-fired:
	case <-time.After(20 * time.Second):
		t.Fatal("the VM actor never took the first verb")
	}
	const over = 4
	for i := 0; i < vm.MaxPending-1+over; i++ {
		send(strconv.Itoa(i))
	}
	want := fmt.Sprintf("Resource unavailable: {'vmId': '%s', 'reason': '16 operations already wait for this VM'}", vmWeb1)
	refused := map[any]bool{}
	for len(refused) < over {
		f, err := r.next()
		if err != nil {
			t.Fatalf("%d verbs past the VM's queue of %d were not answered at once: %v", over-len(refused), vm.MaxPending, err)
		}
		var m map[string]any
		if err := json.Unmarshal(f.Body, &m); err != nil {
			t.Fatalf("%s %q: %v", f.Command, f.Body, err)
		}
		e, _ := m["error"].(map[string]any)
		if e == nil {
			t.Fatalf("answered while its VM was held: %v", m)
		}
		if e["code"] != float64(40) || e["message"] != want {
			t.Fatalf("a verb past the VM's queue: %v, want code 40 %q", e, want)
		}
		refused[m["id"]] = true
	}
	free()
	answered := map[any]bool{}
	for len(answered) < vm.MaxPending {
		m, _ := r.response()
		if refused[m["id"]] || answered[m["id"]] || m["result"] != true {
			t.Fatalf("once the VM was let go: %v (refused %v, answered %v)", m, refused, answered)
		}
		answered[m["id"]] = true
	}
	if !answered["held"] {
		t.Fatalf("the held verb was not answered: %v", answered)
	}
	// Behind them in the VM actor's mailbox: a second answer to any of them would come first.
	send("marker")
	if m, _ := r.response(); m["id"] != "marker" || m["result"] != true {
		t.Fatalf("after the waiting verbs: %v", m)
	}
}
