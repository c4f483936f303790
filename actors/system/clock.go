package system

import "time"

// epoch is when the process started. A time taken by time.Now has a monotonic reading, and
// time.Since on it reads only the monotonic clock: about half the cost of time.Now, which reads
// the wall clock too. The request path reads the time a few times per request (admission, the
// answer's latency, the writer's last write) and never wants the wall clock.
var epoch = time.Now().Add(-time.Nanosecond)

// Mono is the time since the process started, from the monotonic clock only; never 0.
func Mono() time.Duration { return time.Since(epoch) }
