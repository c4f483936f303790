package vm

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hostagent/hostagent/protocol/vdsm"
)

// Clock turns wall-clock readings into the host-monotonic time statusTime and notify_time are
// made of. The engine orders a host's reports by these values and drops older ones, so they
// must keep growing across agent restarts: the clock counts from the host's boot, not the
// agent's start.
type Clock struct {
	base     time.Time
	baseMono time.Duration
}

// NewClock is a clock that reads monotonicAtBase at base. Tests use it with fixed values.
func NewClock(base time.Time, monotonicAtBase time.Duration) Clock {
	return Clock{base: base, baseMono: monotonicAtBase}
}

// SystemClock reads the time since boot once; later readings add Go's own monotonic clock to
// it, so they are immune to wall-clock jumps.
func SystemClock() (Clock, error) {
	now := time.Now()
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return Clock{}, fmt.Errorf("host monotonic clock: %w", err)
	}
	up, err := parseUptime(string(b))
	if err != nil {
		return Clock{}, fmt.Errorf("host monotonic clock: %w", err)
	}
	return NewClock(now, up), nil
}

// parseUptime reads the first field of /proc/uptime: seconds since boot, two decimals.
func parseUptime(s string) (time.Duration, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return 0, fmt.Errorf("empty /proc/uptime")
	}
	d, err := time.ParseDuration(fields[0] + "s")
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad /proc/uptime %q", fields[0])
	}
	return d, nil
}

// Monotonic is the host-monotonic reading at t.
func (c Clock) Monotonic(t time.Time) time.Duration { return c.baseMono + t.Sub(c.base) }

// EventTime is notify_time at t.
func (c Clock) EventTime(t time.Time) int64 { return vdsm.EventTime(c.Monotonic(t)) }

// StatusTime is statusTime at t.
func (c Clock) StatusTime(t time.Time) string { return vdsm.StatusTime(c.Monotonic(t)) }
