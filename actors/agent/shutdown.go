package agent

// Shutdown: the drain of the requests in flight, bounded by the grace, then the rest of the
// agent taken apart within SettleTime, whatever its actors are doing.

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// ErrGraceExpired is Shutdown's report that some requests had to be answered with an error
// because they did not finish within the grace period.
var ErrGraceExpired = errors.New("grace period expired before every request finished")

// SettleTime is what Shutdown takes at most past the moment every request is answered (or the
// grace ends): the answers reach their sockets and the actors stop, all at once. An actor that
// has not stopped by then is stuck in its turn (a libvirt call that does not return) and is left
// to the process's exit: it has cost its own answer and this bound, nothing else.
const SettleTime = 5 * time.Second

// Shutdown stops accepting, lets every admitted request finish (up to grace; what is left is
// answered with an error, never dropped), lets the answers reach their sockets, then closes
// everything. It returns within grace + SettleTime whatever the actors are doing.
func (a *Agent) Shutdown(grace time.Duration) error {
	a.stopOnce.Do(func() { a.stopErr = a.shutdown(grace) })
	return a.stopErr
}

func (a *Agent) shutdown(grace time.Duration) error {
	log := a.cfg.Log
	a.listener.Stop()
	drained := a.admission.Drain()
	if n := a.admission.InFlight(); n > 0 {
		log.Info().Int("in_flight", n).Dur("grace", grace).Msg("waiting for the requests in flight")
	}
	var err error
	over := time.NewTimer(grace)
	select {
	case <-drained:
		over.Stop()
	case <-over.C:
		n := a.admission.AnswerAll(vdsm.CodeInternal, vdsm.Internal("the agent is shutting down").Message)
		log.Warn().Int("answered", n).Msg("grace period over; answered the rest with an error")
		err = ErrGraceExpired
	}
	// Every request is answered now. The rest happens at once, and nothing waits for it past
	// SettleTime: the connections write the answers queued in their outboxes and close, the
	// actors handle what is in their mailboxes and stop, the metrics endpoint closes, and the
	// libvirt connection closes once nothing that calls libvirt runs any more.
	end := time.Now().Add(SettleTime)
	abandon := make(chan struct{})
	defer close(abandon)
	flushed := after(func() { a.listener.CloseAll(time.Until(end)) })
	type stage struct {
		name string
		done <-chan struct{}
	}
	var stages []stage
	for _, s := range []struct {
		name string
		pid  *actor.PID
	}{{"router", a.router}, {"sampler", a.sampler}, {"vm registry", a.registry}, {"net", a.net}, {"host", a.host}, {"broker", a.broker}} {
		if s.pid != nil {
			stages = append(stages, stage{s.name, a.poison(s.pid)})
		}
	}
	actors := slices.Clone(stages)
	if ms := a.mserver; ms != nil {
		a.mserver = nil
		stages = append(stages, stage{"metrics endpoint", after(func() { ms.Close() })})
	}
	if lv := a.lv; lv != nil {
		a.lv = nil
		// Once every actor has stopped: closing it under a call still running would free what
		// the call uses.
		stages = append(stages, stage{"libvirt connection", after(func() {
			for _, s := range actors {
				select {
				case <-s.done:
				case <-abandon:
					return
				}
			}
			lv.Close()
		})})
	}
	settled := time.NewTimer(time.Until(end))
	defer settled.Stop()
	timeUp := false
	// in reports whether ch closed by end; once end has passed, it only looks.
	in := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
		}
		if timeUp {
			return false
		}
		select {
		case <-ch:
			return true
		case <-settled.C:
			timeUp = true
			return false
		}
	}
	var left []string
	for _, s := range append(stages, stage{"connections' last writes", flushed}) {
		if !in(s.done) {
			left = append(left, s.name)
		}
	}
	if len(left) > 0 {
		// An actor that did not stop is stuck in its turn, most likely in a libvirt call that
		// does not return; the process's exit ends it, and closes what is still open.
		log.Warn().Strs("left", left).Dur("settle", SettleTime).Msg("not stopped in time; left to the process's exit")
	}
	if a.tmpHost != "" {
		os.RemoveAll(filepath.Dir(a.tmpHost))
		a.tmpHost = ""
	}
	return err
}

// after runs f on a goroutine; the channel closes when it returns.
func after(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	return done
}

// poison tells pid to stop once its mailbox is handled; the channel closes when it has stopped.
func (a *Agent) poison(pid *actor.PID) <-chan struct{} {
	f := a.sys.Root.PoisonFuture(pid)
	stopped := make(chan struct{})
	go func() {
		// protoactor's own time-out (10 s, past SettleTime) ends this goroutine.
		if f.Wait() == nil {
			close(stopped)
		}
	}()
	return stopped
}
