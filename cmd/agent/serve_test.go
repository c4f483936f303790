package main

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hostagent/hostagent/client"
)

// The real binary: `agent serve` on the embedded host answers, and SIGTERM makes it stop and exit 0.
func TestServeBinarySIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "agent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--tls=false", "--listen", "127.0.0.1:0", "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The agent logs where it listens; read that rather than guessing a port.
	lines := bufio.NewScanner(stderr)
	var addr string
	var logs []string
	for addr == "" && lines.Scan() {
		logs = append(logs, lines.Text())
		var l struct{ Message, Listen string }
		if json.Unmarshal(lines.Bytes(), &l) == nil && l.Message == "agent serving" {
			addr = l.Listen
		}
	}
	if addr == "" {
		t.Fatalf("no 'agent serving' line: %v", logs)
	}
	go func() {
		for lines.Scan() {
		}
	}()
	c, err := client.Dial(client.Options{Addr: addr, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var res json.RawMessage
	for {
		// Recovery of the embedded host's VMs takes a moment; until then the answer is 99.
		res, err = c.Call("Host.ping2", nil)
		if e, ok := err.(*client.Error); !ok || e.Code != 99 {
			break
		}
	}
	if err != nil || string(res) != "true" {
		t.Fatalf("ping: %s %v", res, err)
	}
	c.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("agent serve did not exit after SIGTERM")
	}
}
