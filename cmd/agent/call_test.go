package main

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/actors/agent"
)

func runCall(t *testing.T, ta *testAgent, args ...string) (int, string, string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(ta.addr)
	var out, errb bytes.Buffer
	code := call(append([]string{"--host", host, "--port", port, "--insecure"}, args...), strings.NewReader(`{"key_value_store": {"ksmEnabled": true}}`), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAgentCall(t *testing.T) {
	ta := startAgent(t)
	if code, out, errs := runCall(t, ta, "Host.ping2"); code != 0 || out != "true\n" {
		t.Fatalf("agent call Host.ping2: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCall(t, ta, "Host.setMOMPolicyParameters", "-f", "-"); code != 0 || out != "true\n" {
		t.Fatalf("agent call -f -: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCall(t, ta, "Host.getHardwareInfo"); code != 0 || !strings.Contains(out, "\n    \"systemManufacturer\"") {
		t.Fatalf("agent call prints indented JSON: %d %q", code, out)
	}
	code, out, errs := runCall(t, ta, "Host.nothing", "a=1")
	if code != 1 || out != "" || errs != "code: -32601\nmessage: The method does not exist or is not available: {'method': 'Host.nothing'}\n" {
		t.Fatalf("agent call error: %d %q %q", code, out, errs)
	}
}

func TestCallParams(t *testing.T) {
	v, err := callParams([]string{"n=5", "s=hello", "b=true", "l=[1,2]", "o={\"a\":1}", "q=\"5\""}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := v.(map[string]any); p["n"] != float64(5) || p["s"] != "hello" || p["b"] != true || p["q"] != "5" {
		t.Fatalf("params: %#v", p)
	}
	if _, err := callParams([]string{"novalue"}, nil); err == nil {
		t.Fatal("want an error for an argument without =")
	}
	// A file holding an object adds to name=value; one holding an array is positional params.
	v, err = callParams([]string{"a=1", "-f", "-"}, strings.NewReader(`{"b": 2}`))
	if p, ok := v.(map[string]any); err != nil || !ok || p["a"] != float64(1) || p["b"] != float64(2) {
		t.Fatalf("object file: %#v %v", v, err)
	}
	v, err = callParams([]string{"-f", "-"}, strings.NewReader(`["x", 2]`))
	if p, ok := v.([]any); err != nil || !ok || len(p) != 2 || p[0] != "x" {
		t.Fatalf("array file: %#v %v", v, err)
	}
	if _, err := callParams([]string{"a=1", "-f", "-"}, strings.NewReader(`[1]`)); err == nil || !strings.Contains(err.Error(), "cannot be mixed") {
		t.Fatalf("positional with named: %v", err)
	}
	if _, err := callParams([]string{"-f", "-"}, strings.NewReader(`"s"`)); err == nil || !strings.Contains(err.Error(), "want a JSON object") {
		t.Fatalf("a string file: %v", err)
	}
}

// Positional params from a file reach the agent as a JSON array, which it takes as VDSM does.
func TestAgentCallPositional(t *testing.T) {
	ta := startAgent(t)
	host, port, _ := net.SplitHostPort(ta.addr)
	var out, errb bytes.Buffer
	code := call([]string{"--host", host, "--port", port, "--insecure", "VM.getStats", "-f", "-"}, strings.NewReader(`["`+vmWeb1+`"]`), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), `"vmId": "`+vmWeb1+`"`) {
		t.Fatalf("VM.getStats with positional params: %d %q %q", code, out.String(), errb.String())
	}
}

// The errors a user meets first say what to do: no agent at the address, or the other transport.
func TestAgentCallHints(t *testing.T) {
	// A port nothing listens on: one just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, free, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	var out, errb bytes.Buffer
	if code := call([]string{"--host", "127.0.0.1", "--port", free, "--insecure", "Host.ping2"}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "no agent seems to be listening at 127.0.0.1:"+free) {
		t.Fatalf("refused: %d %q", code, errb.String())
	}

	ta := startAgent(t)
	host, port, _ := net.SplitHostPort(ta.addr)
	dir := t.TempDir()
	errb.Reset()
	if code := call([]string{"--host", host, "--port", port, "--cert", dir + "/none.pem", "Host.ping2"}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "no such file") || !strings.Contains(errb.String(), "--insecure") {
		t.Fatalf("no certificate, plain agent: %d %q", code, errb.String())
	}
	p := newPKI(t)
	errb.Reset()
	if code := call([]string{"--host", host, "--port", port, "--cert", p.clientCert, "--key", p.client, "--ca", p.caFile, "Host.ping2"}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "does not complete a TLS handshake") || !strings.Contains(errb.String(), "--insecure") {
		t.Fatalf("TLS to a plain agent: %d %q", code, errb.String())
	}

	srv, err := agent.ServerTLS(p.serverCert, p.server, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	tlsAgent := startAgent(t, func(c *agentConfig) { c.TLS = srv })
	host, port, _ = net.SplitHostPort(tlsAgent.addr)
	errb.Reset()
	if code := call([]string{"--host", host, "--port", port, "--insecure", "--timeout", "20s", "Host.ping2"}, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "without --insecure") {
		t.Fatalf("plain TCP to a TLS agent: %d %q", code, errb.String())
	}
}

func TestVerbDeadlineFlag(t *testing.T) {
	f := verbDeadlineFlag{}
	if err := f.Set("Host.getCapabilities=120s"); err != nil || f["Host.getCapabilities"].String() != "2m0s" {
		t.Fatalf("%v %v", f, err)
	}
	for _, bad := range []string{"Host.getCapabilities", "noverb=1s", "Host.x=soon", "Host.x=-1s"} {
		if err := f.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
