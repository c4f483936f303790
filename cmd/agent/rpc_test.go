package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/hostagent/hostagent/client"
)

func TestPing2(t *testing.T) {
	ta := startAgent(t)
	if got := string(ta.call(t, "Host.ping2", nil)); got != "true" {
		t.Fatalf("Host.ping2 = %s, want true", got)
	}
}

func rpcError(t *testing.T, c *client.Client, method string, params any) *client.Error {
	t.Helper()
	_, err := c.Call(method, params)
	e, ok := err.(*client.Error)
	if !ok {
		t.Fatalf("%s: want a JSON-RPC error, got %v", method, err)
	}
	return e
}

func TestUnknownMethodAndNotImplemented(t *testing.T) {
	ta := startAgent(t)
	c := ta.dial(t)
	e := rpcError(t, c, "Host.noSuchVerb", nil)
	if e.Code != -32601 || e.Message != "The method does not exist or is not available: {'method': 'Host.noSuchVerb'}" {
		t.Errorf("unknown method: %+v", e)
	}
	e = rpcError(t, c, "StoragePool.getInfo", map[string]any{"storagepoolID": "x"})
	if e.Code != 44 || e.Message != "Not implemented" {
		t.Errorf("unimplemented VDSM verb: %+v", e)
	}
}

func TestPositionalParams(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("replies", "s1")
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.setMOMPolicyParameters","params":[{"balloonEnabled":true}],"id":7}`)
	m, _ := r.response()
	if m["result"] != true || m["id"] != float64(7) {
		t.Fatalf("positional params: %v", m)
	}
}

// VDSM's dispatcher thread dies on a lone notification and the host goes mute. Here a
// notification is run, answered with nothing, and the next request is answered as usual.
func TestLoneNotificationIsNotAnsweredAndAgentLives(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("replies", "s1")
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","params":{}}`)
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.noSuch"}`)
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":"after"}`)
	m, _ := r.response()
	if m["id"] != "after" || m["result"] != true {
		t.Fatalf("first message after notifications: %v", m)
	}
}

// An id that is an array killed VDSM's dispatcher; here it is an invalid request, answered once.
func TestArrayIDIsInvalidRequestAnsweredOnce(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("replies", "s1")
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":[1]}`)
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":"sentinel"}`)
	seen := map[string]int{}
	for seen["sentinel"] == 0 {
		m, _ := r.response()
		if m["id"] == nil {
			e := m["error"].(map[string]any)
			if e["code"] != float64(-32600) {
				t.Fatalf("array id: %v", m)
			}
			seen["invalid"]++
		} else {
			seen[fmt.Sprint(m["id"])]++
		}
	}
	// One more round trip proves nothing else was queued behind the sentinel.
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":"last"}`)
	m, _ := r.response()
	if m["id"] != "last" || seen["invalid"] != 1 {
		t.Fatalf("want exactly one invalid-request answer, then 'last'; seen %v, then %v", seen, m)
	}
}

// VDSM answers invalid requests twice. Each here gets exactly one answer, with VDSM's texts.
func TestInvalidRequestsAnsweredExactlyOnce(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("replies", "s1")
	bodies := []string{
		`{"jsonrpc":"1.0","method":"Host.ping2","id":1}`,
		`{"jsonrpc":"2.0","id":2}`,
		`{"jsonrpc":"2.0","method":"Host.ping2","params":null,"id":3}`,
		`not json`,
		`[]`,
	}
	for _, b := range bodies {
		r.request("replies", b)
	}
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","id":"sentinel"}`)
	codes := map[float64]int{}
	for {
		m, _ := r.response()
		if m["id"] == "sentinel" {
			break
		}
		if m["id"] != nil {
			t.Fatalf("invalid requests are answered with id null: %v", m)
		}
		codes[m["error"].(map[string]any)["code"].(float64)]++
	}
	r.request("replies", `{"jsonrpc":"2.0","method":"Host.ping2","id":"last"}`)
	if m, _ := r.response(); m["id"] != "last" {
		t.Fatalf("unexpected extra answer %v", m)
	}
	if codes[-32600] != 4 || codes[-32700] != 1 {
		t.Fatalf("answers by code: %v (want 4 × -32600, 1 × -32700)", codes)
	}
}

