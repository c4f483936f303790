package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/supervisor"
)

const jobMsg = "*router.job"

// hold makes every worker turn wait until the returned release is called.
func hold(ta *testAgent, fired chan string) (release func()) {
	until := make(chan struct{})
	ta.faults.Set(supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Delay, Delay: time.Hour, Until: until, Fired: fired})
	return func() { close(until) }
}

func checkPool(t *testing.T, ta *testAgent, workers int) {
	t.Helper()
	p, err := ta.Pool()
	if err != nil {
		t.Fatal(err)
	}
	if p.Workers != workers {
		t.Fatalf("pool has %d workers, want %d (%+v)", p.Workers, workers, p)
	}
}

// With workers+queue requests in flight, the next is refused at once with 1100 and its own id,
// in VDSM's words; the held ones are answered once the workers are free.
func TestFullPoolAnswers1100(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.Workers, c.Queue = 2, 2 })
	fired := make(chan string, 8)
	release := hold(ta, fired)
	c := ta.dial(t)
	var chans []<-chan *client.Response
	for i := 0; i < 4; i++ {
		id, _ := json.Marshal(i)
		ch, err := c.Send(id, "Host.ping2", nil)
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	<-fired
	<-fired // both workers are held; two more wait in the queue
	// The fifth goes through the same reader, which admits each request itself before it
	// reads the next: it is refused after the first four are admitted, no waiting needed.
	_, err := c.Call("Host.ping2", nil)
	e, ok := err.(*client.Error)
	want := "Not enough resources: {'resource': 'jsonrpc', 'current_tasks': 2, 'reason': 'Too many tasks'}"
	if !ok || e.Code != 1100 || e.Message != want {
		t.Fatalf("fifth request: %v", err)
	}
	release()
	for i, ch := range chans {
		if res, err := c.Wait(ch); err != nil || string(res) != "true" {
			t.Fatalf("held request %d: %s %v", i, res, err)
		}
	}
	checkPool(t, ta, 2)
}

// protoactor never answers a request whose actor panicked. Here the client gets -32603 and the
// worker is restarted.
func TestPanickingWorkerStillAnswers(t *testing.T) {
	ta := startAgent(t)
	ta.faults.Set(supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Panic, Times: 1})
	c := ta.dial(t)
	_, err := c.Call("Host.ping2", nil)
	e, ok := err.(*client.Error)
	if !ok || e.Code != -32603 || !strings.Contains(e.Message, "panic") {
		t.Fatalf("request on a panicking worker: %v", err)
	}
	for i := 0; i < 8; i++ {
		if _, err := c.Call("Host.ping2", nil); err != nil {
			t.Fatalf("after the panic: %v", err)
		}
	}
	checkPool(t, ta, 4)
}

// A verb past its deadline is answered with an error naming it; its worker is abandoned and
// replaced, so the pool keeps its size and keeps serving.
func TestDeadlineAnswersAndReplacesWorker(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.Deadline = 300 * time.Millisecond })
	fired := make(chan string, 1)
	until := make(chan struct{})
	ta.faults.Set(supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Delay, Delay: time.Hour, Until: until, Fired: fired, Times: 1})
	c := ta.dial(t)
	_, err := c.Call("Host.getHardwareInfo", nil)
	e, ok := err.(*client.Error)
	if !ok || e.Code != -32603 || !strings.Contains(e.Message, "Host.getHardwareInfo did not finish within 300ms") {
		t.Fatalf("stuck verb: %v", err)
	}
	if _, err := c.Call("Host.ping2", nil); err != nil {
		t.Fatalf("after the deadline: %v", err)
	}
	p, _ := ta.Pool()
	if p.Workers != 4 || p.Stuck != 1 || p.Abandoned != 1 {
		t.Fatalf("pool after a stuck call: %+v", p)
	}
	close(until)
	if _, err := c.Call("Host.ping2", nil); err != nil {
		t.Fatal(err)
	}
	checkPool(t, ta, 4)
}

// A dropped message is still answered, by its deadline.
func TestDroppedRequestIsAnsweredByDeadline(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.Deadline = 200 * time.Millisecond })
	ta.faults.Set(supervisor.Rule{Kind: "worker", Message: jobMsg, Action: supervisor.Drop, Times: 1})
	c := ta.dial(t)
	if _, err := c.Call("Host.ping2", nil); err == nil {
		t.Fatal("dropped request answered with success")
	}
	if _, err := c.Call("Host.ping2", nil); err != nil {
		t.Fatal(err)
	}
}

// Shutdown with a request in flight: the request is answered before the connection closes.
func TestShutdownAnswersInFlight(t *testing.T) {
	ta := startAgent(t)
	fired := make(chan string, 1)
	release := hold(ta, fired)
	c := ta.dial(t)
	ch, err := c.Send(json.RawMessage(`"inflight"`), "Host.ping2", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-fired
	done := make(chan error, 1)
	go func() { done <- ta.Shutdown(10 * time.Second) }()
	release()
	if res, err := c.Wait(ch); err != nil || string(res) != "true" {
		t.Fatalf("in-flight request during shutdown: %s %v", res, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
