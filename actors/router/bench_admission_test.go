package router_test

import (
	"encoding/json"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/reply"
)

type discard struct{}

func (discard) Send(*actor.PID, interface{}) {}

// BenchmarkAdmission is admitting a request and answering it (which releases its slot): the
// part of every request's cost that all connections contend for.
func BenchmarkAdmission(b *testing.B) {
	id := json.RawMessage(`"0d2c3b4a-5968-4776-8594-a3b2c1d0e9f8"`)
	b.Run("serial", func(b *testing.B) {
		a := router.NewAdmission(88)
		b.ReportAllocs()
		for b.Loop() {
			r := reply.New(discard{}, codec, nil, "", id)
			if !a.Admit(r) {
				b.Fatal("refused")
			}
			r.Result(true)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		a := router.NewAdmission(1024) // far above the goroutines RunParallel starts
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := reply.New(discard{}, codec, nil, "", id)
				if !a.Admit(r) {
					b.Error("refused")
					return
				}
				r.Result(true)
			}
		})
	})
}
