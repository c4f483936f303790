package reply

import (
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/jsonrpc"
)

// codec is the production pair of encoders (actors/conn uses the same).
var codec = Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}

// sent is one call of Sender.Send.
type sent struct {
	pid *actor.PID
	msg interface{}
}

// fakeSender records every Send. The Sender interface is the seam between a Reply and the
// connection actor; recording it shows exactly what would reach the client.
type fakeSender struct {
	mu   sync.Mutex
	sent []sent
}

func (f *fakeSender) Send(pid *actor.PID, msg interface{}) {
	f.mu.Lock()
	f.sent = append(f.sent, sent{pid, msg})
	f.mu.Unlock()
}

func (f *fakeSender) all() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

// only returns the single Response sent to conn, failing the test unless exactly one was sent.
func (f *fakeSender) only(t *testing.T, conn *actor.PID) *Response {
	t.Helper()
	all := f.all()
	if len(all) != 1 {
		t.Fatalf("sender saw %d sends, want exactly 1: %+v", len(all), all)
	}
	if all[0].pid != conn {
		t.Fatalf("response sent to %v, want %v", all[0].pid, conn)
	}
	resp, ok := all[0].msg.(*Response)
	if !ok {
		t.Fatalf("sent %T, want *reply.Response", all[0].msg)
	}
	return resp
}

// wire is a decoded JSON-RPC response, strict enough to check the shape.
type wire struct {
	JSONRPC string           `json:"jsonrpc"`
	ID      json.RawMessage  `json:"id"`
	Result  *json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decode(t *testing.T, body []byte) wire {
	t.Helper()
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatalf("response %q is not JSON: %v", body, err)
	}
	if w.JSONRPC != "2.0" {
		t.Fatalf("response %s: jsonrpc %q", body, w.JSONRPC)
	}
	if (w.Result == nil) == (w.Error == nil) {
		t.Fatalf("response %s must have exactly one of result and error", body)
	}
	return w
}

var conn = actor.NewPID("nonhost", "conn$1")

// N goroutines race Result and Error on one Reply: exactly one wins, the sender sees exactly one
// Response carrying the winner's answer and the request's id, every loser is counted in Late,
// and every OnDone callback (registered before, during and after the race) runs exactly once.
func TestReplyExactlyOnceUnderContention(t *testing.T) {
	for _, n := range []int{2, 16, 128} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := &fakeSender{}
			r := New(s, codec, conn, "jms.topic.vdsm_responses", json.RawMessage(`"req-7"`))
			const callbacks = 8
			var runs [3 * callbacks]atomic.Int32
			for i := 0; i < callbacks; i++ {
				r.OnDone(func() { runs[i].Add(1) })
			}
			lateBefore := Late.Load()

			start := make(chan struct{})
			var wg sync.WaitGroup
			var wins atomic.Int32
			winner := make(chan int, n)
			for g := 0; g < n; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var won bool
					if g%2 == 0 {
						won = r.Result(map[string]int{"g": g})
					} else {
						won = r.Error(1000+g, fmt.Sprintf("error from %d", g))
					}
					if won {
						wins.Add(1)
						winner <- g
					}
				}()
			}
			// Callbacks registered while the answers race.
			for i := callbacks; i < 2*callbacks; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r.OnDone(func() { runs[i].Add(1) })
				}()
			}
			close(start)
			wg.Wait()
			// Callbacks registered after the answer run at once, in the caller.
			for i := 2 * callbacks; i < 3*callbacks; i++ {
				r.OnDone(func() { runs[i].Add(1) })
				if got := runs[i].Load(); got != 1 {
					t.Fatalf("OnDone registered after the answer: ran %d times before returning, want 1", got)
				}
			}

			if got := wins.Load(); got != 1 {
				t.Fatalf("%d answers won, want exactly 1", got)
			}
			if got := Late.Load() - lateBefore; got != int64(n-1) {
				t.Fatalf("Late grew by %d, want %d", got, n-1)
			}
			if !r.Done() {
				t.Fatal("Done() is false after an answer")
			}
			for i := range runs {
				if got := runs[i].Load(); got != 1 {
					t.Errorf("OnDone callback %d ran %d times, want 1", i, got)
				}
			}
			resp := s.only(t, conn)
			if resp.ReplyTo != "jms.topic.vdsm_responses" {
				t.Fatalf("ReplyTo %q", resp.ReplyTo)
			}
			w := decode(t, resp.Body)
			if string(w.ID) != `"req-7"` {
				t.Fatalf("id %s, want \"req-7\"", w.ID)
			}
			g := <-winner
			if g%2 == 0 {
				if w.Result == nil || string(*w.Result) != fmt.Sprintf(`{"g":%d}`, g) {
					t.Fatalf("winner %d answered a result but the client got %s", g, resp.Body)
				}
				if r.Code() != 0 {
					t.Fatalf("Code() = %d after a result, want 0", r.Code())
				}
			} else {
				if w.Error == nil || w.Error.Code != 1000+g || w.Error.Message != fmt.Sprintf("error from %d", g) {
					t.Fatalf("winner %d answered an error but the client got %s", g, resp.Body)
				}
				if r.Code() != 1000+g {
					t.Fatalf("Code() = %d, want %d", r.Code(), 1000+g)
				}
			}
			// Answering again after the race changes nothing.
			if r.Result(true) || r.Error(1, "again") {
				t.Fatal("an answer after the first one won")
			}
			if len(s.all()) != 1 {
				t.Fatal("a late answer reached the sender")
			}
		})
	}
}

