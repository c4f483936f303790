package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/bench/baseline"
)

// Run measures the baseline (if asked), then the agent, each in its own phase, for as many rounds
// as asked, and reports the round with the median throughput ratio in full.
func Run(c Config) (*Report, error) {
	spec, err := c.spec()
	if err != nil {
		return nil, err
	}
	rep := &Report{Method: c.Method, Params: json.RawMessage(spec.params), Connections: spec.conns,
		InFlight: spec.window, N: spec.n, Duration: spec.duration.String(), Warmup: spec.warmup.String(),
		ReplyTo: "private", Transport: "plain TCP", CPUScope: "load generator"}
	if spec.shared {
		rep.ReplyTo = "shared"
	}
	if spec.tls != nil {
		rep.Transport = "TLS"
	}
	switch {
	case c.Self && c.Baseline:
		rep.CPUScope = "load generator + in-process server (both phases)"
	case c.Self:
		rep.CPUScope = "load generator + in-process server"
	case c.Baseline:
		rep.CPUScope = "baseline: load generator + in-process baseline; agent: load generator only (the agent is another process)"
	}
	bs := spec
	if c.Baseline {
		srv, err := baseline.Listen("127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		defer srv.Close()
		bs.addr, bs.tls = srv.Addr().String(), nil
	}
	if c.Self {
		a, err := startSelfAgent(c.SelfWorkers, c.SelfQueue, spec.conns*spec.window)
		if err != nil {
			return nil, err
		}
		defer a.Shutdown(10 * time.Second)
		spec.addr = a.Addr().String()
		rep.Self = &Self{Workers: c.SelfWorkers, Queue: a.queue}
	}
	type round struct{ baseline, agent *Phase }
	var rounds []round
	for i := 0; i < c.Rounds; i++ {
		var r round
		var err error
		if c.Baseline {
			if r.baseline, err = runPhase("baseline", bs); err != nil {
				return nil, fmt.Errorf("baseline: %w", err)
			}
			// The next phase should not pay for this one's garbage.
			runtime.GC()
		}
		if c.CPUProfile != "" && i == 0 {
			pf, err := os.Create(c.CPUProfile)
			if err != nil {
				return nil, err
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return nil, err
			}
		}
		r.agent, err = runPhase("agent", spec)
		if c.CPUProfile != "" && i == 0 {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
		runtime.GC()
		rounds = append(rounds, r)
		if r.baseline != nil {
			rep.Rounds = append(rep.Rounds, ratios(r.agent, r.baseline))
		}
	}
	pick := 0
	if len(rep.Rounds) > 1 {
		order := make([]int, len(rep.Rounds))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return rep.Rounds[order[a]].Throughput < rep.Rounds[order[b]].Throughput })
		pick = order[len(order)/2]
		rep.MedianRound = pick + 1
	}
	rep.Baseline, rep.Agent = rounds[pick].baseline, rounds[pick].agent
	if rep.Baseline != nil {
		rep.Ratio = ratios(rep.Agent, rep.Baseline)
	}
	return rep, nil
}

type selfAgent struct {
	*agent.Agent
	queue int
}

// startSelfAgent starts the real agent, as `agent serve --tls=false` would, but quiet.
func startSelfAgent(workers, queue, inFlight int) (*selfAgent, error) {
	if queue < 0 {
		// A slot is released just after its answer is handed to the connection, so a client
		// that sends again as soon as it reads an answer can find the slot still taken: each
		// worker may hold one such slot, hence the workers' worth of room beyond the window.
		queue = max(80, inFlight)
	}
	a, err := agent.Start(agent.Config{Listen: "127.0.0.1:0", Workers: workers, Queue: queue, Log: zerolog.Nop()})
	if err != nil {
		return nil, fmt.Errorf("starting the agent: %w", err)
	}
	select {
	case <-a.Ready():
	case <-time.After(time.Minute):
		a.Shutdown(time.Second)
		return nil, errors.New("the in-process agent did not finish recovery within a minute")
	}
	return &selfAgent{Agent: a, queue: queue}, nil
}
