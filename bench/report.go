package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

type Report struct {
	Method      string          `json:"method"`
	Params      json.RawMessage `json:"params"`
	Connections int             `json:"connections"`
	InFlight    int             `json:"in_flight_per_connection"`
	N           int64           `json:"n,omitempty"`
	Duration    string          `json:"duration"`
	Warmup      string          `json:"warmup"`
	ReplyTo     string          `json:"reply_to"`
	Transport   string          `json:"transport"`
	CPUScope    string          `json:"cpu_scope"`
	Self        *Self           `json:"self,omitempty"`
	Baseline    *Phase          `json:"baseline,omitempty"`
	Agent       *Phase          `json:"agent"`
	Ratio       *Ratio          `json:"ratio,omitempty"`
	// With --rounds: every round's ratios, and which round (from 1) is reported in full.
	Rounds      []*Ratio `json:"rounds,omitempty"`
	MedianRound int      `json:"median_round,omitempty"`
}

type Self struct {
	Workers int `json:"workers"`
	Queue   int `json:"queue"`
}

type Phase struct {
	Name       string           `json:"-"`
	Addr       string           `json:"addr"`
	Answered   int64            `json:"answered"` // measured requests answered, with a result or an error
	OK         int64            `json:"ok"`
	Errors     map[string]int64 `json:"errors"` // by JSON-RPC code; "lost": never answered; "unexpected": an answer to no request; "foreign": another connection's answer
	Seconds    float64          `json:"seconds"`
	RPS        float64          `json:"requests_per_second"`
	Latency    Latency          `json:"latency_ns"`
	CPU        CPU              `json:"cpu"`
	ConnErrors []string         `json:"connection_errors,omitempty"`
}

type Latency struct {
	P50  int64 `json:"p50"`
	P90  int64 `json:"p90"`
	P99  int64 `json:"p99"`
	P999 int64 `json:"p99_9"`
	Min  int64 `json:"min"`
	Max  int64 `json:"max"`
	Mean int64 `json:"mean"`
}

type CPU struct {
	UserSeconds      float64 `json:"user_seconds"`
	SysSeconds       float64 `json:"sys_seconds"`
	PerRequestMicros float64 `json:"per_request_us"`
	AllocsPerRequest float64 `json:"allocs_per_request"`
	BytesPerRequest  float64 `json:"bytes_per_request"`
	GCCycles         uint32  `json:"gc_cycles"`
}

// Ratio is agent over baseline: throughput below 1 and latency or CPU above 1 are the cost
// of the agent's design.
type Ratio struct {
	Throughput    float64 `json:"throughput"`
	P50           float64 `json:"p50"`
	P99           float64 `json:"p99"`
	CPUPerRequest float64 `json:"cpu_per_request"`
}

func ratios(a, b *Phase) *Ratio {
	div := func(x, y float64) float64 {
		if y == 0 {
			return 0
		}
		return math.Round(x/y*1000) / 1000
	}
	return &Ratio{
		Throughput:    div(a.RPS, b.RPS),
		P50:           div(float64(a.Latency.P50), float64(b.Latency.P50)),
		P99:           div(float64(a.Latency.P99), float64(b.Latency.P99)),
		CPUPerRequest: div(a.CPU.PerRequestMicros, b.CPU.PerRequestMicros),
	}
}

