package router

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/reply"
)

var codec = reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}

// recorder is a reply.Sender that keeps every Response, keyed by the request id in its body.
type recorder struct {
	mu   sync.Mutex
	byID map[string][]string
}

func newRecorder() *recorder { return &recorder{byID: map[string][]string{}} }

func (s *recorder) Send(_ *actor.PID, msg interface{}) {
	resp := msg.(*reply.Response)
	var w struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(resp.Body, &w); err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.byID[string(w.ID)] = append(s.byID[string(w.ID)], string(resp.Body))
	s.mu.Unlock()
}

func (s *recorder) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID[id])
}

func (s *recorder) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, b := range s.byID {
		n += len(b)
	}
	return n
}

func newReply(s reply.Sender, i int) *reply.Reply {
	return reply.New(s, codec, nil, "r", json.RawMessage(fmt.Sprint(i)))
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Many goroutines admit and answer at once: never more than limit are in flight, and once the
// dust settles exactly limit of a burst got in.
func TestAdmissionLimitUnderConcurrency(t *testing.T) {
	for _, limit := range []int{1, 3, 16} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			a := NewAdmission(limit)
			s := newRecorder()

			// A burst nobody answers: exactly limit get in.
			const burst = 64
			start := make(chan struct{})
			var wg sync.WaitGroup
			var admitted atomic.Int32
			held := make(chan *reply.Reply, burst)
			for i := 0; i < burst; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := newReply(s, i)
					<-start
					if a.Admit(r) {
						admitted.Add(1)
						held <- r
					}
				}()
			}
			close(start)
			wg.Wait()
			close(held)
			if got := admitted.Load(); got != int32(limit) {
				t.Fatalf("admitted %d of a burst of %d, limit %d", got, burst, limit)
			}
			if got := a.InFlight(); got != limit {
				t.Fatalf("InFlight %d, want %d", got, limit)
			}
			for r := range held {
				r.Result(true)
			}
			if got := a.InFlight(); got != 0 {
				t.Fatalf("InFlight %d after every admitted request was answered", got)
			}

			// Admit-and-answer churn: the requests we hold never exceed limit.
			var mine, peak atomic.Int32
			start = make(chan struct{})
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i := 0; i < 200; i++ {
						r := newReply(s, 1000*g+i)
						if !a.Admit(r) {
							continue
						}
						n := mine.Add(1)
						for {
							p := peak.Load()
							if n <= p || peak.CompareAndSwap(p, n) {
								break
							}
						}
						if n > int32(limit) {
							t.Errorf("%d requests in flight, limit %d", n, limit)
						}
						mine.Add(-1) // before the answer releases the slot
						r.Result(true)
					}
				}()
			}
			close(start)
			wg.Wait()
			if a.InFlight() != 0 {
				t.Fatalf("InFlight %d after the churn", a.InFlight())
			}
			if peak.Load() < 1 {
				t.Fatal("nothing was admitted during the churn")
			}
		})
	}
}

// Whatever answers a request (result, error, deadline, panic handler) releases its slot, once.
func TestAdmissionReleaseOnAnswer(t *testing.T) {
	answers := []struct {
		name string
		do   func(r *reply.Reply)
	}{
		{"result", func(r *reply.Reply) { r.Result(map[string]int{"a": 1}) }},
		{"error", func(r *reply.Reply) { r.Error(-32603, "boom") }},
		{"notification", nil},
	}
	for _, tt := range answers {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAdmission(2)
			s := newRecorder()
			r1, r2 := newReply(s, 1), newReply(s, 2)
			if tt.do == nil {
				r1 = reply.New(s, codec, nil, "r", nil)
			}
			if !a.Admit(r1) || !a.Admit(r2) {
				t.Fatal("admission refused within its limit")
			}
			if a.Admit(newReply(s, 3)) {
				t.Fatal("admitted past the limit")
			}
			if tt.do != nil {
				tt.do(r1)
			} else {
				r1.Result(true)
			}
			if got := a.InFlight(); got != 1 {
				t.Fatalf("InFlight %d after one answer, want 1", got)
			}
			// A second answer of the same request must not release another slot.
			r1.Error(1, "late")
			if got := a.InFlight(); got != 1 {
				t.Fatalf("InFlight %d after a late answer, want 1", got)
			}
			r4 := newReply(s, 4)
			if !a.Admit(r4) {
				t.Fatal("the released slot was not reusable")
			}
			if a.Admit(newReply(s, 5)) {
				t.Fatal("admitted past the limit after reuse")
			}
		})
	}
}

