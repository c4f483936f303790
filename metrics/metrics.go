// Package metrics holds the agent's Prometheus metrics and their HTTP endpoint. Components record
// into a *Metrics they are given; the endpoint is served only when asked for (--metrics-listen).
// It never decides anything: counting is all it does.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is every metric the agent exports, on a registry of its own (so several agents in one
// test process do not collide).
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	Rejected prometheus.Counter // answered 1100: admission full
	Expired  prometheus.Counter // answered by their deadline
	Stuck    prometheus.Counter // workers abandoned inside a call and replaced
	restarts *prometheus.CounterVec
	vms      *vmGauge
	Libvirt  prometheus.Gauge // 1 while the libvirt connection is up

	mu      sync.Mutex
	methods map[string]*Method
}

// Method is one method's answer counters and latency histogram, resolved once: a label lookup
// (a hash of the label values under the vector's lock) costs more than the count itself, and
// every answer is counted.
type Method struct {
	name    string
	vecs    *Metrics
	ok      prometheus.Counter
	latency prometheus.Observer

	mu    sync.Mutex
	codes map[int]prometheus.Counter // errors; far rarer than results
}

// New makes the metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), methods: map[string]*Method{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hostagent_requests_total",
		Help: "JSON-RPC requests answered, by method and answer code (0 = success)."}, []string{"method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hostagent_request_duration_seconds",
		Help: "Time from admission to answer, by method.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"method"})
	m.Rejected = prometheus.NewCounter(prometheus.CounterOpts{Name: "hostagent_rejected_total",
		Help: "Requests answered 1100 because admission was full."})
	m.Expired = prometheus.NewCounter(prometheus.CounterOpts{Name: "hostagent_deadline_expired_total",
		Help: "Requests answered by their deadline rather than by their verb."})
	m.Stuck = prometheus.NewCounter(prometheus.CounterOpts{Name: "hostagent_stuck_calls_total",
		Help: "Workers abandoned inside a call past its deadline and replaced."})
	m.restarts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hostagent_actor_restarts_total",
		Help: "Actor failures handled by supervision, by actor kind."}, []string{"kind"})
	m.vms = &vmGauge{desc: prometheus.NewDesc("hostagent_vms", "VMs by status.", []string{"status"}, nil)}
	m.Libvirt = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hostagent_libvirt_connected",
		Help: "1 while the libvirt connection is up."})
	m.reg.MustRegister(m.requests, m.latency, m.Rejected, m.Expired, m.Stuck, m.restarts, m.vms, m.Libvirt,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Answered records one answered request. method must come from a bounded set (the caller maps
// names it does not serve to "other"), or the label set would grow with every typo a client sends.
func (m *Metrics) Answered(method string, code int, took time.Duration) {
	m.Method(method).Answered(code, took)
}

// Method is the counters of one method label, for callers that count many answers of it. The
// same rule on method holds as for Answered.
func (m *Metrics) Method(method string) *Method {
	m.mu.Lock()
	defer m.mu.Unlock()
	mm, ok := m.methods[method]
	if !ok {
		mm = &Method{name: method, vecs: m, ok: m.requests.WithLabelValues(method, "0"),
			latency: m.latency.WithLabelValues(method), codes: map[int]prometheus.Counter{}}
		m.methods[method] = mm
	}
	return mm
}

// Answered records one answered request of this method.
func (mm *Method) Answered(code int, took time.Duration) {
	if code == 0 {
		mm.ok.Inc()
	} else {
		mm.mu.Lock()
		c, ok := mm.codes[code]
		if !ok {
			c = mm.vecs.requests.WithLabelValues(mm.name, strconv.Itoa(code))
			mm.codes[code] = c
		}
		mm.mu.Unlock()
		c.Inc()
	}
	mm.latency.Observe(took.Seconds())
}

// Restarted records an actor failure handled by supervision.
func (m *Metrics) Restarted(kind string) { m.restarts.WithLabelValues(kind).Inc() }

// SetVMs replaces the VMs-by-status gauge. A scrape reads one whole replacement or the one
// before it: a gauge vector reset and filled again would show a scrape in between some statuses
// or none.
func (m *Metrics) SetVMs(byStatus map[string]int) {
	snap := make(map[string]int, len(byStatus))
	for s, n := range byStatus {
		snap[s] = n
	}
	m.vms.mu.Lock()
	m.vms.byStatus = snap
	m.vms.mu.Unlock()
}

// vmGauge is hostagent_vms, collected from the last SetVMs as a whole.
type vmGauge struct {
	desc     *prometheus.Desc
	mu       sync.Mutex
	byStatus map[string]int
}

func (g *vmGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *vmGauge) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	snap := g.byStatus
	g.mu.Unlock()
	for s, n := range snap {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n), s)
	}
}

// Gauge registers a gauge read at scrape time (connections, requests in flight, sample age).
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Server is the running metrics endpoint.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Serve starts the endpoint on addr (/metrics).
func Serve(addr string, m *Metrics) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener is gone; Close reports nothing more useful
		}
	}()
	return s, nil
}

// Addr is where the endpoint listens.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the endpoint.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
