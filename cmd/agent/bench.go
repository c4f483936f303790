package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/cmd/agent/baseline"
	"github.com/hostagent/hostagent/cmd/agent/client"
	"github.com/hostagent/hostagent/protocol/stomp"
)

const benchUsage = `usage: agent bench [--host H] [--port P] [--insecure | --cert C --key K --ca A] [--allow-remote]
                   [--self [--self-workers N] [--self-queue N]] [--baseline [--rounds R]]
                   [-c CONNS] [-w IN_FLIGHT] [-n REQUESTS] [-d DURATION] [--warmup D]
                   [-method Ns.verb] [-params JSON] [--shared-reply] [--timeout D]
                   [--json] [--cpuprofile FILE]

Sends the same request over C connections, keeping W requests in flight on each, until N
requests are answered or the duration is over (10s when neither is given), and reports
requests/s, latency percentiles (from the write of a request to the read of its answer), the
answers by error code, and the CPU this process used.

--self starts the agent in this process (plain TCP on 127.0.0.1, the embedded libvirt test host,
logs off) and measures it instead of --host/--port. --baseline first measures a minimal STOMP
responder started in this process (plain TCP; it answers true to anything), then the agent, and
reports the agent/baseline ratios. With both, one command compares the two with no other process;
the CPU reported is then the load generator's plus the server's, the same load generator in both
phases. Against an external agent it is the load generator's alone. --rounds R alternates the two
phases R times (baseline, agent, baseline, agent, ...), so that both see the same background load,
prints each round's ratios, and reports the round with the median throughput ratio in full.

Only loopback targets are accepted unless --allow-remote is given: every address the host
resolves to must be a loopback address.
`

// Hard bounds, whatever the flags say: a benchmark is a burst, not a way to load a host for ever.
const (
	benchMaxDuration = 10 * time.Minute
	benchMaxRequests = 100_000_000
	benchMaxConns    = 1000
	// The agent stops reading a connection with 1024 requests unanswered; a window beyond that
	// only measures the client's own queue.
	benchMaxWindow = 1024
)

type benchFlags struct {
	host, cert, key, ca   string
	port                  int
	insecure, allowRemote bool
	self, baseline        bool
	rounds                int
	selfWorkers           int
	selfQueue             int
	conns, window         int
	n                     int64
	duration, warmup      time.Duration
	timeout               time.Duration
	method, params        string
	sharedReply           bool
	json                  bool
	cpuprofile            string
}

