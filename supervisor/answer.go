package supervisor

import (
	"fmt"
	"runtime/debug"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/pyrepr"
)

// Answer is a request's reply handle, as far as a panic needs it: the zero value means the
// message carries no request, and Error answers one (false when it was answered already).
type Answer interface {
	comparable
	Error(code int, message string) bool
}

// Answerable is a message that carries a request's reply handle.
type Answerable[A Answer] interface {
	Answer() A
}

// codeInternal is JSON-RPC's internal error, VDSM's answer to an exception nothing caught.
const codeInternal = -32603

// PanicMessage is the -32603 text for a panic in an actor of kind: VDSM's ContextException form,
// the reason rendered as Python's repr of the exception's str.
func PanicMessage(kind string, p any) string {
	return "Internal JSON-RPC error: {'reason': " + pyrepr.Repr(fmt.Sprintf("panic in %s: %v", kind, p)) + "}"
}

// AnswerOnPanic makes a panicking actor answer the request it was handling (-32603) before the
// panic goes on to its supervisor. protoactor never answers a request whose target panicked, so
// without this the client would wait for ever. The stack is logged here, once, because
// protoactor's own log line has none. A is the reply handle type the actor's messages carry;
// supervisor does not know it, so it stays below the actors that use it.
func AnswerOnPanic[A Answer](log zerolog.Logger, kind string) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			defer func() {
				if p := recover(); p != nil {
					ev := log.Error().Str("actor", kind).Str("pid", c.Self().Id).
						Str("message", fmt.Sprintf("%T", env.Message)).Interface("panic", p).
						Bytes("stack", debug.Stack())
					var none A
					if m, ok := env.Message.(Answerable[A]); ok && m.Answer() != none {
						m.Answer().Error(codeInternal, PanicMessage(kind, p))
					}
					ev.Msg("actor panicked; restarting it")
					panic(p)
				}
			}()
			next(c, env)
		}
	}
}