// VDSM never answers a batch of two or more. Here it gets an array with every answer.
func TestBatchOfTwo(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("replies", "s1")
	r.request("replies", `[{"jsonrpc":"2.0","method":"Host.ping2","id":1},{"jsonrpc":"2.0","method":"Host.nope","id":2},{"jsonrpc":"2.0","method":"Host.ping2"},{"bad":1}]`)
	f := r.frame()
	var arr []map[string]any
	if err := json.Unmarshal(f.Body, &arr); err != nil {
		t.Fatalf("batch answer %q: %v", f.Body, err)
	}
	if len(arr) != 3 {
		t.Fatalf("want 3 answers (notification unanswered), got %d: %s", len(arr), f.Body)
	}
	byID := map[string]map[string]any{}
	for _, m := range arr {
		byID[fmt.Sprint(m["id"])] = m
	}
	if byID["1"]["result"] != true || byID["2"]["error"].(map[string]any)["code"] != float64(-32601) ||
		byID["<nil>"]["error"].(map[string]any)["code"] != float64(-32600) {
		t.Fatalf("batch answers: %s", f.Body)
	}
}

// vdsm-client sends one-element batches and expects a bare object back.
func TestBatchOfOneIsAnsweredBare(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("replies", "s1")
	r.request("replies", `[{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":"one"}]`)
	m, _ := r.response()
	if m["id"] != "one" || m["result"] != true {
		t.Fatalf("one-element batch: %v", m)
	}
}

// VDSM routes responses by id alone across connections; two clients using the same id lose an
// answer. Here each gets its own. (Clients sharing a reply destination get each other's answers
// too, as from VDSM: routing_test.go.)
func TestSameIDFromTwoClients(t *testing.T) {
	ta := startAgent(t)
	a, b := ta.raw(t), ta.raw(t)
	for _, r := range []struct {
		c    *raw
		dest string
	}{{a, "ra"}, {b, "rb"}} {
		r.c.connect()
		r.c.subscribe(r.dest, "s")
	}
	a.request("ra", `{"jsonrpc":"2.0","method":"Host.ping2","id":"same"}`)
	b.request("rb", `{"jsonrpc":"2.0","method":"Host.getHardwareInfo","id":"same"}`)
	ma, _ := a.response()
	mb, _ := b.response()
	if ma["result"] != true {
		t.Fatalf("client a got %v", ma)
	}
	if _, ok := mb["result"].(map[string]any); !ok {
		t.Fatalf("client b got %v", mb)
	}
}

// A request without reply-to is answered to the sender's subscription on jms.topic.vdsm_responses.
func TestNoReplyTo(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("jms.topic.vdsm_responses", "resp")
	r.request("", `{"jsonrpc":"2.0","method":"Host.ping2","id":"x"}`)
	m, f := r.response()
	if m["id"] != "x" || f.Header.Get("destination") != "jms.topic.vdsm_responses" || f.Header.Get("subscription") != "resp" {
		t.Fatalf("no reply-to: %v %v", m, f.Header)
	}
}

// 1000 requests written back to back on one connection: each id answered exactly once (a result,
// or 1100 if admission was full at that moment).
func TestPipelined1000(t *testing.T) {
	ta := startAgent(t)
	r := ta.raw(t)
	r.connect()
	r.subscribe("replies", "s1")
	var sb strings.Builder
	const n = 1000
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","method":"Host.ping2","params":{},"id":%d}`, i)
		fmt.Fprintf(&sb, "SEND\ndestination:jms.topic.vdsm_requests\nreply-to:replies\ncontent-length:%d\n\n%s\x00", len(body), body)
	}
	// Written from another goroutine, which must not fail the test itself: the answers are read
	// while the requests are still going out.
	written := make(chan error, 1)
	go func() { _, err := io.WriteString(r.nc, sb.String()); written <- err }()
	seen := make([]int, n)
	for i := 0; i < n; i++ {
		m, _ := r.response()
		id := int(m["id"].(float64))
		seen[id]++
		if m["result"] != true {
			if e := m["error"].(map[string]any); e["code"] != float64(1100) {
				t.Fatalf("id %d: %v", id, m)
			}
		}
	}
	if err := <-written; err != nil {
		t.Fatalf("write: %v", err)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("id %d answered %d times", id, k)
		}
	}
}
