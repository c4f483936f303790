package supervisor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/reply"
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
)

const wait = 10 * time.Second

var codec = reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}

// chanSender is a reply.Sender handing every Response to the test.
type chanSender chan *reply.Response

func (s chanSender) Send(_ *actor.PID, msg interface{}) { s <- msg.(*reply.Response) }

// syncBuffer is a log sink safe to write from actors and read from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// request is an Answerable message; before panicking, the actor answers it itself when
// answerFirst is set.
type request struct {
	r           *reply.Reply
	answerFirst bool
}

func (m *request) Answer() *reply.Reply { return m.r }

// plain is a message that carries no reply.
type plain struct{}

// whoAreYou asks the actor for its incarnation number.
type whoAreYou struct{}

// crasher panics on every request and plain message and reports each incarnation's Started.
type crasher struct {
	incarnation int
	started     chan int
}

func (a *crasher) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		a.started <- a.incarnation
	case *request:
		if m.answerFirst {
			m.r.Result("answered before the panic")
		}
		panic("boom")
	case *plain:
		panic("boom")
	case *whoAreYou:
		c.Respond(a.incarnation)
	}
}

func awaitInt(t *testing.T, ch <-chan int, what string) int {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-time.After(wait):
		t.Fatalf("no %s", what)
	}
	return 0
}

// AnswerOnPanic answers the request a panicking actor held with -32603 and its id, logs the
// panic with its stack, and re-panics so supervision still applies: the actor (root-level,
// protoactor's default one-for-one strategy) is restarted, with a second Started.
func TestAnswerOnPanic(t *testing.T) {
	tests := []struct {
		name    string
		msg     func(s reply.Sender) (any, *reply.Reply)
		wantErr bool   // the client gets the -32603 from the middleware
		wantRes string // the client gets this result instead
	}{
		{"answerable", func(s reply.Sender) (any, *reply.Reply) {
			r := reply.New(s, codec, nil, "to", json.RawMessage(`"id-1"`))
			return &request{r: r}, r
		}, true, ""},
		{"answered before the panic", func(s reply.Sender) (any, *reply.Reply) {
			r := reply.New(s, codec, nil, "to", json.RawMessage(`"id-1"`))
			return &request{r: r, answerFirst: true}, r
		}, false, `"answered before the panic"`},
		{"answerable without a reply", func(reply.Sender) (any, *reply.Reply) { return &request{}, nil }, false, ""},
		{"not answerable", func(reply.Sender) (any, *reply.Reply) { return &plain{}, nil }, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := system.New(zerolog.Nop())
			logs := &syncBuffer{}
			log := zerolog.New(logs)
			started := make(chan int, 16)
			var n atomic.Int32
			pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
				return &crasher{incarnation: int(n.Add(1)), started: started}
			}, actor.WithReceiverMiddleware(AnswerOnPanic(log, "test"))))
			defer func() {
				if err := sys.Root.PoisonFuture(pid).Wait(); err != nil {
					t.Errorf("stop: %v", err)
				}
			}()
			if got := awaitInt(t, started, "first Started"); got != 1 {
				t.Fatalf("first incarnation %d", got)
			}

			out := make(chanSender, 4)
			msg, r := tt.msg(out)
			lateBefore := reply.Late.Load()
			sys.Root.Send(pid, msg)

			// The panic went on to the supervisor: the actor was restarted.
			if got := awaitInt(t, started, "Started after the panic (was the panic swallowed?)"); got != 2 {
				t.Fatalf("incarnation after the panic %d, want 2", got)
			}
			res, err := sys.Root.RequestFuture(pid, &whoAreYou{}, wait).Result()
			if err != nil || res != 2 {
				t.Fatalf("after the restart the actor answered %v, %v; want incarnation 2", res, err)
			}

			if r != nil {
				if !r.Done() {
					t.Fatal("the request is unanswered")
				}
				var resp *reply.Response
				select {
				case resp = <-out:
				case <-time.After(wait):
					t.Fatal("no response")
				}
				var w struct {
					ID     json.RawMessage
					Result json.RawMessage
					Error  *struct {
						Code    int
						Message string
					}
				}
				if err := json.Unmarshal(resp.Body, &w); err != nil {
					t.Fatal(err)
				}
				if string(w.ID) != `"id-1"` {
					t.Fatalf("answered with id %s", w.ID)
				}
				if tt.wantErr {
					if w.Error == nil || w.Error.Code != -32603 ||
						w.Error.Message != "Internal JSON-RPC error: {'reason': 'panic in test: boom'}" {
						t.Fatalf("got %s", resp.Body)
					}
					if late := reply.Late.Load() - lateBefore; late != 0 {
						t.Fatalf("Late grew by %d", late)
					}
				} else {
					if string(w.Result) != tt.wantRes {
						t.Fatalf("got %s, want the handler's own answer", resp.Body)
					}
					if late := reply.Late.Load() - lateBefore; late != 1 {
						t.Fatalf("the middleware's answer was not counted late (Late +%d)", late)
					}
				}
			}
			select {
			case extra := <-out:
				t.Fatalf("a second response: %s", extra.Body)
			default:
			}

			l := logs.String()
			for _, want := range []string{`"actor":"test"`, "actor panicked; restarting it", `"panic":"boom"`,
				`"message":"` + typeName(msg) + `"`, `"stack":`, "(*crasher).Receive"} {
				if !strings.Contains(l, want) {
					t.Errorf("log %q lacks %q", l, want)
				}
			}
		})
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