// A notification (no id) is run and never answered: the winner sends nothing, the OnDone
// callbacks still run (they release the admission slot), and later answers are still late.
func TestReplyNotificationSendsNothing(t *testing.T) {
	tests := []struct {
		name   string
		answer func(r *Reply) bool
		code   int
	}{
		{"result", func(r *Reply) bool { return r.Result(map[string]any{"x": 1}) }, 0},
		{"error", func(r *Reply) bool { return r.Error(42, "Not implemented") }, 42},
		{"unencodable result", func(r *Reply) bool { return r.Result(math.NaN()) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeSender{}
			r := New(s, codec, conn, "dest", nil)
			if r.ID() != nil {
				t.Fatalf("ID() = %s, want nil", r.ID())
			}
			var runs atomic.Int32
			r.OnDone(func() { runs.Add(1) })
			lateBefore := Late.Load()
			if !tt.answer(r) {
				t.Fatal("the first answer of a notification did not win")
			}
			if r.Code() != tt.code {
				t.Fatalf("Code() = %d, want %d", r.Code(), tt.code)
			}
			if r.Error(1, "late") {
				t.Fatal("a second answer won")
			}
			r.OnDone(func() { runs.Add(1) })
			if got := runs.Load(); got != 2 {
				t.Fatalf("OnDone ran %d times in all, want 2 (once each)", got)
			}
			if got := Late.Load() - lateBefore; got != 1 {
				t.Fatalf("Late grew by %d, want 1", got)
			}
			if all := s.all(); len(all) != 0 {
				t.Fatalf("a notification was answered: %+v", all)
			}
		})
	}
}

// The answer carries the request's id byte for byte, whatever its JSON type.
func TestReplyKeepsID(t *testing.T) {
	for _, id := range []string{`1`, `0`, `-5`, `1.5e3`, `"abc"`, `""`, `"\u00e9"`, `null`} {
		t.Run(id, func(t *testing.T) {
			for _, kind := range []string{"result", "error"} {
				s := &fakeSender{}
				r := New(s, codec, conn, "d", json.RawMessage(id))
				if string(r.ID()) != id || r.Conn() != conn {
					t.Fatalf("ID()=%s Conn()=%v", r.ID(), r.Conn())
				}
				if kind == "result" {
					r.Result("ok")
				} else {
					r.Error(-32601, "no")
				}
				w := decode(t, s.only(t, conn).Body)
				if string(w.ID) != id {
					t.Fatalf("%s: id %s, want %s", kind, w.ID, id)
				}
			}
		})
	}
}

