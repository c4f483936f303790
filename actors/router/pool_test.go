package router

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/reply"
)

// check verifies the invariants documented on Pool.
func (p *Pool) check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	idle := map[string]bool{}
	for _, m := range p.idle {
		w := m.pid
		if idle[w.Id] {
			return fmt.Errorf("%s idle twice", w.Id)
		}
		idle[w.Id] = true
		if !m.idle || m.job != nil || m.retired {
			return fmt.Errorf("%s idle and busy or retired", w.Id)
		}
	}
	if p.head < len(p.queue) && len(p.idle) > 0 {
		return fmt.Errorf("%d jobs wait while %d workers are idle", len(p.queue)-p.head, len(p.idle))
	}
	seen := map[*job]bool{}
	ids := map[string]bool{}
	for _, m := range p.members {
		id := m.pid.Id
		if ids[id] {
			return fmt.Errorf("%s a member twice", id)
		}
		ids[id] = true
		if m.idle != idle[id] {
			return fmt.Errorf("%s idle flag %v, in the idle list %v", id, m.idle, idle[id])
		}
		j := m.job
		if j == nil {
			continue
		}
		if m.retired {
			return fmt.Errorf("%s busy and retired", id)
		}
		if j.worker != m {
			return fmt.Errorf("job under %s names another worker", id)
		}
		if seen[j] {
			return fmt.Errorf("a job is with two workers")
		}
		seen[j] = true
	}
	for id := range idle {
		if !ids[id] {
			return fmt.Errorf("%s idle but not a member", id)
		}
	}
	for i, j := range p.queue {
		if i < p.head {
			if j != nil {
				return fmt.Errorf("a taken job is still referenced at %d", i)
			}
			continue
		}
		if seen[j] || j.worker != nil {
			return fmt.Errorf("a queued job is also with worker %v", j.worker)
		}
		seen[j] = true
	}
	return nil
}

type poolModel struct {
	state   map[string]string // worker id → "new", "idle", "busy", "retired", "gone"
	has     map[string]*job
	begun   map[string]bool // a busy worker's turn on its job began
	expired map[*job]bool   // claimed and answered by its deadline
	queue   []*job
}

// Random sequences of the calls the gate, the workers and the router make, checked against a
// model after each: who gets which job, in which order, which worker a deadline abandons, and the
// invariants.
func TestPoolInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed))
		p := NewPool()
		m := poolModel{state: map[string]string{}, has: map[string]*job{}, begun: map[string]bool{}, expired: map[*job]bool{}}
		var workers []*actor.PID
		for i := 0; i < 4; i++ {
			w := actor.NewPID("local", fmt.Sprintf("w%d", i))
			workers = append(workers, w)
			m.state[w.Id] = "new"
		}
		outstanding := func() []*job {
			var js []*job
			for _, w := range workers {
				if j := m.has[w.Id]; m.state[w.Id] == "busy" && !m.expired[j] {
					js = append(js, j)
				}
			}
			return append(js, m.queue...)
		}
		for step := 0; step < 2000; step++ {
			w := workers[rng.IntN(len(workers))]
			op := rng.IntN(11)
			switch {
			case op < 4: // the gate admits a job
				j := &job{req: &Request{Method: fmt.Sprint(step), Reply: &reply.Reply{}}}
				got := p.Put(j)
				if got == nil {
					for _, v := range workers {
						if m.state[v.Id] == "idle" {
							t.Fatalf("seed %d step %d: queued while %s is idle", seed, step, v.Id)
						}
					}
					m.queue = append(m.queue, j)
				} else {
					if m.state[got.Id] != "idle" {
						t.Fatalf("seed %d step %d: handed to %s, which is %s", seed, step, got.Id, m.state[got.Id])
					}
					m.state[got.Id], m.has[got.Id] = "busy", j
				}
			case op < 8: // a worker finishes, starts or restarts
				st := m.state[w.Id]
				if st == "idle" || st == "gone" {
					continue
				}
				if st == "busy" {
					m.has[w.Id].req.begin() // its turn on the job (skipped if expired) came before
				}
				next, stop := p.Ready(w)
				if st == "retired" {
					if !stop || next != nil {
						t.Fatalf("seed %d step %d: retired %s got %v, stop %v", seed, step, w.Id, next, stop)
					}
					m.state[w.Id] = "gone"
					continue
				}
				if stop {
					t.Fatalf("seed %d step %d: %s told to stop", seed, step, w.Id)
				}
				if len(m.queue) > 0 {
					if next != m.queue[0] {
						t.Fatalf("seed %d step %d: %s took %v, want the oldest waiting job", seed, step, w.Id, next)
					}
					m.queue = m.queue[1:]
					m.state[w.Id], m.has[w.Id], m.begun[w.Id] = "busy", next, false
				} else {
					if next != nil {
						t.Fatalf("seed %d step %d: %s took a job from an empty queue", seed, step, w.Id)
					}
					m.state[w.Id], m.has[w.Id], m.begun[w.Id] = "idle", nil, false
				}
			case op < 9: // a busy worker's turn on its job begins (and goes on)
				if j := m.has[w.Id]; m.state[w.Id] == "busy" && !m.begun[w.Id] {
					if m.begun[w.Id] = j.req.begin(); m.begun[w.Id] == m.expired[j] {
						t.Fatalf("seed %d step %d: %s began its turn: %v, its job expired: %v", seed, step, w.Id, m.begun[w.Id], m.expired[j])
					}
				}
			case op < 10: // a deadline claims and answers an outstanding job
				js := outstanding()
				if len(js) == 0 {
					continue
				}
				j := js[rng.IntN(len(js))]
				var holder *actor.PID
				for _, v := range workers {
					if m.state[v.Id] == "busy" && m.has[v.Id] == j {
						holder = v
					}
				}
				stuck := holder != nil && m.begun[holder.Id]
				if j.req.expire() == stuck {
					t.Fatalf("seed %d step %d: the deadline's claim on a job whose turn began: %v", seed, step, stuck)
				}
				m.expired[j] = true
				var want *actor.PID // only a worker whose turn began is stuck in the call
				if stuck {
					want = holder
				}
				if got := p.Abandon(j); got != want {
					t.Fatalf("seed %d step %d: Abandon returned %v, want %v", seed, step, got, want)
				}
				switch {
				case stuck:
					m.state[holder.Id], m.has[holder.Id], m.begun[holder.Id] = "retired", nil, false
				case holder != nil:
					// Not begun: the worker keeps it, and its turn skips it.
				default:
					for i, q := range m.queue {
						if q == j {
							m.queue = append(m.queue[:i:i], m.queue[i+1:]...)
							break
						}
					}
				}
			default: // a busy worker's supervisor gives up on it
				if m.state[w.Id] != "busy" {
					continue
				}
				p.Leave(w)
				m.state[w.Id], m.has[w.Id], m.begun[w.Id] = "gone", nil, false
			}
			// A gone worker's place is taken by a new one, as the router does.
			for i, v := range workers {
				if m.state[v.Id] == "gone" {
					nw := actor.NewPID("local", fmt.Sprintf("w%d-%d", i, step))
					workers[i] = nw
					m.state[nw.Id] = "new"
				}
			}
			if err := p.check(); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			c := p.Counts()
			var idle, busy, retired int
			for _, v := range workers {
				switch m.state[v.Id] {
				case "idle":
					idle++
				case "busy":
					busy++
				case "retired":
					retired++
				}
			}
			if c != (PoolCounts{Idle: idle, Busy: busy, Queued: len(m.queue), Retired: retired}) {
				t.Fatalf("seed %d step %d: counts %+v, model idle %d busy %d queued %d retired %d", seed, step, c, idle, busy, len(m.queue), retired)
			}
		}
	}
}

