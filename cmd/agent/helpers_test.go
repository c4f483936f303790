package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/agent"
	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/supervisor"
)

// testAgent boots a whole agent on a loopback port with plain TCP, on the embedded test-driver
// host, and shuts it down when the test ends.
type testAgent struct {
	*agent.Agent
	faults *supervisor.Injector
	addr   string
}

type agentConfig = agent.Config

type option func(*agentConfig)

func startAgent(t *testing.T, opts ...option) *testAgent {
	t.Helper()
	faults := supervisor.NewInjector(uint64(time.Now().UnixNano()))
	cfg := agent.Config{
		Listen: "127.0.0.1:0", Workers: 4, Queue: 16, Deadline: 30 * time.Second,
		SampleInterval: time.Hour, Faults: faults, Log: testLogger(t),
	}
	// The libvirtd lane points the same tests at a real daemon.
	cfg.LibvirtURI = os.Getenv("HOSTAGENT_TEST_LIBVIRT_URI")
	for _, o := range opts {
		o(&cfg)
	}
	a, err := startRaw(cfg)
	if err != nil {
		t.Fatalf("start agent: %v", err)
	}
	select {
	case <-a.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not finish recovery")
	}
	ta := &testAgent{Agent: a, faults: faults, addr: a.Addr().String()}
	t.Cleanup(func() {
		faults.Clear()
		if err := a.Shutdown(10 * time.Second); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return ta
}

func startRaw(cfg agentConfig) (*agent.Agent, error) { return agent.Start(cfg) }

func testLogger(t *testing.T) zerolog.Logger {
	if os.Getenv("AGENT_TEST_LOG") != "" {
		return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).With().Timestamp().Logger()
	}
	return zerolog.Nop()
}

// dial connects a go-stomp based client, the way vdsm-client does.
func (ta *testAgent) dial(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{Addr: ta.addr, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (ta *testAgent) call(t *testing.T, method string, params any) json.RawMessage {
	t.Helper()
	c := ta.dial(t)
	res, err := c.Call(method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return res
}

// raw is a plain TCP connection that writes bytes and reads frames with go-stomp's frame reader,
// an independent parser of what the agent writes.
type raw struct {
	t  *testing.T
	nc net.Conn
	r  *frame.Reader
}

func (ta *testAgent) raw(t *testing.T) *raw {
	t.Helper()
	nc, err := net.Dial("tcp", ta.addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return &raw{t: t, nc: nc, r: frame.NewReader(bufio.NewReader(nc))}
}

func (r *raw) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.nc, s); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// frame reads the next frame, skipping heart-beats; it fails the test after 20 s.
func (r *raw) frame() *frame.Frame {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		f, err := r.r.Read()
		if err != nil {
			r.t.Fatalf("read frame: %v", err)
		}
		if f != nil {
			return f
		}
	}
}

// next reads the next frame, skipping heart-beats, without failing the test (for goroutines).
func (r *raw) next() (*frame.Frame, error) {
	r.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		f, err := r.r.Read()
		if err != nil || f != nil {
			return f, err
		}
	}
}

// closed waits until the agent closes the connection and returns what it read before that.
func (r *raw) closed() []byte {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(r.nc)
	if err != nil && !isReset(err) {
		r.t.Fatalf("expected the agent to close the connection, got %v", err)
	}
	return b
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

func (r *raw) connect() {
	r.t.Helper()
	r.send("CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\x00")
	if f := r.frame(); f.Command != "CONNECTED" {
		r.t.Fatalf("expected CONNECTED, got %s %v", f.Command, f.Header)
	}
}

func (r *raw) subscribe(dest, id string) {
	r.send(fmt.Sprintf("SUBSCRIBE\ndestination:%s\nid:%s\nack:auto\n\n\x00", dest, id))
}

func (r *raw) request(replyTo, body string) {
	h := "SEND\ndestination:jms.topic.vdsm_requests\ncontent-type:application/json\n"
	if replyTo != "" {
		h += "reply-to:" + replyTo + "\n"
	}
	r.send(fmt.Sprintf("%scontent-length:%d\n\n%s\x00", h, len(body), body))
}

// response reads the next MESSAGE and decodes its JSON body.
func (r *raw) response() (map[string]any, *frame.Frame) {
	r.t.Helper()
	f := r.frame()
	if f.Command != "MESSAGE" {
		r.t.Fatalf("expected MESSAGE, got %s %v %q", f.Command, f.Header, f.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(f.Body, &m); err != nil {
		r.t.Fatalf("response body %q: %v", f.Body, err)
	}
	return m, f
}
