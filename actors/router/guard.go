package router

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/reply"
	"github.com/hostagent/hostagent/supervisor"
)

// guard runs an actor's receive behind the middleware the other actors get from protoactor
// (take a tick, answer on panic, then fault injection), with one envelope reused for every
// message.
// protoactor wraps each message of an actor that has receiver middleware in a fresh envelope:
// on the request path (the workers) that was an allocation per request. An actor
// handles one message at a time, so one envelope per actor is enough.
type guard struct {
	chain actor.ReceiverFunc
	env   actor.MessageEnvelope
}

func newGuard(log zerolog.Logger, kind string, faults *supervisor.Injector, receive func(actor.Context)) *guard {
	inner := func(c actor.ReceiverContext, _ *actor.MessageEnvelope) { receive(c.(actor.Context)) }
	return &guard{chain: system.TakeTicks(supervisor.AnswerOnPanic[*reply.Reply](log, kind)(faults.Middleware(kind)(inner)))}
}

func (g *guard) receive(c actor.Context) {
	g.env.Message = c.Message()
	defer func() { g.env.Message = nil }()
	g.chain(c, &g.env)
}
