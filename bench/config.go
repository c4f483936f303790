package bench

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Hard bounds, whatever the flags say: a benchmark is a burst, not a way to load a host for ever.
const (
	MaxDuration = 10 * time.Minute
	MaxRequests = 100_000_000
	MaxConns    = 1000
	// The agent stops reading a connection with 1024 requests unanswered; a window beyond that
	// only measures the client's own queue.
	MaxWindow = 1024
)

// Config is one run of `agent bench`; the flag of each field is named beside it.
type Config struct {
	Addr        string      // the agent to measure, from Target; unused with Self
	TLS         *tls.Config // nil: plain TCP; unused with Self
	Conns       int         // -c
	Window      int         // -w: requests in flight on each connection
	N           int64       // -n: requests to answer over all connections; 0: run for Duration
	Duration    time.Duration
	Warmup      time.Duration
	Timeout     time.Duration // dialing, and the longest a connection waits for any answer
	Method      string
	Params      string // a JSON object or array
	SharedReply bool   // reply to jms.topic.vdsm_responses, as the engine does
	Self        bool   // start the agent in this process and measure it
	SelfWorkers int
	SelfQueue   int // -1: max(80, Conns×Window)
	Baseline    bool
	Rounds      int
	CPUProfile  string // a CPU profile of the agent phase of the first round goes here
}

// Check reports the first setting out of bounds, in the words of the flag that set it.
func (c Config) Check() error {
	_, err := c.spec()
	return err
}

// spec checks the config and turns it into a load description.
func (c Config) spec() (loadSpec, error) {
	s := loadSpec{addr: c.Addr, tls: c.TLS, conns: c.Conns, window: c.Window, n: c.N, duration: c.Duration,
		warmup: c.Warmup, timeout: c.Timeout, method: c.Method, shared: c.SharedReply}
	if c.Self {
		s.addr, s.tls = "", nil
	}
	switch {
	case c.Conns < 1 || c.Conns > MaxConns:
		return s, fmt.Errorf("-c must be within 1..%d", MaxConns)
	case c.Window < 1 || c.Window > MaxWindow:
		return s, fmt.Errorf("-w must be within 1..%d", MaxWindow)
	case c.N < 0 || c.N > MaxRequests:
		return s, fmt.Errorf("-n must be within 0..%d", MaxRequests)
	case c.Duration < 0 || c.Warmup < 0 || c.Duration+c.Warmup > MaxDuration:
		return s, fmt.Errorf("-d and --warmup must not be negative and together at most %s", MaxDuration)
	case c.Timeout <= 0:
		return s, errors.New("--timeout must be positive")
	case !strings.Contains(c.Method, ".") || strings.ContainsAny(c.Method, "\x00\n"):
		return s, fmt.Errorf("-method must be Namespace.method, got %q", c.Method)
	case c.Self && c.SelfWorkers < 1:
		return s, errors.New("--self-workers must be at least 1")
	case c.Rounds < 1 || c.Rounds > 20 || (c.Rounds > 1 && !c.Baseline):
		return s, errors.New("--rounds must be within 1..20, and above 1 only with --baseline")
	}
	if s.n == 0 && s.duration == 0 {
		s.duration = 10 * time.Second
	}
	var params bytes.Buffer
	if err := json.Compact(&params, []byte(c.Params)); err != nil || (params.Len() > 0 && params.Bytes()[0] != '{' && params.Bytes()[0] != '[') {
		return s, fmt.Errorf("-params must be a JSON object or array, got %q", c.Params)
	}
	s.params = params.Bytes()
	return s, nil
}