// A result that cannot be encoded becomes a -32603 error with the request's id: the client gets
// an answer, not silence and not half a response.
func TestReplyUnencodableResult(t *testing.T) {
	tests := []struct {
		name   string
		result any
	}{
		{"NaN", math.NaN()},
		{"+Inf", math.Inf(1)},
		{"NaN nested", map[string]any{"cpu": []float64{1, math.NaN()}}},
		{"channel", make(chan int)},
		{"function", func() {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeSender{}
			r := New(s, codec, conn, "d", json.RawMessage(`17`))
			var code int
			r.OnDone(func() { code = r.Code() })
			if !r.Result(tt.result) {
				t.Fatal("the first answer did not win")
			}
			w := decode(t, s.only(t, conn).Body)
			if string(w.ID) != "17" {
				t.Fatalf("id %s, want 17", w.ID)
			}
			if w.Error == nil || w.Error.Code != -32603 {
				t.Fatalf("got %+v, want a -32603 error", w)
			}
			if want := "Internal JSON-RPC error: {'reason': 'result cannot be encoded'}"; w.Error.Message != want {
				t.Fatalf("message %q, want %q", w.Error.Message, want)
			}
			if r.Code() != -32603 || code != -32603 {
				t.Fatalf("Code() = %d (in OnDone: %d), want -32603", r.Code(), code)
			}
		})
	}
}

