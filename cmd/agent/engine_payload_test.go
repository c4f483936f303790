package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The engine's cloud-init payload CD-ROM (source PAYLOAD:, files in the device metadata) runs
// from an ISO image the agent builds under its payload directory: libvirt's domain points at it,
// it holds the files, and VM.destroy removes it.
func TestEnginePayloadImage(t *testing.T) {
	dir := t.TempDir()
	ta := startAgent(t, func(c *agentConfig) { c.PayloadDir = dir })
	ev := events(t, ta)
	c := ta.dial(t)
	const id = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" // testdata/engine/volatile.in.xml
	if _, err := engineCreate(c, id, engineXML(t, "volatile")); err != nil {
		t.Fatalf("VM.create: %v", err)
	}
	ev.wait(id, "Paused")
	img := filepath.Join(dir, id+".sdb.img")
	if dom := dumpXML(t, c, id); !strings.Contains(dom, `<source file='`+img+`'`) || strings.Contains(dom, "PAYLOAD:") {
		t.Fatalf("the payload disk does not point at %s:\n%s", img, dom)
	}
	out, err := exec.Command("isoinfo", "-J", "-x", "/openstack/latest/user_data", "-i", img).CombinedOutput()
	if err != nil || string(out) != "#cloud-config\nssh_pwauth: true\n" {
		t.Fatalf("user_data on the image: %q %v", out, err)
	}
	if _, err := c.Call("VM.destroy", map[string]any{"vmID": id}); err != nil {
		t.Fatalf("VM.destroy: %v", err)
	}
	ev.wait(id, "Down")
	// The VM is removed once VM.destroy answers; its image goes in the same step.
	if _, err := os.Stat(img); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the payload image outlived its VM: %v", err)
	}
}

// Without an ISO 9660 tool on the host the VM cannot start: it goes Down with an error that says
// what to install, as a VM whose start fails does.
func TestEnginePayloadWithoutISOTool(t *testing.T) {
	ta := startAgent(t, func(c *agentConfig) { c.PayloadDir = t.TempDir() })
	ev := events(t, ta)
	c := ta.dial(t)
	t.Setenv("PATH", t.TempDir())
	const id = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	if _, err := engineCreate(c, id, engineXML(t, "volatile")); err != nil {
		t.Fatalf("VM.create: %v", err)
	}
	down := ev.wait(id, "Down")
	msg, _ := down["exitMessage"].(string)
	if down["exitCode"] != float64(1) || !strings.Contains(msg, "genisoimage") {
		t.Fatalf("Down without an ISO tool: %v", down)
	}
}
