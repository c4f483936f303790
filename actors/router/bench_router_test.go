package router_test

import (
	"encoding/json"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/actors/verbs"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/reply"
)

// codec is the JSON-RPC encoding the connection reader gives every reply.
var codec = reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}

// windowSender stands in for the connection actor: each answer frees a place in the window.
type windowSender struct{ window chan struct{} }

func (s windowSender) Send(*actor.PID, interface{}) { <-s.window }

// benchGate is a gate and router with 8 workers over a table of Host.ping2 alone.
func benchGate(b *testing.B) *router.Gate {
	sys := system.New(zerolog.Nop())
	table := verbs.NewTable(verbs.Verb{Name: "Host.ping2", Run: func(*verbs.Call) (any, error) { return true, nil }})
	const workers, queue = 8, 1024
	cfg := router.Config{
		Workers: workers, Queue: queue, Deadline: time.Minute, Table: table, Env: &verbs.Env{},
		Admission: router.NewAdmission(workers + queue), Pool: router.NewPool(), Log: zerolog.Nop(),
	}
	pid := sys.Root.Spawn(router.New(cfg))
	gate := router.NewGate(sys.Root, cfg)
	b.Cleanup(func() { sys.Root.PoisonFuture(pid).Wait() })
	return gate
}

// BenchmarkRouter is one request through the gate's admission, a worker, the verb table and the
// reply's encoding, with no socket and no connection actor: what the actor hops cost, with 1 or
// more requests in flight.
func BenchmarkRouter(b *testing.B) {
	gate := benchGate(b)
	ids := make([]json.RawMessage, 1024)
	for i := range ids {
		ids[i] = json.RawMessage(strconv.Itoa(i))
	}
	for _, inFlight := range []int{1, 16, 128} {
		b.Run("inflight="+strconv.Itoa(inFlight), func(b *testing.B) {
			s := windowSender{window: make(chan struct{}, inFlight)}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.window <- struct{}{}
				r := reply.New(s, codec, nil, "", ids[i%len(ids)])
				gate.Submit(&router.Request{Reply: r, Method: "Host.ping2"})
				i++
			}
			for range inFlight {
				s.window <- struct{}{}
			}
		})
	}
}

// BenchmarkRouterReaders is BenchmarkRouter with eight submitters at once, as eight connections'
// readers are, each with 16 requests in flight: what contention on the shared path costs.
func BenchmarkRouterReaders(b *testing.B) {
	gate := benchGate(b)
	b.ReportAllocs()
	b.SetParallelism(8 / min(8, runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		s := windowSender{window: make(chan struct{}, 16)}
		id := json.RawMessage("1")
		for pb.Next() {
			s.window <- struct{}{}
			gate.Submit(&router.Request{Reply: reply.New(s, codec, nil, "", id), Method: "Host.ping2"})
		}
		for range 16 {
			s.window <- struct{}{}
		}
	})
}
