package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hostagent/hostagent/actors/vm"
	"github.com/hostagent/hostagent/protocol/vdsm"
	"github.com/hostagent/hostagent/reply"
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

type chaosMethod struct{ method, params string }

// chaosMethods are the verbs the chaos test mixes: Host and VM verbs, a verb that fails the same
// way every time, and verbs whose answer depends on the VM's state.
var chaosMethods = []chaosMethod{
	{"Host.ping2", `{}`},
	{"Host.getStats", `{}`},
	{"Host.getVMList", `{"vmList":[]}`},
	{"Host.getAllVmStats", `{}`},
	{"VM.getStats", `{"vmID":"` + vmWeb1 + `"}`},
	{"VM.pause", `{"vmID":"` + vmWeb1 + `"}`},
	{"VM.cont", `{"vmID":"` + vmWeb1 + `"}`},
	{"Host.noSuchVerb", `{}`},
}

// chaosAnswer is one JSON-RPC answer as the chaos test reads it.
type chaosAnswer struct {
	ID     string          `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// chaosOracle knows every answer a request may get: what the method answers without faults
// (learnt from the agent before any fault is set), and the answer each fault that can reach the
// method causes. Each answer is sorted into the category that explains it, so the categories can
// be counted against the faults the injector says it injected.
type chaosOracle struct {
	normal   map[string][]chaosAnswer // per method: the answers it gives with no fault
	busy     string                   // the 1100 text of a full admission queue
	vmBusy   string                   // the 40 text of a VM with too many operations waiting
	deadline time.Duration
}

// Answer categories besides "normal", "busy" and "vm busy": the deadline's, which a dropped job
// gets, and one per kind of panic.
const (
	chaosDeadline      = "deadline"
	chaosWorkerPanic   = "worker/panic"
	chaosVMPanic       = "vm/panic"
	chaosRegistryPanic = "registry/panic"
)

func injectedAnswer(kind, msgType string) string {
	return supervisor.PanicMessage(kind, supervisor.InjectedPanic(kind, msgType))
}

// classify says which category explains the answer a to a request for method, or an error when
// none does: a wrong result, an error no fault of this method causes, a wrong text.
func (o *chaosOracle) classify(method string, a chaosAnswer) (string, error) {
	if a.Error == nil {
		for _, n := range o.normal[method] {
			if n.Error == nil && sameResult(method, n.Result, a.Result) {
				return "normal", nil
			}
		}
		return "", fmt.Errorf("%s: result %s, want what it answers with no fault (%s)", method, a.Result, o.normal[method][0].Result)
	}
	code, msg := a.Error.Code, a.Error.Message
	for _, n := range o.normal[method] {
		if n.Error != nil && n.Error.Code == code && n.Error.Message == msg {
			return "normal", nil
		}
	}
	faults := map[string]string{
		injectedAnswer("worker", jobMsg): chaosWorkerPanic,
		vdsm.Internal(fmt.Sprintf("%s did not finish within %s", method, o.deadline)).Message: chaosDeadline,
	}
	switch method {
	case "VM.pause":
		faults[injectedAnswer("vm", "*vm.Pause")] = chaosVMPanic
	case "VM.cont":
		faults[injectedAnswer("vm", "*vm.Cont")] = chaosVMPanic
	case "VM.getStats", "Host.getAllVmStats":
		faults[injectedAnswer("registry", "*vm.GetStats")] = chaosRegistryPanic
	}
	switch {
	case code == vdsm.CodeResourceExhausted && msg == o.busy:
		return "busy", nil
	case (method == "VM.pause" || method == "VM.cont") && code == vdsm.CodeResourceUnavail && msg == o.vmBusy:
		return "vm busy", nil
	case code == vdsm.CodeInternal && faults[msg] != "":
		return faults[msg], nil
	}
	return "", fmt.Errorf("%s: error %d %q is neither its own answer nor one a fault of it causes", method, code, msg)
}

// sameResult: Host.ping2 and the state verbs answer the same bytes every time; the stats and
// lists change their numbers but keep their JSON type, and a list its length.
func sameResult(method string, want, got json.RawMessage) bool {
	switch method {
	case "Host.ping2", "VM.pause", "VM.cont":
		return bytes.Equal(want, got)
	}
	var w, g any
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil {
		return false
	}
	if fmt.Sprintf("%T", w) != fmt.Sprintf("%T", g) {
		return false
	}
	if wl, ok := w.([]any); ok {
		return len(wl) == len(g.([]any))
	}
	return true
}

// learn asks the agent each method with no fault set, VM.pause and VM.cont twice each, so both
// are known from either state (running, paused) the VM may be in when chaos sends them.
func (o *chaosOracle) learn(t *testing.T, r *raw) {
	t.Helper()
	o.normal = map[string][]chaosAnswer{}
	pause, cont := chaosMethods[5], chaosMethods[6]
	for i, m := range slices.Concat(chaosMethods[:5], chaosMethods[7:], []chaosMethod{pause, pause, cont, cont}) {
		r.request("replies", fmt.Sprintf(`{"jsonrpc":"2.0","method":"%s","params":%s,"id":"learn-%d"}`, m.method, m.params, i))
		var a chaosAnswer
		if f := r.frame(); json.Unmarshal(f.Body, &a) != nil || a.ID != fmt.Sprintf("learn-%d", i) {
			t.Fatalf("learning %s: %s %q", m.method, f.Command, f.Body)
		}
		o.normal[m.method] = append(o.normal[m.method], a)
	}
	if a := o.normal["VM.pause"][0]; a.Error != nil {
		t.Fatalf("VM.pause of a running VM: %+v", a.Error)
	}
	if a := o.normal["Host.noSuchVerb"][0]; a.Error == nil || a.Error.Code != -32601 {
		t.Fatalf("Host.noSuchVerb: %+v", a)
	}
}

// Many clients, many pipelined requests, Host and VM verbs mixed, while faults hit workers, VM
// actors, the registry and the router. Every request gets exactly one answer carrying its id,
// and the answer is one that request may get: its verb's own answer, a full queue's 1100, a busy
// VM's 40, its deadline, or the answer of a panic that can reach it. Every kind of fault fired,
// and the answers add up to the faults the injector counts. Afterwards the pool is back at its
// size, the agent answers normally, and no goroutine is left over.
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

	const queue, verbDeadline = 64, 2 * time.Second
	faults := supervisor.NewInjector(seed)
	ta := startAgent(t, func(c *agentConfig) {
		c.Workers, c.Queue, c.Deadline = 4, queue, verbDeadline
		c.Faults = faults
	})
	oracle := &chaosOracle{busy: vdsm.ResourceExhausted(queue).Message, deadline: verbDeadline,
		vmBusy: vdsm.ContextError(vdsm.CodeResourceUnavail, "vmId", vmWeb1,
			"reason", fmt.Sprintf("%d operations already wait for this VM", vm.MaxPending)).Message}
	lr := ta.raw(t)
	lr.connect()
	lr.subscribe("replies", "s")
	oracle.learn(t, lr)

	// The rules that fire a fixed number of times come first, so every kind of fault happens
	// whatever the seed; the random ones after them spread faults over the run.
	faults.Set(
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Panic, Times: 3},
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Delay, Delay: 3 * time.Millisecond, Times: 3},
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Drop, Times: 1},
		supervisor.Rule{Kind: "vm", Message: "*vm.Pause", Action: supervisor.Panic, Times: 1},
		supervisor.Rule{Kind: "vm", Message: "*vm.Cont", Action: supervisor.Panic, Times: 1},
		supervisor.Rule{Kind: "registry", Message: "*vm.GetStats", Action: supervisor.Panic, Times: 1},
		supervisor.Rule{Kind: "router", Message: "*router.tick", Action: supervisor.Panic, Times: 1},
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Panic, Chance: 0.03},
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Delay, Delay: 3 * time.Millisecond, Chance: 0.05},
		supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Drop, Chance: 0.005},
		supervisor.Rule{Kind: "vm", Message: "*vm.Pause", Action: supervisor.Panic, Chance: 0.05},
		supervisor.Rule{Kind: "vm", Message: "*vm.Cont", Action: supervisor.Panic, Chance: 0.05},
		supervisor.Rule{Kind: "registry", Message: "*vm.GetStats", Action: supervisor.Panic, Chance: 0.01},
		supervisor.Rule{Kind: "router", Message: "*router.tick", Action: supervisor.Panic, Chance: 0.2},
	)
	lateBefore := reply.Late.Load()
	const clients, perClient, window = 6, 300, 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	tally := map[string]int64{}
	errs := make(chan error, clients)
	for ci := 0; ci < clients; ci++ {
		wg.Add(1)
		go func(ci int) {
			defer wg.Done()
			r := ta.raw(t)
			r.connect()
			dest := fmt.Sprintf("replies-%d", ci) // own destination: every subscriber of a shared one gets every answer
			r.subscribe(dest, "s")
			methodOf := map[string]string{} // id -> method, until answered
			mine := map[string]int64{}
			defer func() {
				mu.Lock()
				defer mu.Unlock()
				for k, v := range mine {
					tally[k] += v
				}
			}()
			sent, got := 0, 0
			send := func(id, method, params string) {
				methodOf[id] = method
				r.request(dest, fmt.Sprintf(`{"jsonrpc":"2.0","method":"%s","params":%s,"id":"%s"}`, method, params, id))
			}
			sendNext := func() {
				m := chaosMethods[(ci+sent)%len(chaosMethods)]
				send(fmt.Sprintf("c%d-%d", ci, sent), m.method, m.params)
				sent++
			}
			receive := func() error {
				f, err := r.next()
				if err != nil {
					return err
				}
				var a chaosAnswer
				if err := json.Unmarshal(f.Body, &a); err != nil {
					return fmt.Errorf("%q: %v", f.Body, err)
				}
				method, ok := methodOf[a.ID]
				if !ok {
					return fmt.Errorf("answer for an id not waiting (someone else's, or answered twice): %s", f.Body)
				}
				delete(methodOf, a.ID)
				kind, err := oracle.classify(method, a)
				if err != nil {
					return fmt.Errorf("id %s: %v", a.ID, err)
				}
				mine[kind]++
				return nil
			}
			for sent < window {
				sendNext()
			}
			for got < perClient {
				if err := receive(); err != nil {
					errs <- fmt.Errorf("client %d: %d of %d answered: %v", ci, got, perClient, err)
					return
				}
				got++
				if sent < perClient {
					sendNext()
				}
			}
			// A sentinel proves no second answer was still on its way.
			send("sentinel", "Host.ping2", `{}`)
			if err := receive(); err != nil {
				errs <- fmt.Errorf("client %d: sentinel: %v", ci, err)
			}
		}(ci)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("answers by category: %v; faults injected: %d", tally, faults.Hits())
	if faults.HitsOf("worker", supervisor.Delay) == 0 {
		t.Error("no delay was injected")
	}
	if drops := faults.HitsOf("worker", supervisor.Drop); drops == 0 {
		t.Error("no job was dropped")
	}
	// Each panic answers its request, unless the request's deadline answered it first (a slow
	// moment of a machine the test shares): then the panic's answer is late, counted in
	// reply.Late, and the request has a deadline answer instead. A dropped job is answered by its
	// deadline only. Anything else is an answer without its fault, or a fault without its answer.
	var lost int64
	for _, c := range []struct {
		category string
		kind     string
	}{
		{chaosWorkerPanic, "worker"},
		{chaosVMPanic, "vm"},
		{chaosRegistryPanic, "registry"},
	} {
		hits := faults.HitsOf(c.kind, supervisor.Panic)
		switch {
		case hits == 0:
			t.Errorf("no %s panic was injected", c.kind)
		case tally[c.category] > hits:
			t.Errorf("%d answers of %s, but the injector made only %d such panics", tally[c.category], c.category, hits)
		}
		lost += hits - tally[c.category]
	}
	// The router takes no requests (the gate hands them to workers): its panics, on its tick,
	// answer nothing, and the deadlines it keeps must still be kept after them.
	if faults.HitsOf("router", supervisor.Panic) == 0 {
		t.Error("no router panic was injected")
	}
	drops := faults.HitsOf("worker", supervisor.Drop)
	if late := reply.Late.Load() - lateBefore; late < lost {
		t.Errorf("%d panics gave no answer of their own, but only %d answers came late", lost, late)
	}
	if tally[chaosDeadline] < drops+lost {
		t.Errorf("%d deadline answers, fewer than the %d dropped jobs and %d panics answered late", tally[chaosDeadline], drops, lost)
	}
	t.Logf("%d requests outlived their deadline with no fault of their own", tally[chaosDeadline]-drops-lost)
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
