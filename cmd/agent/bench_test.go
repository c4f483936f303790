package main

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/bench"
)

// runBench runs `agent bench args... --json` and decodes its report.
func runBench(t *testing.T, args ...string) *bench.Report {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := benchCommand(append(args, "--json"), &out, &errOut); code != 0 {
		t.Fatalf("agent bench %v: exit %d: %s%s", args, code, errOut.String(), out.String())
	}
	var rep bench.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	return &rep
}

// checkPhase: every request answered with a result, no errors, percentiles in order.
func checkPhase(t *testing.T, name string, p *bench.Phase, n int64) {
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
		code := benchCommand([]string{"--host", host, "--insecure", "-n", "10", "--timeout", "20s"}, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "not a loopback address") {
			t.Errorf("%s: exit %d, %q", host, code, errOut.String())
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s: refusing took %s: it dialled first", host, time.Since(start))
		}
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-d", "11m"},
		{"-d", "9m", "--warmup", "2m"},
		{"-n", strconv.Itoa(bench.MaxRequests + 1)},
		{"-n", "-1"},
		{"-c", "0"},
		{"-c", strconv.Itoa(bench.MaxConns + 1)},
		{"-w", strconv.Itoa(bench.MaxWindow + 1)},
		{"-method", "ping"},
		{"-params", `"a string"`},
		{"-params", `{"open":`},
		{"--timeout", "0s"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		if code := benchCommand(append([]string{"--self", "--insecure"}, args...), &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}
