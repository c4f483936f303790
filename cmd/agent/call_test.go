package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
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
	p, err := callParams([]string{"n=5", "s=hello", "b=true", "l=[1,2]", "o={\"a\":1}", "q=\"5\""}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p["n"] != float64(5) || p["s"] != "hello" || p["b"] != true || p["q"] != "5" {
		t.Fatalf("params: %#v", p)
	}
	if _, err := callParams([]string{"novalue"}, nil); err == nil {
		t.Fatal("want an error for an argument without =")
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
