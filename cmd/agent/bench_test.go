package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/actors/agent"
)

// runBench runs `agent bench args... --json` and decodes its report.
func runBench(t *testing.T, args ...string) *benchReport {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := bench(append(args, "--json"), &out, &errOut); code != 0 {
		t.Fatalf("agent bench %v: exit %d: %s%s", args, code, errOut.String(), out.String())
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	return &rep
}

// checkPhase: every request answered with a result, no errors, percentiles in order.
func checkPhase(t *testing.T, name string, p *benchPhase, n int64) {
	t.Helper()
	if p == nil {
		t.Fatalf("%s: no report", name)
	}
	if n > 0 && (p.Answered != n || p.OK != n) {
		t.Errorf("%s: answered %d, ok %d, want %d", name, p.Answered, p.OK, n)
	}
	if p.Answered == 0 || p.OK != p.Answered || len(p.Errors) != 0 || len(p.ConnErrors) != 0 {
		t.Errorf("%s: answered %d ok %d errors %v connection errors %v", name, p.Answered, p.OK, p.Errors, p.ConnErrors)
	}
	l := p.Latency
	if !(0 < l.Min && l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max && l.Mean <= l.Max) {
		t.Errorf("%s: latencies out of order: %+v", name, l)
	}
	if p.RPS <= 0 || p.Seconds <= 0 || p.CPU.PerRequestMicros <= 0 {
		t.Errorf("%s: rps %v over %vs, cpu %+v", name, p.RPS, p.Seconds, p.CPU)
	}
}

// One command measures the baseline and an in-process agent, and answers every request.
func TestBenchSelfAgainstBaseline(t *testing.T) {
	rep := runBench(t, "--self", "--baseline", "-n", "2000", "-c", "2", "-w", "4")
	checkPhase(t, "baseline", rep.Baseline, 2000)
	checkPhase(t, "agent", rep.Agent, 2000)
	if rep.Ratio == nil || rep.Ratio.Throughput <= 0 || rep.Ratio.P50 <= 0 {
		t.Errorf("ratio: %+v", rep.Ratio)
	}
	if rep.Self == nil || rep.Self.Workers != 8 || rep.Self.Queue != 80 {
		t.Errorf("self: %+v", rep.Self)
	}
}

// An external agent, reached by --host/--port, with a shared reply destination, for a while.
func TestBenchExternalAgentForADuration(t *testing.T) {
	ta := startAgent(t)
	host, port, _ := net.SplitHostPort(ta.addr)
	rep := runBench(t, "--host", host, "--port", port, "--insecure", "-d", "300ms", "-c", "3", "-w", "2", "--shared-reply")
	checkPhase(t, "agent", rep.Agent, 0)
	if rep.ReplyTo != "shared" || rep.Baseline != nil || rep.Ratio != nil {
		t.Errorf("report: %+v", rep)
	}
}

// Mutual TLS with agent call's flags.
func TestBenchOverTLS(t *testing.T) {
	p := newPKI(t)
	srv, err := agent.ServerTLS(p.serverCert, p.server, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	ta := startAgent(t, func(c *agentConfig) { c.TLS = srv })
	host, port, _ := net.SplitHostPort(ta.addr)
	rep := runBench(t, "--host", host, "--port", port, "--cert", p.clientCert, "--key", p.client, "--ca", p.caFile,
		"-n", "200", "-c", "2", "-w", "2")
	checkPhase(t, "agent", rep.Agent, 200)
	if rep.Transport != "TLS" {
		t.Errorf("transport %q", rep.Transport)
	}
}

// Answers with an error are counted by code, and a verb with params reaches the agent intact.
func TestBenchCountsErrorsByCode(t *testing.T) {
	ta := startAgent(t)
	host, port, _ := net.SplitHostPort(ta.addr)
	rep := runBench(t, "--host", host, "--port", port, "--insecure", "-n", "300", "-c", "2", "-w", "3",
		"-method", "VM.getStats", "-params", `{"vmID": "00000000-0000-4000-8000-000000000000"}`)
	if p := rep.Agent; p.Answered != 300 || p.OK != 0 || p.Errors["1"] != 300 || len(p.Errors) != 1 {
		t.Errorf("answered %d ok %d errors %v", p.Answered, p.OK, p.Errors)
	}
	rep = runBench(t, "--host", host, "--port", port, "--insecure", "-n", "50", "-method", "VM.getStats",
		"-params", `{"vmID": "`+vmWeb1+`"}`)
	checkPhase(t, "agent", rep.Agent, 50)
}

// Only loopback targets, unless allowed: the check is made before anything is dialled.
func TestBenchRefusesRemoteTargets(t *testing.T) {
	for _, host := range []string{"192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"} {
		var out, errOut bytes.Buffer
		start := time.Now()
		code := bench([]string{"--host", host, "--insecure", "-n", "10", "--timeout", "20s"}, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "not a loopback address") {
			t.Errorf("%s: exit %d, %q", host, code, errOut.String())
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s: refusing took %s: it dialled first", host, time.Since(start))
		}
	}
	lookup := func(addrs ...string) func(context.Context, string) ([]net.IPAddr, error) {
		return func(context.Context, string) ([]net.IPAddr, error) {
			var out []net.IPAddr
			for _, a := range addrs {
				out = append(out, net.IPAddr{IP: net.ParseIP(a)})
			}
			return out, nil
		}
	}
	if _, err := benchTarget("sneaky", 1, false, lookup("127.0.0.1", "198.51.100.7")); err == nil {
		t.Error("a name with one remote address among loopback ones was accepted")
	}
	if _, err := benchTarget("nowhere", 1, false, lookup()); err == nil {
		t.Error("a name with no address was accepted")
	}
	failing := func(context.Context, string) ([]net.IPAddr, error) { return nil, errors.New("no such host") }
	if _, err := benchTarget("nowhere", 1, false, failing); err == nil {
		t.Error("a name that does not resolve was accepted")
	}
	if addr, err := benchTarget("localhost", 54321, false, lookup("::1", "127.0.0.1")); err != nil || addr != "[::1]:54321" {
		t.Errorf("localhost: %q %v", addr, err)
	}
	if addr, err := benchTarget("example.org", 54321, true, failing); err != nil || addr != "example.org:54321" {
		t.Errorf("--allow-remote: %q %v", addr, err)
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-d", "11m"},
		{"-d", "9m", "--warmup", "2m"},
		{"-n", strconv.Itoa(benchMaxRequests + 1)},
		{"-n", "-1"},
		{"-c", "0"},
		{"-c", strconv.Itoa(benchMaxConns + 1)},
		{"-w", strconv.Itoa(benchMaxWindow + 1)},
		{"-method", "ping"},
		{"-params", `"a string"`},
		{"-params", `{"open":`},
		{"--timeout", "0s"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		if code := bench(append([]string{"--self", "--insecure"}, args...), &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}

// The histogram reports each quantile within its bucket's precision, in order.
func TestHistogramQuantiles(t *testing.T) {
	h := newHistogram()
	rng := rand.New(rand.NewPCG(1, 2))
	var samples []int64
	for range 100000 {
		// Latencies from 1µs to about 100ms, spread over orders of magnitude.
		v := int64(float64(int64(1000)<<rng.IntN(17)) * (1 + rng.Float64()))
		samples = append(samples, v)
	}
	half := newHistogram()
	for i, v := range samples {
		if i%2 == 0 {
			h.record(v)
		} else {
			half.record(v)
		}
	}
	h.merge(&half)
	sorted := append([]int64(nil), samples...)
	slices.Sort(sorted)
	prev := int64(0)
	for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 1} {
		got := h.quantile(q)
		want := sorted[max(int(float64(len(sorted))*q+0.999999)-1, 0)]
		if got < want || float64(got-want) > float64(want)/128+1 {
			t.Errorf("q%v: %d, exact %d", q, got, want)
		}
		if got < prev {
			t.Errorf("q%v: %d below the previous quantile %d", q, got, prev)
		}
		prev = got
	}
	if h.n != int64(len(samples)) || h.min != sorted[0] || h.max != sorted[len(sorted)-1] {
		t.Errorf("n %d min %d max %d", h.n, h.min, h.max)
	}
	for _, v := range []int64{-5, 0, 1, 127, 128, 255, 256, 1000, 1 << 39, 1 << 40, 1 << 62} {
		i := histIndex(v)
		if i < 0 || i >= histBuckets || (v >= 0 && v < 1<<histMaxBits && histHigh(i) < v) {
			t.Errorf("%d: bucket %d of %d, high %d", v, i, histBuckets, histHigh(i))
		}
		if i > 0 && v < 1<<histMaxBits && histHigh(i-1) >= v {
			t.Errorf("%d: bucket %d, but the one below reaches %d", v, i, histHigh(i-1))
		}
	}
}

func TestParseAnswer(t *testing.T) {
	for _, c := range []struct {
		body string
		id   uint64
		code int
		ok   bool
	}{
		{`{"jsonrpc":"2.0","id":42,"result":true}`, 42, 0, true},
		{`{"jsonrpc":"2.0","id":7,"error":{"code":1100,"message":"x"}}`, 7, 1100, true},
		{`{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"x"}}`, 7, -32601, true},
		{`{"id": 9, "jsonrpc": "2.0", "result": {}}`, 9, 0, true},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}`, 0, 0, false},
		{`not json`, 0, 0, false},
	} {
		id, code, ok := parseAnswer([]byte(c.body))
		if id != c.id || code != c.code || ok != c.ok {
			t.Errorf("%s: %d %d %v", c.body, id, code, ok)
		}
	}
}

// An answer is matched to its connection, slot and use of the slot; anything else is counted,
// never mistaken for an answer.
func TestAnswerMatching(t *testing.T) {
	rs := &runState{base: time.Now()}
	rs.stop.Store(true) // nothing is sent again
	lc := &loadConn{index: 3, slots: make([]slot, 4), hist: newHistogram()}
	lc.queue(2, true)
	lc.queue(1, true)
	idOf := func(conn, s uint64, gen uint64) []byte {
		return []byte(`{"jsonrpc":"2.0","id":` + strconv.FormatUint(gen<<(connBits+slotBits)|conn<<slotBits|s, 10) + `,"result":true}`)
	}
	lc.answer(rs, idOf(2, 2, 1)) // another connection's
	lc.answer(rs, idOf(3, 2, 2)) // a later use of the slot
	lc.answer(rs, idOf(3, 0, 1)) // a slot not in use
	lc.answer(rs, idOf(3, 2, 1))
	lc.answer(rs, idOf(3, 2, 1)) // again
	lc.answer(rs, []byte(`{"jsonrpc":"2.0","id":`+strconv.FormatUint(1<<(connBits+slotBits)|3<<slotBits|1, 10)+`,"error":{"code":1100,"message":"x"}}`))
	want := map[string]int64{"foreign": 1, "unexpected": 3, "1100": 1}
	if lc.ok != 1 || lc.pending != 0 || lc.hist.n != 2 || len(lc.errs) != len(want) {
		t.Fatalf("ok %d pending %d recorded %d errors %v", lc.ok, lc.pending, lc.hist.n, lc.errs)
	}
	for k, v := range want {
		if lc.errs[k] != v {
			t.Errorf("errors %v, want %v", lc.errs, want)
		}
	}
}
