package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func serveFlags() (*flag.FlagSet, *string, *int, verbDeadlineFlag) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	listen := fs.String("listen", "[::]:54321", "")
	workers := fs.Int("workers", 8, "")
	fs.Duration("deadline", time.Minute, "")
	vd := verbDeadlineFlag{}
	fs.Var(vd, "verb-deadline", "")
	fs.String("config", "", "")
	return fs, listen, workers, vd
}

func TestConfigFileAndFlagsOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.conf")
	os.WriteFile(path, []byte("# comment\nlisten = 127.0.0.1:1\nworkers = 3\nverb-deadline = Host.getCapabilities=2m\nverb-deadline = VM.create=90s\n"), 0o600)
	fs, listen, workers, vd := serveFlags()
	if err := fs.Parse([]string{"--workers", "5"}); err != nil {
		t.Fatal(err)
	}
	if err := applyConfigFile(fs, path); err != nil {
		t.Fatal(err)
	}
	if *listen != "127.0.0.1:1" || *workers != 5 || vd["VM.create"] != 90*time.Second || len(vd) != 2 {
		t.Fatalf("listen %s workers %d deadlines %v", *listen, *workers, vd)
	}
	for _, bad := range []string{"nokey\n", "colour = blue\n", "workers = many\n", "config = x\n"} {
		os.WriteFile(path, []byte(bad), 0o600)
		fs, _, _, _ := serveFlags()
		if err := applyConfigFile(fs, path); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// --print-config's output read back as a config file gives the same configuration.
func TestPrintConfigRoundTrips(t *testing.T) {
	fs, _, _, _ := serveFlags()
	fs.Parse([]string{"--listen", "10.0.0.1:54321", "--verb-deadline", "Host.getStats=5s"})
	var out bytes.Buffer
	printConfig(fs, &out)
	path := filepath.Join(t.TempDir(), "agent.conf")
	os.WriteFile(path, out.Bytes(), 0o600)
	fs2, _, _, _ := serveFlags()
	if err := applyConfigFile(fs2, path); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var again bytes.Buffer
	printConfig(fs2, &again)
	if again.String() != out.String() {
		t.Fatalf("round trip changed the configuration:\n%s\nvs\n%s", out.String(), again.String())
	}
	if !strings.Contains(out.String(), "listen = 10.0.0.1:54321\n") {
		t.Fatal(out.String())
	}
}

// The real binary's flags: every one has a key, and the whole printed configuration round-trips.
func TestServePrintConfig(t *testing.T) {
	var out bytes.Buffer
	stdout := os.Stdout
	r, w, _ := os.Pipe()
	os.Stdout = w
	code := serve([]string{"--print-config", "--workers", "3"})
	w.Close()
	os.Stdout = stdout
	out.ReadFrom(r)
	if code != 0 || !strings.Contains(out.String(), "workers = 3\n") || !strings.Contains(out.String(), "libvirt-uri = \n") {
		t.Fatalf("print-config: %d\n%s", code, out.String())
	}
	path := filepath.Join(t.TempDir(), "agent.conf")
	os.WriteFile(path, out.Bytes(), 0o600)
	r, w, _ = os.Pipe()
	os.Stdout = w
	code = serve([]string{"--config", path, "--print-config"})
	w.Close()
	os.Stdout = stdout
	var again bytes.Buffer
	again.ReadFrom(r)
	if code != 0 || again.String() != out.String() {
		t.Fatalf("round trip through the binary's flags:\n%s\nvs\n%s", out.String(), again.String())
	}
}

// The shipped configuration file is valid, and the unit starts the agent with it.
func TestShippedConfigAndUnit(t *testing.T) {
	r, w, _ := os.Pipe()
	stdout := os.Stdout
	os.Stdout = w
	code := serve([]string{"--config", "dist/agent.conf", "--print-config"})
	w.Close()
	os.Stdout = stdout
	var out bytes.Buffer
	out.ReadFrom(r)
	if code != 0 || !strings.Contains(out.String(), "libvirt-uri = qemu:///system\n") || !strings.Contains(out.String(), "manage-networks = true\n") {
		t.Fatalf("dist/agent.conf: %d\n%s", code, out.String())
	}
	unit, err := os.ReadFile("dist/hostagent.service")
	if err != nil || !strings.Contains(string(unit), "ExecStart=/usr/bin/agent serve --config /etc/hostagent/agent.conf\n") {
		t.Fatalf("unit: %v\n%s", err, unit)
	}
	if path, err := exec.LookPath("systemd-analyze"); err == nil {
		// verify also checks that ExecStart's binary exists: point a copy of the unit at a
		// freshly built one.
		dir := t.TempDir()
		bin := filepath.Join(dir, "agent")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
		copyUnit := filepath.Join(dir, "hostagent.service")
		os.WriteFile(copyUnit, []byte(strings.ReplaceAll(string(unit), "/usr/bin/agent", bin)), 0o644)
		if out, err := exec.Command(path, "verify", copyUnit).CombinedOutput(); err != nil {
			t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
		}
	}
}
