package vm

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	c := NewClock(t0, 90*time.Minute)
	now := t0.Add(1500 * time.Millisecond)
	if got := c.Monotonic(now); got != 90*time.Minute+1500*time.Millisecond {
		t.Errorf("Monotonic = %v", got)
	}
	// 2^31-1 + 5401500 ms
	if got := c.EventTime(now); got != 2152885147 {
		t.Errorf("EventTime = %d", got)
	}
	if got := c.StatusTime(now); got != "2152885147" {
		t.Errorf("StatusTime = %q", got)
	}
}

func TestParseUptime(t *testing.T) {
	if d, err := parseUptime("12345.67 98765.43\n"); err != nil || d != 12345670*time.Millisecond {
		t.Errorf("parseUptime = %v, %v", d, err)
	}
	for _, bad := range []string{"", "x 1", "-1 2"} {
		if _, err := parseUptime(bad); err == nil {
			t.Errorf("parseUptime(%q): no error", bad)
		}
	}
}

// The system clock keeps growing with Go's monotonic clock, whatever the wall clock does.
func TestSystemClock(t *testing.T) {
	c, err := SystemClock()
	if err != nil {
		t.Skip("no /proc/uptime:", err)
	}
	a := c.EventTime(time.Now())
	b := c.EventTime(time.Now())
	if a <= 1<<31-1 || b < a {
		t.Errorf("event times %d then %d", a, b)
	}
}
