package router

import (
	"fmt"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/reply"
)

// BenchmarkPoolHandOver is the pool's share of one request with eight workers and jobs waiting
// (the 8×16 bench's steady state): the gate's Put, then a worker's Ready taking the queue's head.
func BenchmarkPoolHandOver(b *testing.B) {
	p := NewPool()
	var ws []*actor.PID
	for i := range 8 {
		w := actor.NewPID("local", fmt.Sprintf("$1/worker$%d", i))
		ws = append(ws, w)
		p.Ready(w)
	}
	jobs := make([]job, 64)
	for i := range jobs {
		jobs[i].req = &Request{Reply: &reply.Reply{}}
	}
	for i := range 8 + 8 {
		p.Put(&jobs[i%len(jobs)])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.Put(&jobs[i%len(jobs)])
		p.Ready(ws[i%len(ws)])
		i++
	}
}
