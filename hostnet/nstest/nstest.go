// Package nstest gives tests that change links a network namespace of their own, so that no test
// ever touches the machine's own: made with `ip netns add`, removed by name when the test ends,
// also after a failure. It needs root; without it a test skips loudly, or fails under CI=true,
// where nothing may skip.
//
// It does not import hostnet, so hostnet's own tests can use it too.
package nstest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

var seq atomic.Int32

// New makes an empty namespace named hostagent-test-<pid>-<tag><n> and returns its name. A
// leftover of an earlier run with the same pid and name is removed first.
func New(t testing.TB, tag string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("network namespace tests need root, and CI=true: refusing to skip")
		}
		t.Skip("SKIPPED: network namespace tests need root (they fail instead under CI=true)")
	}
	name := fmt.Sprintf("hostagent-test-%d-%s%d", os.Getpid(), tag, seq.Add(1))
	_ = exec.Command("ip", "netns", "del", name).Run()
	IP(t, "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name
}

// IP runs iproute2's ip with args, failing the test with its output if it fails.
func IP(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}
