package supervisor

import (
	"testing"
	"time"
)

func TestBackoffDelayDoubles(t *testing.T) {
	b := &Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}
	want := []time.Duration{0, 0, 10, 20, 40, 80, 100, 100}
	for n := 1; n < len(want); n++ {
		if got := b.Delay(n); got != want[n]*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want[n]*time.Millisecond)
		}
	}
	if got := b.Delay(1000); got != 100*time.Millisecond {
		t.Errorf("Delay(1000) = %v", got)
	}
}

func TestBackoffJitterStaysInBounds(t *testing.T) {
	b := &Backoff{Jitter: 0.2}
	seen := map[time.Duration]bool{}
	for i := 0; i < 1000; i++ {
		d := b.jitter(time.Second)
		if d < 800*time.Millisecond || d > 1200*time.Millisecond {
			t.Fatalf("jittered delay %v outside ±20%%", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Fatalf("jitter produced only %d distinct delays", len(seen))
	}
	if d := b.jitter(0); d != 0 {
		t.Fatalf("no delay stays no delay, got %v", d)
	}
}
