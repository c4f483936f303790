package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/supervisor"
)

// hungShutdownBound is what Shutdown may take past its grace, with actors that never come back:
// agent.SettleTime for the answers to reach their sockets and the rest of the actors to stop, and
// a scheduling margin for a loaded machine. The holds below never end before Shutdown returns,
// so a shutdown that waits on a held actor at all takes protoactor's 10 s stop time-out per
// actor: three of them, far past this bound.
const hungShutdownBound = agent.SettleTime + 3*time.Second

// A shutdown with actors stuck in their turn, as in a libvirt call that never returns (a VM
// actor, the host actor, a worker), returns within its grace plus a fixed bound: each stuck
// request is answered with the shutdown error, and nothing waits for the stuck actors.
func TestShutdownWithHungActors(t *testing.T) {
	faults := supervisor.NewInjector(uint64(time.Now().UnixNano()))
	a, err := agent.Start(agent.Config{Listen: "127.0.0.1:0", Workers: 2, Queue: 4, Deadline: time.Hour,
		SampleInterval: time.Hour, Faults: faults, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	<-a.Ready()
	ta := &testAgent{Agent: a, faults: faults, addr: a.Addr().String()}
	release := make(chan struct{})
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
		a.Shutdown(time.Second)
	})
	c := ta.dial(t)
	id := "5d5d5d5d-0000-4000-8000-000000000001"
	createVM(t, c, "shutdown-hung", id)

	fired := make(chan string, 3)
	held := func(kind, msg string) supervisor.Rule {
		return supervisor.Rule{Kind: kind, Message: msg, Action: supervisor.Delay, Delay: time.Hour, Until: release, Fired: fired, Times: 1}
	}
	// One at a time, so each request is held by the actor meant to hold it: the worker rule
	// would otherwise catch the others' jobs on their way.
	var pending []<-chan *client.Response
	for _, h := range []struct {
		rule   supervisor.Rule
		method string
		params any
	}{
		{held("vm", "*vm.Pause"), "VM.pause", map[string]any{"vmID": id}},
		{held("host", "*host.GetCapabilities"), "Host.getCapabilities", nil},
		{held("worker", jobMsg), "Host.ping2", nil},
	} {
		faults.Set(h.rule)
		ch, err := c.Send(json.RawMessage(`"`+h.method+`"`), h.method, h.params)
		if err != nil {
			t.Fatal(err)
		}
		if got := <-fired; got != h.rule.Message {
			t.Fatalf("%s: held %s, want %s", h.method, got, h.rule.Message)
		}
		pending = append(pending, ch)
	}

	const grace = time.Second
	start := time.Now()
	err = a.Shutdown(grace)
	took := time.Since(start)
	if !errors.Is(err, agent.ErrGraceExpired) {
		t.Fatalf("shutdown with held requests: %v, want ErrGraceExpired", err)
	}
	if took > grace+hungShutdownBound {
		t.Fatalf("shutdown took %s with a %s grace: it waited for actors stuck in their turn", took, grace)
	}
	for i, ch := range pending {
		_, err := c.Wait(ch)
		var e *client.Error
		if !errors.As(err, &e) || e.Code != -32603 {
			t.Fatalf("held request %d: %v, want the shutdown's -32603", i, err)
		}
	}
	close(release)
	released = true
}

// lockedBuffer is a log sink the agent's goroutines write to while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// With nothing stuck, everything stops within SettleTime and the libvirt connection is closed:
// the shutdown reports nothing left behind.
func TestShutdownLeavesNothingBehind(t *testing.T) {
	var logs lockedBuffer
	a, err := agent.Start(agent.Config{Listen: "127.0.0.1:0", Workers: 2, Queue: 4, SampleInterval: time.Hour,
		MetricsListen: "127.0.0.1:0", Log: zerolog.New(&logs).Level(zerolog.InfoLevel)})
	if err != nil {
		t.Fatal(err)
	}
	<-a.Ready()
	ta := &testAgent{Agent: a, addr: a.Addr().String()}
	c := ta.dial(t)
	createVM(t, c, "shutdown-clean", "5d5d5d5d-0000-4000-8000-000000000002")
	events(t, ta)
	if err := a.Shutdown(10 * time.Second); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if strings.Contains(logs.String(), "not stopped in time") {
		t.Fatalf("a clean shutdown left something behind:\n%s", logs.String())
	}
}

// A verb that reaches a VM actor after an earlier one removed its VM (two VM.destroy at once,
// as the engine's and a migration source's can be) is answered noVM, as VDSM answers it. It was
// lost with the stopping actor: a request in flight until its deadline, which a SIGTERM then
// waited for (the migration lane's agent B "ignoring" SIGTERM).
func TestVerbBehindRemovalIsAnswered(t *testing.T) {
	// One worker: once a later request is answered, the second destroy has been handed to the
	// VM actor.
	ta := startAgent(t, func(c *agentConfig) { c.Workers = 1 })
	c := ta.dial(t)
	id := "5d5d5d5d-0000-4000-8000-000000000003"
	createVM(t, c, "removed-twice", id)
	release := make(chan struct{})
	defer close(release)
	fired := make(chan string, 1)
	ta.faults.Set(supervisor.Rule{Kind: "vm", Message: "*vm.Destroy", Action: supervisor.Delay, Delay: time.Hour,
		Until: release, Fired: fired, Times: 1})
	first, err := c.Send(json.RawMessage(`"first"`), "VM.destroy", map[string]any{"vmID": id})
	if err != nil {
		t.Fatal(err)
	}
	<-fired
	second, err := c.Send(json.RawMessage(`"second"`), "VM.destroy", map[string]any{"vmID": id})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.Call("Host.ping2", nil); err != nil || string(res) != "true" {
		t.Fatalf("Host.ping2: %s %v", res, err)
	}
	release <- struct{}{}
	if res, err := c.Wait(first); err != nil || string(res) != "true" {
		t.Fatalf("first VM.destroy: %s %v", res, err)
	}
	_, err = c.Wait(second)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != 1 {
		t.Fatalf("second VM.destroy, behind the removal: %v, want noVM (1)", err)
	}
	// Both answers reached the client before their admission slots were released (a slot is
	// held until its answer is delivered), so the drain tells whether any slot stays taken.
	if err := ta.Shutdown(time.Minute); err != nil {
		t.Fatalf("shutdown after both answers: %v", err)
	}
}
