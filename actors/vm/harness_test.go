package vm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
	"github.com/hostagent/hostagent/virt"
)

// harness runs the real registry and VM actors against a private libvirt test-driver host. The
// registry's status events arrive on events (what the broker would publish); answers to verbs
// on the channel each call returns.
type harness struct {
	t      *testing.T
	sys    *actor.ActorSystem
	reg    *actor.PID
	lv     *virt.Conn
	index  *Index
	faults *supervisor.Injector
	events chan statusEvent
}

type statusEvent struct {
	vmID   string
	params map[string]any
}

func newHarness(t *testing.T, opts ...func(*Config)) *harness {
	t.Helper()
	h, ready := startHarness(t, opts...)
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("recovery did not finish")
	}
	return h
}

// startHarness is newHarness without the wait for recovery: ready is closed by OnReady.
func startHarness(t *testing.T, opts ...func(*Config)) (*harness, <-chan struct{}) {
	t.Helper()
	host, err := os.ReadFile("../../testdata/host.xml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "host.xml")
	if err := os.WriteFile(path, host, 0o600); err != nil {
		t.Fatal(err)
	}
	lv, err := virt.Open("test://" + path)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, sys: system.New(zerolog.Nop()), lv: lv, index: NewIndex(),
		faults: supervisor.NewInjector(1), events: make(chan statusEvent, 256)}
	sink := h.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if p, ok := c.Message().(*broker.Publish); ok {
			var n struct {
				Method string                     `json:"method"`
				Params map[string]json.RawMessage `json:"params"`
			}
			if err := json.Unmarshal(p.Body, &n); err != nil {
				t.Errorf("event: %v", err)
				return
			}
			id := n.Method[strings.LastIndexByte(n.Method, '|')+1:]
			var params map[string]any
			_ = json.Unmarshal(n.Params[id], &params)
			h.events <- statusEvent{id, params}
		}
	}))
	ready := make(chan struct{})
	cfg := Config{Libvirt: lv, Index: h.index, Broker: sink, Ready: new(atomic.Bool), OnReady: func() { close(ready) },
		Clock: NewClock(time.Now(), time.Hour), StuckAfter: time.Hour, Faults: h.faults, Log: zerolog.Nop()}
	for _, o := range opts {
		o(&cfg)
	}
	h.reg = h.sys.Root.Spawn(NewRegistry(cfg))
	h.sys.Root.Send(h.reg, &Recover{})
	t.Cleanup(func() {
		h.faults.Clear()
		_ = h.sys.Root.StopFuture(h.reg).Wait()
		h.sys.Root.Stop(sink)
		lv.Close()
	})
	return h, ready
}

// answer is one JSON-RPC answer as the client would get it.
type answer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type answers chan []byte

func (a answers) Send(_ *actor.PID, msg interface{}) {
	if r, ok := msg.(*reply.Response); ok {
		a <- r.Body
	}
}

// reply is a fresh reply handle and the channel its answer arrives on.
func (h *harness) reply() (*reply.Reply, func() answer) {
	ch := make(answers, 1)
	r := reply.New(ch, reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError},
		actor.NewPID("local", "client"), "", json.RawMessage(`1`))
	return r, func() answer {
		h.t.Helper()
		select {
		case b := <-ch:
			var a answer
			if err := json.Unmarshal(b, &a); err != nil {
				h.t.Fatalf("answer %s: %v", b, err)
			}
			return a
		case <-time.After(20 * time.Second):
			h.t.Fatal("no answer")
			return answer{}
		}
	}
}

// create runs VM.create for a test-driver domain and waits until it is Up.
func (h *harness) create(name, id string) *Handle {
	h.t.Helper()
	b, err := os.ReadFile("../../testdata/domains/minimal.xml")
	if err != nil {
		h.t.Fatal(err)
	}
	x := strings.Replace(string(b), "<name>minimal</name>", "<name>"+name+"</name>", 1)
	x = strings.Replace(x, "<uuid>a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d</uuid>", "<uuid>"+id+"</uuid>", 1)
	return h.createXML(id, x)
}

// createXML runs VM.create with a domain XML of the test's own.
func (h *harness) createXML(id, x string) *Handle {
	h.t.Helper()
	raw, _ := json.Marshal(x)
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &Create{Reply: r, Params: map[string]json.RawMessage{"xml": raw}})
	if a := wait(); a.Error != nil {
		h.t.Fatalf("create: %+v", a.Error)
	}
	h.waitStatus(id, "Up", "Powering up")
	return h.index.Lookup(id)
}

// verb sends a verb message to the VM's actor, as the verb table does, and returns the answer.
func (h *harness) verb(id string, msg func(*reply.Reply) any) answer {
	h.t.Helper()
	hd := h.index.Lookup(id)
	if hd == nil || !hd.Reserve() {
		h.t.Fatalf("VM %s cannot take a verb", id)
	}
	r, wait := h.reply()
	h.sys.Root.Send(hd.PID, msg(r))
	return wait()
}

// waitStatus reads events until one for id has one of statuses, and returns it.
// stats is VM.getStats' one entry for id.
func (h *harness) stats(id string) map[string]any {
	h.t.Helper()
	r, wait := h.reply()
	h.sys.Root.Send(h.reg, &GetStats{Reply: r, VMID: id})
	a := wait()
	var list []map[string]any
	if a.Error != nil || json.Unmarshal(a.Result, &list) != nil || len(list) != 1 {
		h.t.Fatalf("VM.getStats: %+v %s", a.Error, a.Result)
	}
	return list[0]
}

func (h *harness) waitStatus(id string, statuses ...string) map[string]any {
	h.t.Helper()
	for {
		select {
		case e := <-h.events:
			if e.vmID != id {
				continue
			}
			for _, s := range statuses {
				if e.params["status"] == s {
					return e.params
				}
			}
		case <-time.After(20 * time.Second):
			h.t.Fatalf("no %v event for %s", statuses, id)
			return nil
		}
	}
}
