package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hostagent/hostagent/cmd/agent/client"
)

const callUsage = `usage: agent call [--host H] [--port P] [--insecure | --cert C --key K --ca A] [--timeout D]
                  Namespace.method [name=value ...] [-f params.json|-]

Values are JSON when they parse as JSON (numbers, true, [..], {..}), else strings.
-f reads the params object from a file, or from standard input with -f -.
`

func call(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, callUsage); fs.PrintDefaults() }
	host := fs.String("host", "localhost", "agent host")
	port := fs.Int("port", 54321, "agent port")
	insecure := fs.Bool("insecure", false, "plain TCP, no TLS")
	cert := fs.String("cert", "/etc/pki/vdsm/certs/vdsmcert.pem", "client certificate (PEM)")
	key := fs.String("key", "/etc/pki/vdsm/keys/vdsmkey.pem", "client key (PEM)")
	ca := fs.String("ca", "/etc/pki/vdsm/certs/cacert.pem", "CA of the agent's certificate (PEM)")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for the answer")
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
	o := client.Options{Addr: net.JoinHostPort(*host, strconv.Itoa(*port)), Timeout: *timeout}
	if !*insecure {
		if o.TLS, err = client.TLSConfig(*cert, *key, *ca); err != nil {
			fmt.Fprintln(stderr, "agent call:", err)
			return 1
		}
		o.TLS.ServerName = *host
	}
	c, err := client.Dial(o)
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

func callParams(args []string, stdin io.Reader) (map[string]any, error) {
	params := map[string]any{}
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
			if err := json.Unmarshal(data, &params); err != nil {
				return nil, fmt.Errorf("params file: %w", err)
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
	}
	return params, nil
}
