package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/hostagent/hostagent/bench"
	"github.com/hostagent/hostagent/client"
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

// benchCommand parses `agent bench`'s flags into a bench.Config, checks the target, runs the
// benchmark and prints its report. Exit codes: 2 for a usage error or a refused target, 1 when the
// run failed or a connection broke.
func benchCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	var c bench.Config
	var host, cert, key, ca string
	var port int
	var insecure, allowRemote, asJSON bool
	fs.StringVar(&host, "host", "localhost", "agent host")
	fs.IntVar(&port, "port", 54321, "agent port")
	fs.BoolVar(&insecure, "insecure", false, "plain TCP, no TLS")
	fs.StringVar(&cert, "cert", "/etc/pki/vdsm/certs/vdsmcert.pem", "client certificate (PEM)")
	fs.StringVar(&key, "key", "/etc/pki/vdsm/keys/vdsmkey.pem", "client key (PEM)")
	fs.StringVar(&ca, "ca", "/etc/pki/vdsm/certs/cacert.pem", "CA of the agent's certificate (PEM)")
	fs.BoolVar(&allowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fs.BoolVar(&c.Self, "self", false, "start the agent in this process and measure it (plain TCP on 127.0.0.1)")
	fs.IntVar(&c.SelfWorkers, "self-workers", 8, "--self: worker actors")
	fs.IntVar(&c.SelfQueue, "self-queue", -1, "--self: requests admitted beyond the workers; -1: max(80, c×w), so the run measures answers, not 1100s")
	fs.BoolVar(&c.Baseline, "baseline", false, "first measure the in-process baseline responder, then the agent, and report the ratios")
	fs.IntVar(&c.Rounds, "rounds", 1, "--baseline: alternate the baseline and agent phases this many times (at most 20)")
	fs.IntVar(&c.Conns, "c", 1, fmt.Sprintf("connections (at most %d)", bench.MaxConns))
	fs.IntVar(&c.Window, "w", 1, fmt.Sprintf("requests in flight on each connection (at most %d)", bench.MaxWindow))
	fs.Int64Var(&c.N, "n", 0, fmt.Sprintf("requests to answer, over all connections (at most %d; 0: run for -d)", bench.MaxRequests))
	fs.DurationVar(&c.Duration, "d", 0, fmt.Sprintf("how long to send (at most %s; default 10s when -n is not given)", bench.MaxDuration))
	fs.DurationVar(&c.Warmup, "warmup", 0, "send for this long before measuring; not counted in -n or the results")
	fs.StringVar(&c.Method, "method", "Host.ping2", "JSON-RPC method")
	fs.StringVar(&c.Params, "params", "{}", "params, a JSON object or array")
	fs.BoolVar(&c.SharedReply, "shared-reply", false, "every connection replies to jms.topic.vdsm_responses (as the engine does) instead of a private destination, and so receives every connection's answers")
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Second, "dialing, and the longest a connection waits for any answer before it counts its requests as lost")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of the table")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the agent phase (not the baseline's) to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "agent bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := c.Check(); err != nil {
		fmt.Fprintln(stderr, "agent bench:", err)
		return 2
	}
	if !c.Self {
		addr, err := bench.Target(host, port, allowRemote, net.DefaultResolver.LookupIPAddr)
		if err != nil {
			fmt.Fprintln(stderr, "agent bench:", err)
			return 2
		}
		c.Addr = addr
		if !insecure {
			if c.TLS, err = client.TLSConfig(cert, key, ca); err != nil {
				fmt.Fprintln(stderr, "agent bench:", err)
				return 1
			}
			c.TLS.ServerName = host
		}
	}
	rep, err := bench.Run(c)
	if err != nil {
		fmt.Fprintln(stderr, "agent bench:", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.Print(stdout)
	}
	for _, p := range []*bench.Phase{rep.Baseline, rep.Agent} {
		if p != nil && len(p.ConnErrors) > 0 {
			return 1
		}
	}
	return 0
}
