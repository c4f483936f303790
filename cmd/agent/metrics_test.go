package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestMetricsEndpoint(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.MetricsListen = "127.0.0.1:0" })
	c := ta.dial(t)
	if _, err := c.Call("Host.ping2", nil); err != nil {
		t.Fatal(err)
	}
	rpcError(t, c, "Made.up", nil)
	ta.SampleNow()
	resp, err := http.Get("http://" + ta.MetricsAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`hostagent_requests_total{code="0",method="Host.ping2"} 1`,
		`hostagent_requests_total{code="-32601",method="other"} 1`,
		`hostagent_request_duration_seconds_count{method="Host.ping2"} 1`,
		`hostagent_rejected_total 0`,
		`hostagent_deadline_expired_total 0`,
		`hostagent_stuck_calls_total 0`,
		`hostagent_requests_in_flight 0`,
		`hostagent_connections 1`,
		`hostagent_vms{status="Up"} 2`,
		`hostagent_vms{status="Paused"} 1`,
		`hostagent_vms{status="Down"} 1`,
		`hostagent_libvirt_connected 1`,
		`hostagent_vm_sample_age_seconds`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}
