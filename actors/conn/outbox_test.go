package conn

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hostagent/hostagent/protocol/stomp"
)

// check asserts the invariants that hold whenever the lock is free.
func (o *outbox) check(t *testing.T, big int) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.pending) + o.inFlight; n > o.max && n > big {
		t.Fatalf("%d bytes queued, bound %d", n, o.max)
	}
	if o.over && len(o.pending) > 0 {
		t.Fatalf("a dropped outbox holds %d bytes", len(o.pending))
	}
}

func TestOutboxInvariants(t *testing.T) {
	t.Run("bound", func(t *testing.T) {
		var fails atomic.Int32
		o := newOutbox(100, func() { fails.Add(1) })
		o.subscribe(stomp.Subscription{ID: "1", Destination: "d"})
		big := bytes.Repeat([]byte("x"), 500)
		o.message("d", big) // one frame into an empty outbox, whatever its size
		o.check(t, 700)
		if fails.Load() != 0 {
			t.Fatal("the first frame into an empty outbox was refused")
		}
		o.message("d", []byte("{}")) // past the bound: the connection is dropped
		o.message("d", []byte("{}"))
		if o.frames([]*stomp.Frame{stomp.ReceiptFrame("r")}, false) {
			t.Fatal("frames reported success on a dropped outbox")
		}
		o.heartbeat(0)
		o.check(t, 0)
		if n := fails.Load(); n != 1 {
			t.Fatalf("told %d times that the client is not reading", n)
		}
		if buf, closed, dropped := o.take(); buf != nil || closed || !dropped {
			t.Fatalf("a dropped outbox gave the writer %d bytes, closed %v, dropped %v", len(buf), closed, dropped)
		}
	})
	t.Run("the writer's bytes count", func(t *testing.T) {
		var fails atomic.Int32
		o := newOutbox(300, func() { fails.Add(1) })
		o.subscribe(stomp.Subscription{ID: "1", Destination: "d"})
		body := bytes.Repeat([]byte("x"), 100)
		o.message("d", body)
		buf, _, _ := o.take() // with the writer now: still counted
		o.message("d", body)
		o.message("d", body)
		if fails.Load() != 1 {
			t.Fatalf("bytes with the writer were not counted: %d in flight, pending %d", len(buf), len(o.pending))
		}
	})
	t.Run("wake and order", func(t *testing.T) {
		o := newOutbox(1<<20, func() { t.Error("overflow") })
		o.subscribe(stomp.Subscription{ID: "a", Destination: "d"})
		o.subscribe(stomp.Subscription{ID: "b", Destination: "d"})
		o.subscribe(stomp.Subscription{ID: "c", Destination: "e"})
		if buf, closed, dropped := o.take(); buf != nil || closed || dropped {
			t.Fatal("an empty outbox gave the writer something")
		}
		o.frames([]*stomp.Frame{stomp.ReceiptFrame("r")}, false)
		select {
		case <-o.wake:
		default:
			t.Fatal("an append to an idle, empty outbox left no wake token")
		}
		o.message("d", []byte("1"))
		o.unsubscribe("a")
		o.message("d", []byte("2"))
		buf, _, _ := o.take()
		want := "RECEIPT\nreceipt-id:r\n\n\x00" +
			string(stomp.AppendMessageAfter(nil, stomp.MessageHead("d", "a"), 1, []byte("1"))) +
			string(stomp.AppendMessageAfter(nil, stomp.MessageHead("d", "b"), 2, []byte("1"))) +
			string(stomp.AppendMessageAfter(nil, stomp.MessageHead("d", "b"), 3, []byte("2")))
		if string(buf) != want {
			t.Fatalf("got  %q\nwant %q", buf, want)
		}
		o.message("d", []byte("3")) // the writer is busy: no token needed, it looks again
		select {
		case <-o.wake:
			t.Fatal("a token while the writer was busy")
		default:
		}
		o.written(buf)
		if buf, _, _ := o.take(); !strings.Contains(string(buf), "message-id:4\n") {
			t.Fatalf("got %q", buf)
		}
	})
	t.Run("closing", func(t *testing.T) {
		o := newOutbox(1<<20, func() { t.Error("overflow") })
		o.subscribe(stomp.Subscription{ID: "a", Destination: "d"})
		o.frames([]*stomp.Frame{stomp.ReceiptFrame("bye")}, true)
		o.message("d", []byte("late"))
		o.heartbeat(0)
		buf, closed, _ := o.take()
		if string(buf) != "RECEIPT\nreceipt-id:bye\n\n\x00" || closed {
			t.Fatalf("got %q, closed %v", buf, closed)
		}
		o.written(buf)
		if buf, closed, dropped := o.take(); buf != nil || !closed || dropped {
			t.Fatalf("after the last write: %q, closed %v, dropped %v", buf, closed, dropped)
		}
	})
	t.Run("drain with nothing queued wakes the writer", func(t *testing.T) {
		o := newOutbox(1<<20, nil)
		o.take()
		o.drain()
		select {
		case <-o.wake:
		default:
			t.Fatal("no wake token")
		}
		if buf, closed, _ := o.take(); buf != nil || !closed {
			t.Fatalf("%q, closed %v", buf, closed)
		}
	})
	t.Run("concurrent appenders and one writer", func(t *testing.T) {
		const appenders, each = 4, 2000
		// Room for everything: the bound is for a client that stops reading, tested above.
		o := newOutbox(appenders*each*200, func() { t.Error("overflow") })
		for i := 0; i < appenders; i++ {
			o.subscribe(stomp.Subscription{ID: fmt.Sprint(i), Destination: fmt.Sprint("d", i)})
		}
		var out bytes.Buffer
		stop := make(chan struct{})
		writerDone := make(chan struct{})
		go func() { // as the writer goroutine does
			defer close(writerDone)
			for {
				buf, closed, dropped := o.take()
				if closed || dropped {
					return
				}
				if buf == nil {
					select {
					case <-o.wake:
					case <-stop:
						return
					}
					continue
				}
				out.Write(buf)
				o.written(buf)
			}
		}()
		var wg sync.WaitGroup
		for i := 0; i < appenders; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; n < each; n++ {
					o.message(fmt.Sprint("d", i), []byte(fmt.Sprint(n)))
					o.check(t, 0)
				}
			}()
		}
		wg.Wait()
		o.drain()
		select {
		case <-writerDone:
		case <-time.After(20 * time.Second):
			close(stop)
			t.Fatal("the writer never finished: a wake-up was lost")
		}
		r := stomp.NewReader(&out, stomp.Limits{})
		next := make([]int, appenders)
		ids := map[string]bool{}
		for {
			f, err := r.Read()
			if err != nil {
				break
			}
			sub, _ := f.Get(stomp.HdrSubscription)
			id, _ := f.Get(stomp.HdrMessageID)
			if ids[id] {
				t.Fatalf("message-id %s twice", id)
			}
			ids[id] = true
			var i int
			fmt.Sscan(sub, &i)
			if string(f.Body) != fmt.Sprint(next[i]) {
				t.Fatalf("appender %d: got %s, want %d", i, f.Body, next[i])
			}
			next[i]++
		}
		for i, n := range next {
			if n != each {
				t.Fatalf("appender %d: %d of %d messages written", i, n, each)
			}
		}
	})
}