// Gates on many goroutines put jobs while workers on theirs take them: every job is run by
// exactly one worker, and at the end the pool is all idle with nothing waiting.
func TestPoolConcurrentHandOver(t *testing.T) {
	const workers, putters, each = 4, 4, 2000
	p := NewPool()
	ran := make([]int32, putters*each)
	var mu sync.Mutex
	done := make(chan struct{}, putters*each)
	inbox := make([]chan *job, workers)
	pids := make([]*actor.PID, workers)
	var wg sync.WaitGroup
	for i := range inbox {
		inbox[i] = make(chan *job, putters*each)
		pids[i] = actor.NewPID("local", fmt.Sprintf("w%d", i))
	}
	byID := map[string]int{}
	for i, w := range pids {
		byID[w.Id] = i
	}
	var workersDone sync.WaitGroup
	for i := range pids {
		workersDone.Add(1)
		go func() {
			defer workersDone.Done()
			next, _ := p.Ready(pids[i])
			for {
				if next == nil {
					var ok bool
					if next, ok = <-inbox[i]; !ok {
						return
					}
				}
				n := next.req.slot
				mu.Lock()
				ran[n]++
				mu.Unlock()
				done <- struct{}{}
				next, _ = p.Ready(pids[i])
			}
		}()
	}
	for g := 0; g < putters; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				j := &job{req: &Request{slot: int32(g*each + k), Reply: &reply.Reply{}}}
				if w := p.Put(j); w != nil {
					inbox[byID[w.Id]] <- j
				}
			}
		}()
	}
	wg.Wait()
	// Every put is done; what is queued is taken by workers as they come back.
	timeout := time.After(wait)
	for range ran {
		select {
		case <-done:
		case <-timeout:
			t.Fatalf("jobs left unrun: %+v", p.Counts())
		}
	}
	for i := range inbox {
		close(inbox[i])
	}
	workersDone.Wait()
	for n, c := range ran {
		if c != 1 {
			t.Fatalf("job %d ran %d times", n, c)
		}
	}
	if err := p.check(); err != nil {
		t.Fatal(err)
	}
	if c := p.Counts(); c != (PoolCounts{Idle: workers}) {
		t.Fatalf("after the run: %+v", c)
	}
}

// A job its deadline answered between admission and Put is not queued: the queue holds only
// jobs whose admission slot is still taken.
func TestPoolDropsAJobAnsweredBeforePut(t *testing.T) {
	p := NewPool()
	r := reply.New(newRecorder(), codec, nil, "", []byte("1"))
	r.Error(-32603, "expired")
	if w := p.Put(&job{req: &Request{Reply: r}}); w != nil {
		t.Fatalf("an answered job was handed to %s", w.Id)
	}
	if c := p.Counts(); c != (PoolCounts{}) {
		t.Fatalf("an answered job was kept: %+v", c)
	}
}
