package vm

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/virt"
)

// sampleTick is the sampler's timer; coalesced, so a slow bulk-stats call leaves one waiting.
type sampleTick struct{ system.Coalesced }

// SampleNow takes a sample at once and closes Done once the registry has been sent it; a request
// to the registry sent after Done sees the sample. Tests use it instead of waiting for the timer.
type SampleNow struct{ Done chan struct{} }

// Sampler takes one bulk stats reading of every domain per interval and hands it to the
// registry. It is its own actor so a slow bulk call delays only sampling: verbs, events and
// getAllVmStats go on, and the samples' age shows up as monitorResponse "-1".
//
// Owns: its timer only; each reading goes on at once.
// Takes: *sampleTick (its coalesced timer), *SampleNow (tests).
// Sends: *samples (each reading) to the registry, which keeps every VM's latest.
type Sampler struct {
	lv       *virt.Conn
	registry *actor.PID
	every    time.Duration
	log      zerolog.Logger
	stop     chan struct{}
}

// NewSampler makes the sampler's producer.
func NewSampler(lv *virt.Conn, registry *actor.PID, every time.Duration, log zerolog.Logger) actor.Producer {
	return func() actor.Actor { return &Sampler{lv: lv, registry: registry, every: every, log: log} }
}

func (s *Sampler) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		s.stop = make(chan struct{})
		c.Send(c.Self(), &sampleTick{})
		system.Tick(c.ActorSystem().Root, c.Self(), s.every, &sampleTick{}, s.stop)
	case *actor.Stopping, *actor.Restarting:
		if s.stop != nil {
			close(s.stop)
			s.stop = nil
		}
	case *sampleTick:
		m.Take()
		s.sample(c)
	case *SampleNow:
		s.sample(c)
		close(m.Done)
	}
}

func (s *Sampler) sample(c actor.Context) {
	st, err := s.lv.AllStats()
	if err != nil {
		s.log.Warn().Err(err).Msg("bulk VM stats")
		return
	}
	c.Send(s.registry, &samples{stats: st})
}
