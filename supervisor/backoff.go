package supervisor

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"
)

// Backoff is a one-for-one supervision strategy with a restart budget and truly exponential,
// jittered delays. protoactor's own "exponential" strategy grows linearly and never gives up; a
// crash loop there spins for ever. Here the first failure restarts at once (a one-off panic must
// not cost time), each further failure within Window waits twice as long as the one before, up
// to Max, and past Budget failures within Window the child is stopped: its parent gets
// Terminated and reports it, instead of the agent dying or spinning.
type Backoff struct {
	Initial time.Duration // delay before the second restart
	Max     time.Duration
	Jitter  float64       // ± this fraction of each delay, so siblings do not restart in step
	Budget  int           // failures allowed within Window before the child is stopped
	Window  time.Duration //
	Kind    string        // actor kind, for the log line
	Log     zerolog.Logger
	// OnFailure is called for every failure handled (the restarts metric).
	OnFailure func()

	mu  sync.Mutex
	rng *rand.Rand
}

// DefaultBackoff restarts at once, then after 10 ms, 20 ms, ... up to 5 s, and gives up after 10
// failures in 30 s.
func DefaultBackoff(kind string, log zerolog.Logger) *Backoff {
	return &Backoff{Initial: 10 * time.Millisecond, Max: 5 * time.Second, Jitter: 0.2, Budget: 10, Window: 30 * time.Second, Kind: kind, Log: log}
}

// Delay is the wait before restarting after the n-th failure in the window (n ≥ 1), before jitter.
func (b *Backoff) Delay(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	d := b.Initial
	for i := 2; i < n && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	return d
}

func (b *Backoff) jitter(d time.Duration) time.Duration {
	if d <= 0 || b.Jitter <= 0 {
		return d
	}
	b.mu.Lock()
	if b.rng == nil {
		b.rng = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed))
	}
	f := 1 + b.Jitter*(2*b.rng.Float64()-1)
	b.mu.Unlock()
	return time.Duration(float64(d) * f)
}

// HandleFailure implements actor.SupervisorStrategy.
func (b *Backoff) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, rs *actor.RestartStatistics, reason interface{}, _ interface{}) {
	if b.OnFailure != nil {
		b.OnFailure()
	}
	rs.Fail()
	n := rs.NumberOfFailures(b.Window)
	if n > b.Budget {
		rs.Reset()
		b.Log.Error().Str("actor", b.Kind).Str("pid", child.Id).Int("failures", n).Dur("window", b.Window).
			Interface("reason", reason).Msg("restart budget spent: actor stopped")
		sup.StopChildren(child)
		return
	}
	d := b.jitter(b.Delay(n))
	if d <= 0 {
		sup.RestartChildren(child)
		return
	}
	b.Log.Warn().Str("actor", b.Kind).Str("pid", child.Id).Int("failures", n).Dur("restart_in", d).Msg("actor failing repeatedly; backing off")
	time.AfterFunc(d, func() { sup.RestartChildren(child) })
}
