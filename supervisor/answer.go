package supervisor

import (
	"fmt"
	"runtime/debug"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/reply"
)

// Answerable is a message that carries a request's reply handle.
type Answerable interface {
	Answer() *reply.Reply
}

// AnswerOnPanic makes a panicking actor answer the request it was handling (-32603) before the
// panic goes on to its supervisor. protoactor never answers a request whose target panicked, so
// without this the client would wait for ever. The stack is logged here, once, because
// protoactor's own log line has none.
func AnswerOnPanic(log zerolog.Logger, kind string) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			defer func() {
				if p := recover(); p != nil {
					ev := log.Error().Str("actor", kind).Str("pid", c.Self().Id).
						Str("message", fmt.Sprintf("%T", env.Message)).Interface("panic", p).
						Bytes("stack", debug.Stack())
					if a, ok := env.Message.(Answerable); ok && a.Answer() != nil {
						a.Answer().Error(-32603, fmt.Sprintf("Internal JSON-RPC error: {'reason': 'panic in %s: %v'}", kind, p))
					}
					ev.Msg("actor panicked; restarting it")
					panic(p)
				}
			}()
			next(c, env)
		}
	}
}
