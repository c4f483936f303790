package agent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/bench/baseline"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/reply"
)

// vmWeb1 runs on the embedded test-driver host.
const vmWeb1 = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"

// startAgent boots a quiet agent on loopback whose admission never refuses what a benchmark
// keeps in flight.
func startAgent(b *testing.B) *agent.Agent {
	b.Helper()
	a, err := agent.Start(agent.Config{Listen: "127.0.0.1:0", Workers: 8, Queue: 1024,
		SampleInterval: time.Hour, Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Shutdown(10 * time.Second) })
	select {
	case <-a.Ready():
	case <-time.After(time.Minute):
		b.Fatal("the agent did not finish recovery")
	}
	return a
}

// ---- over TCP: a raw pipelined connection -----------------------------------------------------

// pipe keeps requests in flight on one connection and writes them in one go whenever the answers
// it has read are all handled, as `agent bench` does.
type pipe struct {
	b    *testing.B
	nc   net.Conn
	r    *stomp.Reader
	out  []byte
	head []byte
	seq  int
}

func dialPipe(b *testing.B, addr string) *pipe {
	b.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nc.Close() })
	p := &pipe{b: b, nc: nc, r: stomp.NewReader(nc, stomp.Limits{}),
		head: []byte("SEND\ndestination:jms.topic.vdsm_requests\ncontent-type:application/json\nreply-to:bench\ncontent-length:")}
	if _, err := nc.Write([]byte("CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\x00" +
		"SUBSCRIBE\ndestination:bench\nid:1\nreceipt:ok\n\n\x00")); err != nil {
		b.Fatal(err)
	}
	for {
		f, err := p.r.Read()
		if err != nil {
			b.Fatal(err)
		}
		if f != nil && f.Command == stomp.CmdReceipt {
			return p
		}
	}
}

func (p *pipe) queue() {
	p.seq++
	body := `{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":` + strconv.Itoa(p.seq) + `}`
	p.out = append(p.out, p.head...)
	p.out = strconv.AppendInt(p.out, int64(len(body)), 10)
	p.out = append(p.out, "\n\n"...)
	p.out = append(p.out, body...)
	p.out = append(p.out, 0)
}

func (p *pipe) flush() {
	if len(p.out) == 0 {
		return
	}
	if _, err := p.nc.Write(p.out); err != nil {
		p.b.Fatal(err)
	}
	p.out = p.out[:0]
}

func (p *pipe) answer() {
	for {
		f, err := p.r.Read()
		if err != nil {
			p.b.Fatal(err)
		}
		if f == nil {
			continue
		}
		if f.Command != stomp.CmdMessage || !bytes.HasSuffix(f.Body, []byte(`"result":true}`)) {
			p.b.Fatalf("answer: %s %q", f.Command, f.Body)
		}
		return
	}
}

// BenchmarkPipelineTCP is Host.ping2 through the whole agent on one loopback connection (reader,
// router, worker, connection actor, writer), next to the baseline responder driven the same way.
// The client runs in the same process, so ns/op and allocs/op include its share.
func BenchmarkPipelineTCP(b *testing.B) {
	servers := []struct {
		name string
		addr func(b *testing.B) string
	}{
		{"baseline", func(b *testing.B) string {
			s, err := baseline.Listen("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s.Addr().String()
		}},
		{"agent", func(b *testing.B) string { return startAgent(b).Addr().String() }},
	}
	for _, srv := range servers {
		b.Run(srv.name, func(b *testing.B) {
			addr := srv.addr(b)
			for _, inFlight := range []int{1, 16} {
				b.Run("inflight="+strconv.Itoa(inFlight), func(b *testing.B) {
					p := dialPipe(b, addr)
					for range inFlight {
						p.queue()
					}
					p.flush()
					b.ReportAllocs()
					for b.Loop() {
						p.answer()
						p.queue()
						if p.r.Buffered() == 0 {
							p.flush()
						}
					}
					p.flush()
					for range inFlight {
						p.answer()
					}
				})
			}
		})
	}
}

// ---- in process: straight to the started agent's router --------------------------------------

var codec = reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}

// collect stands in for the connection actor and hands each answer's body over.
type collect chan []byte

func (c collect) Send(_ *actor.PID, m interface{}) { c <- m.(*reply.Response).Body }

// call sends one request to the agent's router and waits for its answer.
func call(b *testing.B, a *agent.Agent, answers collect, id int, method string, params any) []byte {
	b.Helper()
	send(b, a, answers, id, method, params)
	select {
	case body := <-answers:
		return body
	case <-time.After(time.Minute):
		b.Fatalf("%s: no answer", method)
		return nil
	}
}

func send(b *testing.B, a *agent.Agent, answers collect, id int, method string, params any) {
	raw, err := json.Marshal(params)
	if err != nil {
		b.Fatal(err)
	}
	r := reply.New(answers, codec, nil, "", json.RawMessage(strconv.Itoa(id)))
	a.Gate().Submit(&router.Request{Reply: r, Method: method, Params: raw})
}

func isResult(body []byte) bool { return bytes.Contains(body, []byte(`,"result":`)) }

// BenchmarkVMPauseCont is a VM verb through the router, a worker and the VM's own actor into
// libvirt's test driver and back: VM.pause and VM.cont in turn on a running VM, one at a time.
func BenchmarkVMPauseCont(b *testing.B) {
	a := startAgent(b)
	answers := make(collect, 1)
	params := map[string]any{"vmID": vmWeb1}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		method := "VM.pause"
		if i%2 == 1 {
			method = "VM.cont"
		}
		if body := call(b, a, answers, i, method, params); !isResult(body) {
			b.Fatalf("%s: %s", method, body)
		}
		i++
	}
}

// BenchmarkGetAllVmStats1000 is Host.getAllVmStats on a host with 1000 VMs created through
// VM.create (plus the host's own), answered from the latest sample.
func BenchmarkGetAllVmStats1000(b *testing.B) {
	a := startAgent(b)
	xml, err := os.ReadFile("../../testdata/domains/minimal.xml")
	if err != nil {
		b.Fatal(err)
	}
	const vms, window = 1000, 32
	answers := make(collect, window)
	for i := range vms {
		if i >= window {
			if body := <-answers; !isResult(body) {
				b.Fatalf("VM.create: %s", body)
			}
		}
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		x := strings.Replace(string(xml), "<name>minimal</name>", fmt.Sprintf("<name>bench-%d</name>", i), 1)
		x = strings.Replace(x, "<uuid>a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d</uuid>", "<uuid>"+id+"</uuid>", 1)
		send(b, a, answers, i, "VM.create", map[string]any{"vmID": id, "vmParams": map[string]any{"vmId": id, "xml": x}})
	}
	for range min(vms, window) {
		if body := <-answers; !isResult(body) {
			b.Fatalf("VM.create: %s", body)
		}
	}
	a.SampleNow()
	body := call(b, a, answers, 0, "Host.getAllVmStats", map[string]any{})
	var res struct{ Result []map[string]any }
	if err := json.Unmarshal(body, &res); err != nil || len(res.Result) < vms {
		b.Fatalf("Host.getAllVmStats: %d VMs, %v", len(res.Result), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if body = call(b, a, answers, 1, "Host.getAllVmStats", map[string]any{}); !isResult(body) {
			b.Fatalf("Host.getAllVmStats: %.200s", body)
		}
	}
	b.ReportMetric(float64(len(body)), "B/answer")
}