func (r *Report) Print(w io.Writer) {
	limit := r.Duration
	if r.N > 0 {
		limit = fmt.Sprintf("%d requests", r.N)
	}
	target := "agent at " + r.Agent.Addr
	if r.Self != nil {
		target = fmt.Sprintf("in-process agent (%d workers, queue %d)", r.Self.Workers, r.Self.Queue)
	}
	fmt.Fprintf(w, "agent bench: %s %s to %s\n", r.Method, r.Params, target)
	fmt.Fprintf(w, "%d connections × %d in flight, %s reply destinations, %s, %s", r.Connections, r.InFlight, r.ReplyTo, r.Transport, limit)
	if r.Warmup != "0s" {
		fmt.Fprintf(w, " after %s warm-up", r.Warmup)
	}
	fmt.Fprintf(w, "\nCPU: %s\n\n", r.CPUScope)

	phases := []*Phase{r.Agent}
	if r.Baseline != nil {
		phases = []*Phase{r.Baseline, r.Agent}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(p *Phase) string, ratio float64) {
		fmt.Fprintf(tw, "%-14s\t", label)
		for _, p := range phases {
			fmt.Fprintf(tw, "%s\t", cell(p))
		}
		if r.Ratio != nil {
			if ratio != 0 {
				fmt.Fprintf(tw, "%.2f×\t", ratio)
			} else {
				fmt.Fprint(tw, "\t")
			}
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "%-14s\t", "")
	for _, p := range phases {
		fmt.Fprintf(tw, "%s\t", p.Name)
	}
	if r.Ratio != nil {
		fmt.Fprint(tw, "agent/baseline\t")
	}
	fmt.Fprintln(tw)
	var ratio Ratio
	if r.Ratio != nil {
		ratio = *r.Ratio
	}
	row("answered", func(p *Phase) string { return strconv.FormatInt(p.Answered, 10) }, 0)
	row("errors", func(p *Phase) string { return strconv.FormatInt(p.errorCount(), 10) }, 0)
	row("requests/s", func(p *Phase) string { return strconv.FormatFloat(p.RPS, 'f', 0, 64) }, ratio.Throughput)
	row("p50", func(p *Phase) string { return fmtLatency(p.Latency.P50) }, ratio.P50)
	row("p90", func(p *Phase) string { return fmtLatency(p.Latency.P90) }, 0)
	row("p99", func(p *Phase) string { return fmtLatency(p.Latency.P99) }, ratio.P99)
	row("p99.9", func(p *Phase) string { return fmtLatency(p.Latency.P999) }, 0)
	row("max", func(p *Phase) string { return fmtLatency(p.Latency.Max) }, 0)
	row("cpu user+sys", func(p *Phase) string {
		return fmt.Sprintf("%.2fs+%.2fs", p.CPU.UserSeconds, p.CPU.SysSeconds)
	}, 0)
	row("cpu/request", func(p *Phase) string { return fmt.Sprintf("%.1fµs", p.CPU.PerRequestMicros) }, ratio.CPUPerRequest)
	row("allocs/request", func(p *Phase) string { return fmt.Sprintf("%.1f", p.CPU.AllocsPerRequest) }, 0)
	row("bytes/request", func(p *Phase) string { return fmt.Sprintf("%.0f", p.CPU.BytesPerRequest) }, 0)
	tw.Flush()
	if len(r.Rounds) > 1 {
		fmt.Fprintf(w, "\n%d rounds, baseline and agent alternating; the table is round %d, the median by throughput\n", len(r.Rounds), r.MedianRound)
		for i, x := range r.Rounds {
			fmt.Fprintf(w, "  round %d: throughput %.2f×, p50 %.2f×, p99 %.2f×, cpu/request %.2f×\n", i+1, x.Throughput, x.P50, x.P99, x.CPUPerRequest)
		}
	}
	for _, p := range phases {
		if len(p.Errors) > 0 {
			keys := make([]string, 0, len(p.Errors))
			for k := range p.Errors {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s: %d", k, p.Errors[k])
			}
			fmt.Fprintf(w, "%s errors by code: %s\n", p.Name, strings.Join(parts, ", "))
		}
		for _, e := range p.ConnErrors {
			fmt.Fprintf(w, "%s connection failed: %s\n", p.Name, e)
		}
	}
}

func (p *Phase) errorCount() int64 {
	var n int64
	for _, v := range p.Errors {
		n += v
	}
	return n
}

func fmtLatency(ns int64) string {
	switch {
	case ns < 1e6:
		return fmt.Sprintf("%.1fµs", float64(ns)/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2fms", float64(ns)/1e6)
	default:
		return fmt.Sprintf("%.2fs", float64(ns)/1e9)
	}
}
