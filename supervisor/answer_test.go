package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"
)

const wait = 10 * time.Second

// answer is a reply handle that records every answer given to it; the first one counts, as with
// the agent's reply.Reply.
type answer struct {
	mu      sync.Mutex
	answers []string
}

func (a *answer) Error(code int, message string) bool {
	return a.give(fmt.Sprintf("error %d %s", code, message))
}

func (a *answer) give(s string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answers = append(a.answers, s)
	return len(a.answers) == 1
}

func (a *answer) given() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.answers...)
}

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
	a           *answer
	answerFirst bool
}

func (m *request) Answer() *answer { return m.a }

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
			m.a.give("result")
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

// newSystem is an actor system whose own log is quiet: the tests read the middleware's log.
func newSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithDeadLetterRequestLogging(false))
}

// AnswerOnPanic answers the request a panicking actor held with -32603, logs the panic with its
// stack, and re-panics so supervision still applies: the actor (root-level, protoactor's default
// one-for-one strategy) is restarted, with a second Started.
func TestAnswerOnPanic(t *testing.T) {
	tests := []struct {
		name string
		msg  func() (any, *answer)
		want []string // every answer the request's handle was given, in order
	}{
		{"answerable", func() (any, *answer) {
			a := &answer{}
			return &request{a: a}, a
		}, []string{"error -32603 Internal JSON-RPC error: {'reason': 'panic in test: boom'}"}},
		// The middleware still tries; the handle keeps the first answer (it reports false).
		{"answered before the panic", func() (any, *answer) {
			a := &answer{}
			return &request{a: a, answerFirst: true}, a
		}, []string{"result", "error -32603 Internal JSON-RPC error: {'reason': 'panic in test: boom'}"}},
		{"answerable without a reply", func() (any, *answer) { return &request{}, nil }, nil},
		{"not answerable", func() (any, *answer) { return &plain{}, nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := newSystem()
			logs := &syncBuffer{}
			log := zerolog.New(logs)
			started := make(chan int, 16)
			var n atomic.Int32
			pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
				return &crasher{incarnation: int(n.Add(1)), started: started}
			}, actor.WithReceiverMiddleware(AnswerOnPanic[*answer](log, "test"))))
			defer func() {
				if err := sys.Root.PoisonFuture(pid).Wait(); err != nil {
					t.Errorf("stop: %v", err)
				}
			}()
			if got := awaitInt(t, started, "first Started"); got != 1 {
				t.Fatalf("first incarnation %d", got)
			}

			msg, a := tt.msg()
			sys.Root.Send(pid, msg)

			// The panic went on to the supervisor: the actor was restarted.
			if got := awaitInt(t, started, "Started after the panic (was the panic swallowed?)"); got != 2 {
				t.Fatalf("incarnation after the panic %d, want 2", got)
			}
			// The restart comes after the middleware returned, so the answers are all in.
			res, err := sys.Root.RequestFuture(pid, &whoAreYou{}, wait).Result()
			if err != nil || res != 2 {
				t.Fatalf("after the restart the actor answered %v, %v; want incarnation 2", res, err)
			}
			if a != nil {
				if got := a.given(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Fatalf("answers %q, want %q", got, tt.want)
				}
			}

			l := logs.String()
			for _, want := range []string{`"actor":"test"`, "actor panicked; restarting it", `"panic":"boom"`,
				`"message":"` + fmt.Sprintf("%T", msg) + `"`, `"stack":`, "(*crasher).Receive"} {
				if !strings.Contains(l, want) {
					t.Errorf("log %q lacks %q", l, want)
				}
			}
		})
	}
}

// The reason is Python's repr of the panic's text, as VDSM renders str(exception) in the context
// dict: quotes switch when the text holds one, escapes are Python's.
func TestPanicMessage(t *testing.T) {
	tests := []struct {
		p    any
		want string
	}{
		{"boom", `Internal JSON-RPC error: {'reason': 'panic in vm: boom'}`},
		{"can't", `Internal JSON-RPC error: {'reason': "panic in vm: can't"}`},
		{errors.New(`it's "x"`), `Internal JSON-RPC error: {'reason': 'panic in vm: it\'s "x"'}`},
		{"line\nnext", `Internal JSON-RPC error: {'reason': 'panic in vm: line\nnext'}`},
		{42, `Internal JSON-RPC error: {'reason': 'panic in vm: 42'}`},
	}
	for _, tt := range tests {
		if got := PanicMessage("vm", tt.p); got != tt.want {
			t.Errorf("PanicMessage(%#v) = %s, want %s", tt.p, got, tt.want)
		}
	}
}