func respBody(t *testing.T, id string, result any) []byte {
	t.Helper()
	b, err := jsonrpc.AppendResult(nil, json.RawMessage(id), result)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// permutations of 0..n-1, in lexical order.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// A batch's answers arrive in any order, Seal may come before, between or after them, and the
// client gets exactly one array, in element order, with the immediate answers (invalid
// elements) in their places and nothing for the notifications.
func TestBatchOrderAndSeal(t *testing.T) {
	for _, order := range permutations(3) {
		for sealAfter := 0; sealAfter <= 3; sealAfter++ { // Seal after this many answers
			t.Run(fmt.Sprintf("answers%v/seal-after-%d", order, sealAfter), func(t *testing.T) {
				s := &fakeSender{}
				b := NewBatch(s, conn, "replies", jsonrpc.AppendBatch)
				b.Hold()
				invalid := jsonrpc.AppendError(nil, nil, -32600, "Invalid request")
				r0 := b.Add(codec, json.RawMessage(`1`))
				note1 := b.Add(codec, nil)
				b.Immediate(invalid)
				r1 := b.Add(codec, json.RawMessage(`"two"`))
				note2 := b.Add(codec, nil)
				r2 := b.Add(codec, json.RawMessage(`3`))
				rs := []*Reply{r0, r1, r2}
				answer := []func(){
					func() { r0.Result("zero") },
					func() { r1.Error(1, "Virtual machine does not exist") },
					func() { r2.Result([]int{2}) },
				}
				// Notifications take no slot and answering them sends nothing.
				note1.Result(true)
				note2.Error(5, "x")
				for i, k := range order {
					if i == sealAfter {
						b.Seal()
					}
					if len(s.all()) != 0 {
						t.Fatalf("batch sent after %d of 3 answers", i)
					}
					answer[k]()
				}
				if sealAfter == 3 {
					if len(s.all()) != 0 {
						t.Fatal("batch sent before Seal")
					}
					b.Seal()
				}
				for i, r := range rs {
					if !r.Done() {
						t.Fatalf("element %d not done", i)
					}
				}
				want := jsonrpc.AppendBatch(nil, [][]byte{
					respBody(t, `1`, "zero"),
					invalid,
					jsonrpc.AppendError(nil, json.RawMessage(`"two"`), 1, "Virtual machine does not exist"),
					respBody(t, `3`, []int{2}),
				})
				resp := s.only(t, conn)
				if string(resp.Body) != string(want) {
					t.Fatalf("batch\n got %s\nwant %s", resp.Body, want)
				}
				if resp.ReplyTo != "replies" {
					t.Fatalf("ReplyTo %q", resp.ReplyTo)
				}
				// Late answers to elements change nothing.
				r0.Error(2, "late")
				b2 := len(s.all())
				if b2 != 1 {
					t.Fatalf("%d sends after a late answer, want 1", b2)
				}
			})
		}
	}
}

// The reader submits each element as soon as it is added, so an element can be answered before
// the next is added; Hold keeps the batch from being sent half-built.
func TestBatchAnswerBeforeLaterAdd(t *testing.T) {
	s := &fakeSender{}
	b := NewBatch(s, conn, "r", jsonrpc.AppendBatch)
	b.Hold()
	r0 := b.Add(codec, json.RawMessage(`1`))
	r0.Result("a")
	if len(s.all()) != 0 {
		t.Fatal("batch sent with one of its elements not yet added")
	}
	r1 := b.Add(codec, json.RawMessage(`2`))
	r1.Result("b")
	if len(s.all()) != 0 {
		t.Fatal("batch sent before Seal")
	}
	b.Seal()
	want := jsonrpc.AppendBatch(nil, [][]byte{respBody(t, `1`, "a"), respBody(t, `2`, "b")})
	if got := s.only(t, conn).Body; string(got) != string(want) {
		t.Fatalf("got %s want %s", got, want)
	}
}

// Batches with nothing to wait for: all notifications send nothing; only immediate answers
// are sent at Seal; an unencodable element becomes its own -32603 in its slot.
func TestBatchEdgeCases(t *testing.T) {
	invalid := jsonrpc.AppendError(nil, nil, -32600, "Invalid request")
	tests := []struct {
		name  string
		build func(b *Batch)
		want  func(t *testing.T) []byte // nil: nothing is sent
	}{
		{"all notifications", func(b *Batch) {
			for i := 0; i < 3; i++ {
				n := b.Add(codec, nil)
				n.Result(true)
			}
		}, nil},
		{"only immediate answers", func(b *Batch) {
			b.Immediate(invalid)
			b.Immediate(invalid)
		}, func(t *testing.T) []byte { return jsonrpc.AppendBatch(nil, [][]byte{invalid, invalid}) }},
		{"notification and unencodable element", func(b *Batch) {
			n := b.Add(codec, nil)
			r := b.Add(codec, json.RawMessage(`9`))
			n.Result(true)
			r.Result(math.NaN())
		}, func(t *testing.T) []byte {
			return jsonrpc.AppendBatch(nil, [][]byte{
				jsonrpc.AppendError(nil, json.RawMessage(`9`), -32603, "Internal JSON-RPC error: {'reason': 'result cannot be encoded'}"),
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeSender{}
			b := NewBatch(s, conn, "r", jsonrpc.AppendBatch)
			b.Hold()
			tt.build(b)
			b.Seal()
			if tt.want == nil {
				if all := s.all(); len(all) != 0 {
					t.Fatalf("sent %+v, want nothing", all)
				}
				return
			}
			if got, want := s.only(t, conn).Body, tt.want(t); string(got) != string(want) {
				t.Fatalf("got %s want %s", got, want)
			}
		})
	}
}

// Answers from many goroutines, racing Seal and racing each other per element: one array, in
// element order, every element answered by exactly one of its racers.
func TestBatchConcurrentAnswers(t *testing.T) {
	const elements, racers = 32, 4
	s := &fakeSender{}
	b := NewBatch(s, conn, "r", jsonrpc.AppendBatch)
	b.Hold()
	rs := make([]*Reply, elements)
	for i := range rs {
		rs[i] = b.Add(codec, json.RawMessage(fmt.Sprint(i)))
	}
	lateBefore := Late.Load()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range rs {
		for k := 0; k < racers; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				rs[i].Result(i) // every racer of element i answers the same value
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		b.Seal()
	}()
	close(start)
	wg.Wait()
	if got := Late.Load() - lateBefore; got != elements*(racers-1) {
		t.Fatalf("Late grew by %d, want %d", got, elements*(racers-1))
	}
	parts := make([][]byte, elements)
	for i := range parts {
		parts[i] = respBody(t, fmt.Sprint(i), i)
	}
	if got, want := s.only(t, conn).Body, jsonrpc.AppendBatch(nil, parts); string(got) != string(want) {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

// copyingDeliverer is a Deliverer that keeps a copy of every body, as the connections' fanout
// copies it into the outboxes.
type copyingDeliverer struct {
	fakeSender
	bodies []string
	to     []string
}

func (d *copyingDeliverer) Deliver(conn *actor.PID, replyTo string, body []byte) {
	d.mu.Lock()
	d.bodies = append(d.bodies, string(body))
	d.to = append(d.to, conn.Id+"/"+replyTo)
	d.mu.Unlock()
}

// To a Deliverer an answer goes as its parts, with no Response, and the buffer it was encoded
// in is reused: answers one after another each arrive whole and exactly once.
func TestDelivererGetsEachAnswerOnce(t *testing.T) {
	d := &copyingDeliverer{}
	conn := actor.NewPID("local", "c")
	var want []string
	for i := range 100 {
		r := New(d, codec, conn, "q", json.RawMessage(fmt.Sprint(i)))
		if i%3 == 0 {
			r.Error(-1, fmt.Sprint("no ", i))
			want = append(want, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"error":{"code":-1,"message":"no %d"}}`, i, i))
		} else {
			r.Result(map[string]int{"n": i})
			want = append(want, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":{"n":%d}}`, i, i))
		}
		r.Result(true) // late: never delivered
	}
	if n := len(d.all()); n != 0 {
		t.Fatalf("%d Responses sent to a Deliverer", n)
	}
	if len(d.bodies) != len(want) {
		t.Fatalf("%d answers delivered, want %d", len(d.bodies), len(want))
	}
	for i := range want {
		var got, exp any
		json.Unmarshal([]byte(d.bodies[i]), &got)
		json.Unmarshal([]byte(want[i]), &exp)
		if fmt.Sprint(got) != fmt.Sprint(exp) || d.to[i] != "c/q" {
			t.Fatalf("answer %d: %s to %s, want %s", i, d.bodies[i], d.to[i], want[i])
		}
	}
}

// orderHook records, against what its sender has seen, when it is told of the answer.
type orderHook struct {
	seen   func() int
	before []int // deliveries seen when Answering ran
	after  []int // deliveries seen when Answered ran
}

func (h *orderHook) Answering(*Reply) { h.before = append(h.before, h.seen()) }
func (h *orderHook) Answered(*Reply)  { h.after = append(h.after, h.seen()) }

// An Observer records the answer before it is handed on (so whoever has the answer can read
// what it recorded), and is told once more, as every Hook, after: for results and errors, to a
// Deliverer and to a plain Sender, and once only when answers race.
func TestObserverToldBeforeDelivery(t *testing.T) {
	conn := actor.NewPID("local", "c")
	d := &copyingDeliverer{}
	f := &fakeSender{}
	cases := []struct {
		name   string
		sender Sender
		seen   func() int
		answer func(r *Reply)
	}{
		{"result to a Deliverer", d, func() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.bodies) }, func(r *Reply) { r.Result(true) }},
		{"error to a Deliverer", d, func() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.bodies) }, func(r *Reply) { r.Error(-1, "no") }},
		{"result to a Sender", f, func() int { return len(f.all()) }, func(r *Reply) { r.Result(true) }},
		{"error to a Sender", f, func() int { return len(f.all()) }, func(r *Reply) { r.Error(-1, "no") }},
	}
	for _, tc := range cases {
		before := tc.seen()
		h := &orderHook{seen: tc.seen}
		r := New(tc.sender, codec, conn, "q", json.RawMessage(`1`))
		r.AddHook(h)
		tc.answer(r)
		tc.answer(r) // late: tells nobody
		if fmt.Sprint(h.before) != fmt.Sprint([]int{before}) || fmt.Sprint(h.after) != fmt.Sprint([]int{before + 1}) {
			t.Errorf("%s: Answering saw %v deliveries and Answered %v, want [%d] and [%d]", tc.name, h.before, h.after, before, before+1)
		}
	}
}
