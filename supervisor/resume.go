package supervisor

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"
)

// Resume is the strategy for the agent's stateful singletons (router, VM registry, broker, host
// actor). Restarting one would throw its state away — the pool, the VM read model, every
// subscription — and protoactor stops a restarting actor's children, so a restart of the router
// or the registry would take every worker or VM actor with it. Their panics happen in one
// message's turn, that message is answered by AnswerOnPanic, and the actor resumes with the
// next one.
type Resume struct {
	Kind      string
	Log       zerolog.Logger
	OnFailure func()
}

// HandleFailure implements actor.SupervisorStrategy.
func (r *Resume) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason interface{}, _ interface{}) {
	if r.OnFailure != nil {
		r.OnFailure()
	}
	r.Log.Warn().Str("actor", r.Kind).Str("pid", child.Id).Interface("reason", reason).Msg("actor failed on one message; resuming it")
	sup.ResumeChildren(child)
}
