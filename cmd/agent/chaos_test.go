package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostagent/hostagent/supervisor"
)

// chaosSeed is the seed of this run: HOSTAGENT_CHAOS_SEED replays a failing one.
func chaosSeed(t *testing.T) uint64 {
	if s := os.Getenv("HOSTAGENT_CHAOS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("HOSTAGENT_CHAOS_SEED: %v", err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// Many clients, many pipelined requests, Host and VM verbs mixed, while faults hit workers, VM
// actors and the router at random. Every request gets exactly one answer carrying its id, the
// pool is back at its size, the agent answers normally afterwards, and no goroutine is left over.
func TestChaos(t *testing.T) {
	seed := chaosSeed(t)
	t.Logf("chaos seed %d (replay with HOSTAGENT_CHAOS_SEED=%d)", seed, seed)
	defer func() {
		if t.Failed() {
			t.Logf("FAILED with chaos seed %d", seed)
		}
	}()
	// Warm up the process-wide pieces (libvirt's event loop, the dispatcher) before counting
	// goroutines.
	warm := startAgent(t)
	warm.Shutdown(10 * time.Second)
	runtime.GC()
	baseline := runtime.NumGoroutine()

	faults := supervisor.NewInjector(seed)
	ta := startAgent(t, func(c *agentConfig) {
		c.Workers, c.Queue, c.Deadline = 4, 64, 2*time.Second
		c.Faults = faults
	})
	faults.Set(
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Panic, Chance: 0.03},
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Delay, Delay: 3 * time.Millisecond, Chance: 0.05},
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Drop, Chance: 0.005},
		supervisor.Rule{Kind: "vm", Message: "*vm.Pause", Action: supervisor.Panic, Chance: 0.05},
		supervisor.Rule{Kind: "vm", Message: "*vm.Cont", Action: supervisor.Panic, Chance: 0.05},
		supervisor.Rule{Kind: "registry", Message: "*vm.GetStats", Action: supervisor.Panic, Chance: 0.01},
		supervisor.Rule{Kind: "router", Message: "*router.tick", Action: supervisor.Panic, Chance: 0.2},
	)
	methods := []struct {
		method string
		params string
	}{
		{"Host.ping2", `{}`},
		{"Host.getStats", `{}`},
		{"Host.getVMList", `{"vmList":[]}`},
		{"Host.getAllVmStats", `{}`},
		{"VM.getStats", `{"vmID":"` + vmWeb1 + `"}`},
		{"VM.pause", `{"vmID":"` + vmWeb1 + `"}`},
		{"VM.cont", `{"vmID":"` + vmWeb1 + `"}`},
		{"Host.noSuchVerb", `{}`},
	}
	const clients, perClient, window = 6, 300, 16
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for ci := 0; ci < clients; ci++ {
		wg.Add(1)
		go func(ci int) {
			defer wg.Done()
			r := ta.raw(t)
			r.connect()
			r.subscribe("replies", "s")
			answers := map[string]int{}
			sent, got := 0, 0
			send := func() {
				m := methods[(ci+sent)%len(methods)]
				r.request("replies", fmt.Sprintf(`{"jsonrpc":"2.0","method":"%s","params":%s,"id":"c%d-%d"}`, m.method, m.params, ci, sent))
				sent++
			}
			for sent < window {
				send()
			}
			for got < perClient {
				f, err := r.next()
				if err != nil {
					errs <- fmt.Errorf("client %d: %d of %d answered: %v", ci, got, perClient, err)
					return
				}
				var m map[string]any
				if err := json.Unmarshal(f.Body, &m); err != nil {
					errs <- fmt.Errorf("client %d: %q: %v", ci, f.Body, err)
					return
				}
				id, _ := m["id"].(string)
				if !strings.HasPrefix(id, fmt.Sprintf("c%d-", ci)) {
					errs <- fmt.Errorf("client %d: answer for someone else's id: %v", ci, m)
					return
				}
				if answers[id]++; answers[id] > 1 {
					errs <- fmt.Errorf("client %d: id %s answered twice", ci, id)
					return
				}
				got++
				if sent < perClient {
					send()
				}
			}
			// A sentinel proves no second answer was still on its way.
			r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","id":"sentinel"}`)
			f, err := r.next()
			if err != nil {
				errs <- fmt.Errorf("client %d: sentinel: %v", ci, err)
				return
			}
			if !strings.Contains(string(f.Body), `"sentinel"`) {
				errs <- fmt.Errorf("client %d: extra answer %s", ci, f.Body)
			}
		}(ci)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("faults injected: %d", faults.Hits())
	faults.Clear()

	c := ta.dial(t)
	for i := 0; i < 20; i++ {
		if _, err := c.Call("Host.ping2", nil); err != nil {
			t.Fatalf("after the chaos: %v", err)
		}
	}
	p, err := ta.Pool()
	if err != nil || p.Workers != 4 {
		t.Fatalf("pool after the chaos: %+v %v", p, err)
	}
	c.Close()
	if err := ta.Shutdown(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	// Goroutines end asynchronously after their sockets close; wait for them, boundedly.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines left over (baseline %d):\n%s", n-baseline, baseline, buf[:runtime.Stack(buf, true)])
	}
}
