package bench

import (
	"crypto/tls"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loadSpec is one phase's load.
type loadSpec struct {
	addr             string
	tls              *tls.Config
	conns, window    int
	n                int64
	duration, warmup time.Duration
	timeout          time.Duration
	method           string
	params           []byte
	shared           bool
}

// runState is what the connections of a phase share; everything else is per connection.
type runState struct {
	base    time.Time
	n       int64
	issued  atomic.Int64 // measured requests issued, against n
	stop    atomic.Bool  // no more requests: the duration is over
	warming atomic.Bool  // requests issued now are not measured
}

func (rs *runState) now() int64 { return int64(time.Since(rs.base)) }

// mayIssue reports whether one more request may be sent, and whether it counts.
func (rs *runState) mayIssue() (ok, measured bool) {
	if rs.stop.Load() {
		return false, false
	}
	if rs.warming.Load() {
		return true, false
	}
	if rs.n > 0 && rs.issued.Add(1) > rs.n {
		return false, false
	}
	return true, true
}

// runPhase connects, runs the load and measures it.
func runPhase(name string, spec loadSpec) (*Phase, error) {
	lcs := make([]*loadConn, 0, spec.conns)
	for i := range spec.conns {
		lc, err := dialLoad(spec, i)
		if err != nil {
			for _, c := range lcs {
				c.nc.Close()
			}
			return nil, fmt.Errorf("connection %d to %s: %w", i+1, spec.addr, err)
		}
		lcs = append(lcs, lc)
	}
	rs := &runState{n: spec.n}
	limit := spec.duration
	if limit == 0 {
		limit = MaxDuration - spec.warmup
	}
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	rs.base = time.Now()
	if spec.warmup > 0 {
		rs.warming.Store(true)
		t := time.AfterFunc(spec.warmup, func() { rs.warming.Store(false) })
		defer t.Stop()
	}
	stop := time.AfterFunc(spec.warmup+limit, func() { rs.stop.Store(true) })
	defer stop.Stop()
	var wg sync.WaitGroup
	for _, lc := range lcs {
		wg.Add(1)
		go func() { defer wg.Done(); lc.run(rs) }()
	}
	wg.Wait()
	cpu1 := cpuTime()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)

	p := &Phase{Name: name, Addr: spec.addr, Errors: map[string]int64{}}
	h := newHistogram()
	var last, answered int64
	for _, lc := range lcs {
		h.merge(&lc.hist)
		p.OK += lc.ok
		for k, v := range lc.errs {
			p.Errors[k] += v
		}
		last = max(last, lc.lastAnswer)
		answered += lc.answered
		if lc.err != nil {
			p.ConnErrors = append(p.ConnErrors, lc.err.Error())
		}
	}
	p.Answered = h.n
	if h.n > 0 {
		p.Seconds = float64(last-int64(spec.warmup)) / 1e9
		p.RPS = float64(p.Answered) / p.Seconds
		p.Latency = Latency{P50: h.quantile(0.50), P90: h.quantile(0.90), P99: h.quantile(0.99),
			P999: h.quantile(0.999), Min: h.min, Max: h.max, Mean: int64(h.sum / float64(h.n))}
	}
	user, sys := cpu1.user-cpu0.user, cpu1.sys-cpu0.sys
	p.CPU = CPU{UserSeconds: user.Seconds(), SysSeconds: sys.Seconds()}
	if answered > 0 {
		p.CPU.PerRequestMicros = float64(user+sys) / float64(answered) / 1e3
		p.CPU.AllocsPerRequest = float64(ms1.Mallocs-ms0.Mallocs) / float64(answered)
		p.CPU.BytesPerRequest = float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(answered)
	}
	p.CPU.GCCycles = ms1.NumGC - ms0.NumGC
	return p, nil
}

type cpuSample struct{ user, sys time.Duration }

func cpuTime() cpuSample {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return cpuSample{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())}
}
