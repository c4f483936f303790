// Package system sets up the protoactor runtime the agent's actors run on: one actor system whose
// logs go to zerolog, the pooled dispatcher every actor uses, and coalesced timer ticks. It holds
// no agent logic.
package system

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"
)

// New makes the actor system. protoactor logs every panic and dead letter at INFO through slog;
// those events are the agent's own to report (with stacks, ids and verbs), so the library's
// chatter is kept at warnings and above.
func New(log zerolog.Logger) *actor.ActorSystem {
	lib := log.With().Str("lib", "protoactor").Logger().Level(zerolog.WarnLevel)
	return actor.NewActorSystem(
		actor.WithLoggerFactory(func(s *actor.ActorSystem) *slog.Logger {
			return slog.New(zerolog.NewSlogHandler(lib))
		}),
		actor.WithDeadLetterRequestLogging(false),
	)
}