func bench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	var f benchFlags
	fs.StringVar(&f.host, "host", "localhost", "agent host")
	fs.IntVar(&f.port, "port", 54321, "agent port")
	fs.BoolVar(&f.insecure, "insecure", false, "plain TCP, no TLS")
	fs.StringVar(&f.cert, "cert", "/etc/pki/vdsm/certs/vdsmcert.pem", "client certificate (PEM)")
	fs.StringVar(&f.key, "key", "/etc/pki/vdsm/keys/vdsmkey.pem", "client key (PEM)")
	fs.StringVar(&f.ca, "ca", "/etc/pki/vdsm/certs/cacert.pem", "CA of the agent's certificate (PEM)")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fs.BoolVar(&f.self, "self", false, "start the agent in this process and measure it (plain TCP on 127.0.0.1)")
	fs.IntVar(&f.selfWorkers, "self-workers", 8, "--self: worker actors")
	fs.IntVar(&f.selfQueue, "self-queue", -1, "--self: requests admitted beyond the workers; -1: max(80, c×w), so the run measures answers, not 1100s")
	fs.BoolVar(&f.baseline, "baseline", false, "first measure the in-process baseline responder, then the agent, and report the ratios")
	fs.IntVar(&f.rounds, "rounds", 1, "--baseline: alternate the baseline and agent phases this many times (at most 20)")
	fs.IntVar(&f.conns, "c", 1, fmt.Sprintf("connections (at most %d)", benchMaxConns))
	fs.IntVar(&f.window, "w", 1, fmt.Sprintf("requests in flight on each connection (at most %d)", benchMaxWindow))
	fs.Int64Var(&f.n, "n", 0, fmt.Sprintf("requests to answer, over all connections (at most %d; 0: run for -d)", benchMaxRequests))
	fs.DurationVar(&f.duration, "d", 0, fmt.Sprintf("how long to send (at most %s; default 10s when -n is not given)", benchMaxDuration))
	fs.DurationVar(&f.warmup, "warmup", 0, "send for this long before measuring; not counted in -n or the results")
	fs.StringVar(&f.method, "method", "Host.ping2", "JSON-RPC method")
	fs.StringVar(&f.params, "params", "{}", "params, a JSON object or array")
	fs.BoolVar(&f.sharedReply, "shared-reply", false, "every connection replies to jms.topic.vdsm_responses (as the engine does) instead of a private destination, and so receives every connection's answers")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "dialing, and the longest a connection waits for any answer before it counts its requests as lost")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of the table")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the agent phase (not the baseline's) to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "agent bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	spec, err := f.spec()
	if err != nil {
		fmt.Fprintln(stderr, "agent bench:", err)
		return 2
	}
	if !f.self {
		addr, err := benchTarget(f.host, f.port, f.allowRemote, net.DefaultResolver.LookupIPAddr)
		if err != nil {
			fmt.Fprintln(stderr, "agent bench:", err)
			return 2
		}
		spec.addr = addr
		if !f.insecure {
			if spec.tls, err = client.TLSConfig(f.cert, f.key, f.ca); err != nil {
				fmt.Fprintln(stderr, "agent bench:", err)
				return 1
			}
			spec.tls.ServerName = f.host
		}
	}
	rep, err := f.run(spec)
	if err != nil {
		fmt.Fprintln(stderr, "agent bench:", err)
		return 1
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.print(stdout)
	}
	for _, p := range []*benchPhase{rep.Baseline, rep.Agent} {
		if p != nil && len(p.ConnErrors) > 0 {
			return 1
		}
	}
	return 0
}

// spec checks the flags and turns them into a load description (without the target).
func (f *benchFlags) spec() (loadSpec, error) {
	s := loadSpec{conns: f.conns, window: f.window, n: f.n, duration: f.duration, warmup: f.warmup,
		timeout: f.timeout, method: f.method, shared: f.sharedReply}
	switch {
	case f.conns < 1 || f.conns > benchMaxConns:
		return s, fmt.Errorf("-c must be within 1..%d", benchMaxConns)
	case f.window < 1 || f.window > benchMaxWindow:
		return s, fmt.Errorf("-w must be within 1..%d", benchMaxWindow)
	case f.n < 0 || f.n > benchMaxRequests:
		return s, fmt.Errorf("-n must be within 0..%d", benchMaxRequests)
	case f.duration < 0 || f.warmup < 0 || f.duration+f.warmup > benchMaxDuration:
		return s, fmt.Errorf("-d and --warmup must not be negative and together at most %s", benchMaxDuration)
	case f.timeout <= 0:
		return s, errors.New("--timeout must be positive")
	case !strings.Contains(f.method, ".") || strings.ContainsAny(f.method, "\x00\n"):
		return s, fmt.Errorf("-method must be Namespace.method, got %q", f.method)
	case f.self && f.selfWorkers < 1:
		return s, errors.New("--self-workers must be at least 1")
	case f.rounds < 1 || f.rounds > 20 || (f.rounds > 1 && !f.baseline):
		return s, errors.New("--rounds must be within 1..20, and above 1 only with --baseline")
	}
	if s.n == 0 && s.duration == 0 {
		s.duration = 10 * time.Second
	}
	var params bytes.Buffer
	if err := json.Compact(&params, []byte(f.params)); err != nil || (params.Len() > 0 && params.Bytes()[0] != '{' && params.Bytes()[0] != '[') {
		return s, fmt.Errorf("-params must be a JSON object or array, got %q", f.params)
	}
	s.params = params.Bytes()
	return s, nil
}

