// Command agent is hostagent's binary: `agent serve` runs the daemon, `agent call` is a
// vdsm-client-like command line client, `agent status` a live view of the host. It parses flags
// and calls into the packages; it holds no logic of its own.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  agent serve [flags]                       run the host agent (see agent serve -h)
  agent call [flags] Namespace.method [name=value ...] [-f params.json|-]
                                            call one verb and print its result (see agent call -h)
  agent status [flags]                      a live view of the host's VMs and the agent's load (see agent status -h)
  agent bench [flags]                       load-test an agent on loopback, against a baseline (see agent bench -h)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "serve":
		code = serve(os.Args[2:])
	case "call":
		code = call(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	case "status":
		code = status(os.Args[2:], os.Stdout, os.Stderr)
	case "bench":
		code = benchCommand(os.Args[2:], os.Stdout, os.Stderr)
	case "-h", "--help", "help":
		fmt.Fprint(os.Stdout, usage)
	default:
		fmt.Fprintf(os.Stderr, "agent: unknown command %q\n%s", os.Args[1], usage)
		code = 2
	}
	os.Exit(code)
}
