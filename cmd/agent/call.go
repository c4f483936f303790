package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hostagent/hostagent/client"
)

const callUsage = `usage: agent call [--host H] [--port P] [--insecure | --cert C --key K --ca A] [--timeout D]
                  Namespace.method [name=value ...] [-f params.json|-]

Values are JSON when they parse as JSON (numbers, true, [..], {..}), else strings.
-f reads the params from a file, or from standard input with -f -: an object (named params,
which name=value arguments add to) or an array (positional params, alone).
VM verbs name their VM with vmID: agent call --insecure VM.getStats vmID=<uuid>
`

func call(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, callUsage); fs.PrintDefaults() }
	var cf connFlags
	cf.register(fs, 60*time.Second)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	method := rest[0]
	if !strings.Contains(method, ".") {
		fmt.Fprintf(stderr, "agent call: method must be Namespace.method, got %q\n", method)
		return 2
	}
	params, err := callParams(rest[1:], stdin)
	if err != nil {
		fmt.Fprintln(stderr, "agent call:", err)
		return 2
	}
	c, err := cf.dial()
	if err != nil {
		fmt.Fprintln(stderr, "agent call:", err)
		return 1
	}
	defer c.Close()
	res, err := c.Call(method, params)
	var rpcErr *client.Error
	if errors.As(err, &rpcErr) {
		fmt.Fprintf(stderr, "code: %d\nmessage: %s\n", rpcErr.Code, rpcErr.Message)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "agent call:", err)
		return 1
	}
	var out bytes.Buffer
	if err := json.Indent(&out, res, "", "    "); err != nil {
		out.Write(res)
	}
	out.WriteByte('\n')
	stdout.Write(out.Bytes())
	return 0
}

// connFlags are how agent call and agent status reach the agent.
type connFlags struct {
	host, cert, key, ca string
	port                int
	insecure            bool
	timeout             time.Duration
}

func (cf *connFlags) register(fs *flag.FlagSet, timeout time.Duration) {
	fs.StringVar(&cf.host, "host", "localhost", "agent host")
	fs.IntVar(&cf.port, "port", 54321, "agent port")
	fs.BoolVar(&cf.insecure, "insecure", false, "plain TCP, no TLS")
	fs.StringVar(&cf.cert, "cert", "/etc/pki/vdsm/certs/vdsmcert.pem", "client certificate (PEM)")
	fs.StringVar(&cf.key, "key", "/etc/pki/vdsm/keys/vdsmkey.pem", "client key (PEM)")
	fs.StringVar(&cf.ca, "ca", "/etc/pki/vdsm/certs/cacert.pem", "CA of the agent's certificate (PEM)")
	fs.DurationVar(&cf.timeout, "timeout", timeout, "how long to wait for an answer")
}

func (cf *connFlags) addr() string { return net.JoinHostPort(cf.host, strconv.Itoa(cf.port)) }

// dial connects; its errors say what to do about them.
func (cf *connFlags) dial() (*client.Client, error) {
	o := client.Options{Addr: cf.addr(), Timeout: cf.timeout}
	if !cf.insecure {
		var err error
		if o.TLS, err = client.TLSConfig(cf.cert, cf.key, cf.ca); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w\n(an agent serving plain TCP, agent serve --tls=false as go tool task run starts it, is called with --insecure)", err)
			}
			return nil, err
		}
		o.TLS.ServerName = cf.host
	}
	c, err := client.Dial(o)
	if err != nil {
		return nil, errors.New(dialError(err, o.Addr, cf.insecure))
	}
	return c, nil
}

// dialError says what a failed connection most likely means: the first thing a user meets when
// the agent is not running, or runs with the other transport.
func dialError(err error, addr string, insecure bool) string {
	var notTLS tls.RecordHeaderError
	closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("no agent seems to be listening at %s (connection refused): start one (go tool task run, or agent serve), or give its --host and --port", addr)
	case !insecure && (closed || errors.As(err, &notTLS)):
		// A plain agent reads a TLS hello as a bad frame and drops the connection.
		return fmt.Sprintf("the agent at %s does not complete a TLS handshake (%v): it may serve plain TCP (agent serve --tls=false, as go tool task run starts it); call it with --insecure", addr, err)
	case insecure && closed:
		return fmt.Sprintf("the agent at %s closed the connection (%v): it may serve TLS (agent serve's default); call it without --insecure", addr, err)
	}
	return err.Error()
}

// callParams builds the request's params: an object from name=value arguments and object files,
// or the array of a file holding one (positional params, as VDSM takes them too).
func callParams(args []string, stdin io.Reader) (any, error) {
	params := map[string]any{}
	var positional []any
	named := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-f" {
			if i+1 >= len(args) {
				return nil, errors.New("-f needs a file name or -")
			}
			i++
			var data []byte
			var err error
			if args[i] == "-" {
				data, err = io.ReadAll(stdin)
			} else {
				data, err = os.ReadFile(args[i])
			}
			if err != nil {
				return nil, err
			}
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				return nil, fmt.Errorf("params file %s: %w", args[i], err)
			}
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					params[k] = x
				}
				named = true
			case []any:
				if positional != nil {
					return nil, fmt.Errorf("params file %s: only one file of positional params (a JSON array) may be given", args[i])
				}
				positional = v
			default:
				return nil, fmt.Errorf("params file %s: want a JSON object (named params, e.g. {\"vmID\": \"...\"}) or an array (positional params), got %s", args[i], bytes.TrimSpace(data))
			}
			continue
		}
		name, value, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("argument %q is not name=value", a)
		}
		var v any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			v = value
		}
		params[name] = v
		named = true
	}
	if positional != nil {
		if named {
			return nil, errors.New("positional params (a params file holding a JSON array) cannot be mixed with named ones (name=value or an object)")
		}
		return positional, nil
	}
	return params, nil
}