// run measures the baseline (if asked), then the agent, each in its own phase, for as many rounds
// as asked.
func (f *benchFlags) run(spec loadSpec) (*benchReport, error) {
	rep := &benchReport{Method: f.method, Params: json.RawMessage(spec.params), Connections: spec.conns,
		InFlight: spec.window, N: spec.n, Duration: spec.duration.String(), Warmup: spec.warmup.String(),
		ReplyTo: "private", Transport: "plain TCP", CPUScope: "load generator"}
	if spec.shared {
		rep.ReplyTo = "shared"
	}
	if spec.tls != nil {
		rep.Transport = "TLS"
	}
	switch {
	case f.self && f.baseline:
		rep.CPUScope = "load generator + in-process server (both phases)"
	case f.self:
		rep.CPUScope = "load generator + in-process server"
	case f.baseline:
		rep.CPUScope = "baseline: load generator + in-process baseline; agent: load generator only (the agent is another process)"
	}
	bs := spec
	if f.baseline {
		srv, err := baseline.Listen("127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		defer srv.Close()
		bs.addr, bs.tls = srv.Addr().String(), nil
	}
	if f.self {
		a, err := startSelfAgent(f.selfWorkers, f.selfQueue, spec.conns*spec.window)
		if err != nil {
			return nil, err
		}
		defer a.Shutdown(10 * time.Second)
		spec.addr = a.Addr().String()
		rep.Self = &benchSelf{Workers: f.selfWorkers, Queue: a.queue}
	}
	type round struct{ baseline, agent *benchPhase }
	var rounds []round
	for i := 0; i < f.rounds; i++ {
		var r round
		var err error
		if f.baseline {
			if r.baseline, err = runPhase("baseline", bs); err != nil {
				return nil, fmt.Errorf("baseline: %w", err)
			}
			// The next phase should not pay for this one's garbage.
			runtime.GC()
		}
		if f.cpuprofile != "" && i == 0 {
			pf, err := os.Create(f.cpuprofile)
			if err != nil {
				return nil, err
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return nil, err
			}
		}
		r.agent, err = runPhase("agent", spec)
		if f.cpuprofile != "" && i == 0 {
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

// benchTarget resolves host and refuses it unless every address is loopback (or remote targets
// are allowed). It returns the address to dial: an address it checked, so that a second lookup
// cannot land somewhere else.
func benchTarget(host string, port int, allowRemote bool,
	lookup func(context.Context, string) ([]net.IPAddr, error)) (string, error) {
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("bad port %d", port)
	}
	if allowRemote {
		return net.JoinHostPort(host, strconv.Itoa(port)), nil
	}
	var addrs []net.IPAddr
	if ip := net.ParseIP(host); ip != nil {
		addrs = []net.IPAddr{{IP: ip}}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		if addrs, err = lookup(ctx, host); err != nil {
			return "", fmt.Errorf("resolving %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return "", fmt.Errorf("%s resolves to no address", host)
		}
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return "", fmt.Errorf("refusing %s: %s is not a loopback address (--allow-remote to benchmark another host)", host, a.IP)
		}
	}
	return net.JoinHostPort(addrs[0].String(), strconv.Itoa(port)), nil
}

// ---- the load: one lean pipelined driver per connection -------------------------------------

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

// A request id is the slot's use count, the connection's index and the slot, so an answer finds
// its send time without a map, a repeated one is noticed, and so is one meant for another
// connection (a server that routes answers by destination alone delivers every connection's
// answers to every subscriber of a shared one). Ids stay below 2^53, exact in any JSON reader.
const (
	slotBits = 10 // benchMaxWindow
	connBits = 10 // benchMaxConns
)

type slot struct {
	gen      uint64
	sent     int64 // ns since the run's base, stamped when the request is written
	busy     bool
	measured bool
}

// loadConn is one connection's driver. A single goroutine writes and reads: it writes what it
// has queued only when the answers already received are all handled, so one write carries as
// many requests as answers came in together, and no channel or lock sits on the path.
type loadConn struct {
	index    uint64
	shared   bool // the reply destination is shared: other connections' answers arrive too
	nc       net.Conn
	r        *stomp.Reader
	timeout  time.Duration
	sendHead []byte // SEND and its headers, up to "content-length:"
	bodyHead []byte // the request body up to the id's value
	out      []byte
	batch    []int32 // slots written by the next flush
	slots    []slot
	pending  int // requests written or queued and not answered

	hist       histogram
	ok         int64
	errs       map[string]int64
	answered   int64 // every answer, warm-up included, for CPU per request
	lastAnswer int64 // ns since base of the last measured answer
	err        error
}

// deadlineReader gives every read the connection's timeout, so a connection whose server went
// silent gives up instead of hanging the run.
type deadlineReader struct {
	nc      net.Conn
	timeout time.Duration
}

func (d deadlineReader) Read(p []byte) (int, error) {
	d.nc.SetReadDeadline(time.Now().Add(d.timeout))
	return d.nc.Read(p)
}

func dialLoad(spec loadSpec, i int) (*loadConn, error) {
	d := net.Dialer{Timeout: spec.timeout}
	nc, err := d.Dial("tcp", spec.addr)
	if err != nil {
		return nil, err
	}
	if spec.tls != nil {
		tc := tls.Client(nc, spec.tls)
		ctx, cancel := context.WithTimeout(context.Background(), spec.timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	replyTo := stomp.ResponseQueue
	if !spec.shared {
		replyTo = client.UUID()
	}
	lc := &loadConn{index: uint64(i), shared: spec.shared, nc: nc, timeout: spec.timeout, slots: make([]slot, spec.window), hist: newHistogram()}
	lc.r = stomp.NewReader(deadlineReader{nc, spec.timeout}, stomp.Limits{})
	head := stomp.AppendFrame(nil, &stomp.Frame{Command: stomp.CmdSend, Headers: []stomp.Header{
		{Key: stomp.HdrDestination, Value: stomp.RequestQueue},
		{Key: stomp.HdrContentType, Value: "application/json"},
		{Key: stomp.HdrReplyTo, Value: replyTo},
	}})
	lc.sendHead = append(head[:len(head)-2], stomp.HdrContentLength+":"...) // drop the blank line and NUL
	method, _ := json.Marshal(spec.method)
	lc.bodyHead = fmt.Appendf(nil, `{"jsonrpc":"2.0","method":%s,"params":%s,"id":`, method, spec.params)

	// The agent routes answers by the subscriptions the connection has when they are written,
	// and a SUBSCRIBE travels a different path than requests: wait for its receipt.
	hello := stomp.AppendFrame(nil, &stomp.Frame{Command: stomp.CmdConnect, Headers: []stomp.Header{
		{Key: stomp.HdrAcceptVersion, Value: "1.2"}, {Key: stomp.HdrHeartBeat, Value: "0,0"}}})
	hello = stomp.AppendFrame(hello, &stomp.Frame{Command: stomp.CmdSubscribe, Headers: []stomp.Header{
		{Key: stomp.HdrDestination, Value: replyTo}, {Key: stomp.HdrID, Value: "bench-" + strconv.Itoa(i)},
		{Key: "ack", Value: "auto"}, {Key: stomp.HdrReceipt, Value: "subscribed"}}})
	nc.SetWriteDeadline(time.Now().Add(spec.timeout))
	if _, err := nc.Write(hello); err != nil {
		nc.Close()
		return nil, err
	}
	for {
		f, err := lc.r.Read()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("connecting: %w", err)
		}
		if f == nil {
			continue
		}
		switch f.Command {
		case stomp.CmdReceipt:
			return lc, nil
		case stomp.CmdError:
			msg, _ := f.Get(stomp.HdrMessage)
			nc.Close()
			return nil, fmt.Errorf("connecting: ERROR %s", msg)
		}
	}
}

// queue appends a request for slot s to the output.
func (lc *loadConn) queue(s int, measured bool) {
	sl := &lc.slots[s]
	sl.gen++
	sl.busy, sl.measured = true, measured
	var idBuf [20]byte
	id := strconv.AppendUint(idBuf[:0], sl.gen<<(connBits+slotBits)|lc.index<<slotBits|uint64(s), 10)
	lc.out = append(lc.out, lc.sendHead...)
	lc.out = strconv.AppendInt(lc.out, int64(len(lc.bodyHead)+len(id)+1), 10)
	lc.out = append(lc.out, '\n', '\n')
	lc.out = append(lc.out, lc.bodyHead...)
	lc.out = append(lc.out, id...)
	lc.out = append(lc.out, '}', 0)
	lc.batch = append(lc.batch, int32(s))
	lc.pending++
}

func (lc *loadConn) flush(rs *runState) error {
	if len(lc.out) == 0 {
		return nil
	}
	t := rs.now()
	for _, s := range lc.batch {
		lc.slots[s].sent = t
	}
	lc.batch = lc.batch[:0]
	lc.nc.SetWriteDeadline(time.Now().Add(lc.timeout))
	_, err := lc.nc.Write(lc.out)
	lc.out = lc.out[:0]
	return err
}

func (lc *loadConn) run(rs *runState) {
	defer lc.nc.Close()
	for s := range lc.slots {
		ok, measured := rs.mayIssue()
		if !ok {
			break
		}
		lc.queue(s, measured)
	}
	if err := lc.flush(rs); err != nil {
		lc.fail(err)
		return
	}
	for lc.pending > 0 {
		f, err := lc.r.Read()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = fmt.Errorf("no answer within %s", lc.timeout)
			}
			lc.fail(err)
			return
		}
		if f == nil {
			continue
		}
		switch f.Command {
		case stomp.CmdMessage:
			lc.answer(rs, f.Body)
		case stomp.CmdError:
			msg, _ := f.Get(stomp.HdrMessage)
			lc.fail(fmt.Errorf("ERROR frame: %s", msg))
			return
		}
		if lc.r.Buffered() == 0 {
			if err := lc.flush(rs); err != nil {
				lc.fail(err)
				return
			}
		}
	}
}

func (lc *loadConn) answer(rs *runState, body []byte) {
	now := rs.now()
	id, code, ok := parseAnswer(body)
	s := int(id & (1<<slotBits - 1))
	switch {
	case ok && id>>slotBits&(1<<connBits-1) != lc.index:
		if !lc.shared {
			lc.count("foreign")
		}
		return
	case !ok || s >= len(lc.slots) || !lc.slots[s].busy || lc.slots[s].gen != id>>(connBits+slotBits):
		lc.count("unexpected")
		return
	}
	sl := &lc.slots[s]
	sl.busy = false
	lc.pending--
	lc.answered++
	if sl.measured {
		lc.hist.record(now - sl.sent)
		lc.lastAnswer = now
		if code == 0 {
			lc.ok++
		} else {
			lc.count(strconv.Itoa(code))
		}
	}
	if ok, measured := rs.mayIssue(); ok {
		lc.queue(s, measured)
	}
}

func (lc *loadConn) count(key string) {
	if lc.errs == nil {
		lc.errs = map[string]int64{}
	}
	lc.errs[key]++
}

// fail ends the connection; its measured requests still unanswered are lost.
func (lc *loadConn) fail(err error) {
	lc.err = err
	for i := range lc.slots {
		if lc.slots[i].busy && lc.slots[i].measured {
			lc.count("lost")
		}
	}
}

var (
	answerHead   = []byte(`{"jsonrpc":"2.0","id":`)
	answerResult = []byte(`,"result":`)
	answerError  = []byte(`,"error":{"code":`)
)

// parseAnswer finds the id and error code (0 for a result) of an answer. The agent and the
// baseline both write the members in VDSM's order, so the fast path reads them where they lie;
// anything else goes through encoding/json.
func parseAnswer(body []byte) (id uint64, code int, ok bool) {
	if rest, found := bytes.CutPrefix(body, answerHead); found {
		i := 0
		for ; i < len(rest) && i < 19 && rest[i] >= '0' && rest[i] <= '9'; i++ {
			id = id*10 + uint64(rest[i]-'0')
		}
		if i > 0 {
			rest = rest[i:]
			if bytes.HasPrefix(rest, answerResult) {
				return id, 0, true
			}
			if rest, found = bytes.CutPrefix(rest, answerError); found {
				if end := bytes.IndexAny(rest, ",}"); end > 0 {
					if c, err := strconv.Atoi(string(rest[:end])); err == nil {
						return id, c, true
					}
				}
			}
		}
	}
	var m struct {
		ID    json.RawMessage `json:"id"`
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return 0, 0, false
	}
	id, err := strconv.ParseUint(string(m.ID), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if m.Error != nil {
		return id, m.Error.Code, true
	}
	return id, 0, true
}

// runPhase connects, runs the load and measures it.
func runPhase(name string, spec loadSpec) (*benchPhase, error) {
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
		limit = benchMaxDuration - spec.warmup
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

	p := &benchPhase{Name: name, Addr: spec.addr, Errors: map[string]int64{}}
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
		p.Latency = latencyReport{P50: h.quantile(0.50), P90: h.quantile(0.90), P99: h.quantile(0.99),
			P999: h.quantile(0.999), Min: h.min, Max: h.max, Mean: int64(h.sum / float64(h.n))}
	}
	user, sys := cpu1.user-cpu0.user, cpu1.sys-cpu0.sys
	p.CPU = cpuReport{UserSeconds: user.Seconds(), SysSeconds: sys.Seconds()}
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

// ---- latency histogram --------------------------------------------------------------------

// histSubBits sets the histogram's precision: each power of two is split into 2^histSubBits
// buckets, so a recorded value is known within 1/128 (under 0.8%), in a fixed 34 KiB however
// many requests a run makes.
const (
	histSubBits = 7
	histMaxBits = 40 // values are clamped below 2^40 ns, about 18 minutes
	histBuckets = (histMaxBits - histSubBits + 1) << histSubBits
)

type histogram struct {
	counts   []int64
	n        int64
	sum      float64
	min, max int64
}

func newHistogram() histogram {
	return histogram{counts: make([]int64, histBuckets), min: math.MaxInt64}
}

func histIndex(v int64) int {
	if v < 1<<histSubBits {
		return int(max(v, 0))
	}
	if v >= 1<<histMaxBits {
		v = 1<<histMaxBits - 1
	}
	e := bits.Len64(uint64(v)) - histSubBits - 1
	return (e+1)<<histSubBits + int(v>>e) - 1<<histSubBits
}

// histHigh is the largest value that falls in bucket i.
func histHigh(i int) int64 {
	e := i>>histSubBits - 1
	if e <= 0 {
		return int64(i)
	}
	m := int64(i&(1<<histSubBits-1) | 1<<histSubBits)
	return (m+1)<<e - 1
}

func (h *histogram) record(v int64) {
	h.counts[histIndex(v)]++
	h.n++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// quantile is the value at or below which a fraction q of the samples lie, reported as the
// upper end of its bucket (never above the largest sample): an overestimate by under 0.8%.
func (h *histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(max(histHigh(i), h.min), h.max)
		}
	}
	return h.max
}

// ---- the report -----------------------------------------------------------------------------

type benchReport struct {
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
	Self        *benchSelf      `json:"self,omitempty"`
	Baseline    *benchPhase     `json:"baseline,omitempty"`
	Agent       *benchPhase     `json:"agent"`
	Ratio       *benchRatio     `json:"ratio,omitempty"`
	// With --rounds: every round's ratios, and which round (from 1) is reported in full.
	Rounds      []*benchRatio `json:"rounds,omitempty"`
	MedianRound int           `json:"median_round,omitempty"`
}

type benchSelf struct {
	Workers int `json:"workers"`
	Queue   int `json:"queue"`
}

type benchPhase struct {
	Name       string           `json:"-"`
	Addr       string           `json:"addr"`
	Answered   int64            `json:"answered"` // measured requests answered, with a result or an error
	OK         int64            `json:"ok"`
	Errors     map[string]int64 `json:"errors"` // by JSON-RPC code; "lost": never answered; "unexpected": an answer to no request; "foreign": another connection's answer
	Seconds    float64          `json:"seconds"`
	RPS        float64          `json:"requests_per_second"`
	Latency    latencyReport    `json:"latency_ns"`
	CPU        cpuReport        `json:"cpu"`
	ConnErrors []string         `json:"connection_errors,omitempty"`
}

type latencyReport struct {
	P50  int64 `json:"p50"`
	P90  int64 `json:"p90"`
	P99  int64 `json:"p99"`
	P999 int64 `json:"p99_9"`
	Min  int64 `json:"min"`
	Max  int64 `json:"max"`
	Mean int64 `json:"mean"`
}

type cpuReport struct {
	UserSeconds      float64 `json:"user_seconds"`
	SysSeconds       float64 `json:"sys_seconds"`
	PerRequestMicros float64 `json:"per_request_us"`
	AllocsPerRequest float64 `json:"allocs_per_request"`
	BytesPerRequest  float64 `json:"bytes_per_request"`
	GCCycles         uint32  `json:"gc_cycles"`
}

// benchRatio is agent over baseline: throughput below 1 and latency or CPU above 1 are the cost
// of the agent's design.
type benchRatio struct {
	Throughput    float64 `json:"throughput"`
	P50           float64 `json:"p50"`
	P99           float64 `json:"p99"`
	CPUPerRequest float64 `json:"cpu_per_request"`
}

func ratios(a, b *benchPhase) *benchRatio {
	div := func(x, y float64) float64 {
		if y == 0 {
			return 0
		}
		return math.Round(x/y*1000) / 1000
	}
	return &benchRatio{
		Throughput:    div(a.RPS, b.RPS),
		P50:           div(float64(a.Latency.P50), float64(b.Latency.P50)),
		P99:           div(float64(a.Latency.P99), float64(b.Latency.P99)),
		CPUPerRequest: div(a.CPU.PerRequestMicros, b.CPU.PerRequestMicros),
	}
}

func (r *benchReport) print(w io.Writer) {
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

	phases := []*benchPhase{r.Agent}
	if r.Baseline != nil {
		phases = []*benchPhase{r.Baseline, r.Agent}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(p *benchPhase) string, ratio float64) {
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
	var ratio benchRatio
	if r.Ratio != nil {
		ratio = *r.Ratio
	}
	row("answered", func(p *benchPhase) string { return strconv.FormatInt(p.Answered, 10) }, 0)
	row("errors", func(p *benchPhase) string { return strconv.FormatInt(p.errorCount(), 10) }, 0)
	row("requests/s", func(p *benchPhase) string { return strconv.FormatFloat(p.RPS, 'f', 0, 64) }, ratio.Throughput)
	row("p50", func(p *benchPhase) string { return fmtLatency(p.Latency.P50) }, ratio.P50)
	row("p90", func(p *benchPhase) string { return fmtLatency(p.Latency.P90) }, 0)
	row("p99", func(p *benchPhase) string { return fmtLatency(p.Latency.P99) }, ratio.P99)
	row("p99.9", func(p *benchPhase) string { return fmtLatency(p.Latency.P999) }, 0)
	row("max", func(p *benchPhase) string { return fmtLatency(p.Latency.Max) }, 0)
	row("cpu user+sys", func(p *benchPhase) string {
		return fmt.Sprintf("%.2fs+%.2fs", p.CPU.UserSeconds, p.CPU.SysSeconds)
	}, 0)
	row("cpu/request", func(p *benchPhase) string { return fmt.Sprintf("%.1fµs", p.CPU.PerRequestMicros) }, ratio.CPUPerRequest)
	row("allocs/request", func(p *benchPhase) string { return fmt.Sprintf("%.1f", p.CPU.AllocsPerRequest) }, 0)
	row("bytes/request", func(p *benchPhase) string { return fmt.Sprintf("%.0f", p.CPU.BytesPerRequest) }, 0)
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

func (p *benchPhase) errorCount() int64 {
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