// A reply already answered when admitted does not keep its slot.
func TestAdmissionAdmitAnsweredReply(t *testing.T) {
	a := NewAdmission(1)
	r := newReply(newRecorder(), 1)
	r.Result(true)
	if !a.Admit(r) {
		t.Fatal("refused")
	}
	if a.InFlight() != 0 {
		t.Fatalf("InFlight %d: an answered request holds a slot", a.InFlight())
	}
}

// Drain closes its channel at once when idle, and otherwise only when the last admitted request
// is answered; while draining nothing is admitted; Drain may be called again.
func TestAdmissionDrain(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		a := NewAdmission(4)
		ch := a.Drain()
		if !closed(ch) {
			t.Fatal("Drain of an idle admission did not close at once")
		}
		if !a.Draining() {
			t.Fatal("Draining() false after Drain")
		}
		if a.Admit(newReply(newRecorder(), 1)) {
			t.Fatal("admitted while draining")
		}
		if ch2 := a.Drain(); ch2 != ch || !closed(ch2) {
			t.Fatal("a second Drain returned another or an open channel")
		}
	})
	t.Run("busy", func(t *testing.T) {
		a := NewAdmission(4)
		s := newRecorder()
		rs := []*reply.Reply{newReply(s, 1), newReply(s, 2), newReply(s, 3)}
		for _, r := range rs {
			if !a.Admit(r) {
				t.Fatal("refused")
			}
		}
		if a.Draining() {
			t.Fatal("Draining() before Drain")
		}
		ch := a.Drain()
		if a.Admit(newReply(s, 9)) {
			t.Fatal("admitted while draining")
		}
		for i, r := range rs {
			if closed(ch) {
				t.Fatalf("drained with %d of %d requests unanswered", len(rs)-i, len(rs))
			}
			r.Result(true)
		}
		if !closed(ch) {
			t.Fatal("not drained after every request was answered")
		}
		if a.Drain() != ch {
			t.Fatal("a second Drain returned another channel")
		}
	})
	t.Run("answered concurrently", func(t *testing.T) {
		const n = 50
		a := NewAdmission(n)
		s := newRecorder()
		rs := make([]*reply.Reply, n)
		for i := range rs {
			rs[i] = newReply(s, i)
			a.Admit(rs[i])
		}
		ch := a.Drain()
		var wg sync.WaitGroup
		for _, r := range rs {
			wg.Add(1)
			go func() { defer wg.Done(); r.Result(true) }()
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("not drained after every request was answered")
		}
		wg.Wait()
		if a.InFlight() != 0 {
			t.Fatalf("InFlight %d", a.InFlight())
		}
	})
}

// AnswerAll answers every live request exactly once, even while their own answers race it, and
// counts only the answers it gave.
func TestAdmissionAnswerAll(t *testing.T) {
	const n = 40
	for _, racing := range []bool{false, true} {
		t.Run(fmt.Sprintf("racing=%v", racing), func(t *testing.T) {
			a := NewAdmission(n)
			s := newRecorder()
			rs := make([]*reply.Reply, n)
			for i := range rs {
				rs[i] = newReply(s, i)
				if !a.Admit(rs[i]) {
					t.Fatal("refused")
				}
			}
			ch := a.Drain()
			var wg sync.WaitGroup
			var theirs atomic.Int32
			start := make(chan struct{})
			if racing {
				for i := 0; i < n; i += 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						if rs[i].Result("own") {
							theirs.Add(1)
						}
					}()
				}
			}
			close(start)
			got := a.AnswerAll(-32603, "Internal JSON-RPC error: {'reason': 'the agent is shutting down'}")
			wg.Wait()
			if got+int(theirs.Load()) != n {
				t.Fatalf("AnswerAll answered %d and the requests themselves %d: want %d in all", got, theirs.Load(), n)
			}
			if !racing && got != n {
				t.Fatalf("AnswerAll answered %d of %d", got, n)
			}
			for i := range rs {
				if c := s.count(fmt.Sprint(i)); c != 1 {
					t.Fatalf("request %d answered %d times", i, c)
				}
			}
			if s.total() != n {
				t.Fatalf("%d responses for %d requests", s.total(), n)
			}
			if a.InFlight() != 0 || !closed(ch) {
				t.Fatalf("after AnswerAll: InFlight %d, drained %v", a.InFlight(), closed(ch))
			}
			if again := a.AnswerAll(-32603, "again"); again != 0 {
				t.Fatalf("a second AnswerAll answered %d", again)
			}
		})
	}
}
