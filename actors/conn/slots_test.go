package conn

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestSlots(t *testing.T) {
	t.Run("a full connection's reader waits for an answer", func(t *testing.T) {
		s := newSlots(2)
		done := make(chan struct{})
		if !s.take(done) || !s.take(done) {
			t.Fatal("a free place was refused")
		}
		got := make(chan bool)
		go func() { got <- s.take(done) }()
		s.Answered(nil)
		if !<-got {
			t.Fatal("the waiting reader got no place when one was given back")
		}
		s.Answered(nil)
		s.Answered(nil)
		if n := s.n.Load(); n != 0 {
			t.Fatalf("%d places counted taken, none are", n)
		}
	})
	t.Run("the connection ends while the reader waits", func(t *testing.T) {
		s := newSlots(1)
		done := make(chan struct{})
		s.take(done)
		close(done)
		if s.take(done) {
			t.Fatal("a place was taken on a full, ended connection")
		}
		s.Answered(nil) // the answer still on its way gives its place back without blocking
	})
	t.Run("never more than max in flight", func(t *testing.T) {
		const max, requests = 4, 20000
		s := newSlots(max)
		done := make(chan struct{})
		var inFlight, peak atomic.Int32
		work := make(chan struct{}, requests)
		var wg sync.WaitGroup
		for range 3 { // workers answering
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					inFlight.Add(-1)
					s.Answered(nil)
				}
			}()
		}
		for range requests { // the reader
			if !s.take(done) {
				t.Fatal("refused")
			}
			if n := inFlight.Add(1); n > peak.Load() {
				peak.Store(n)
			}
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
		if p := peak.Load(); p > max {
			t.Fatalf("%d requests in flight, bound %d", p, max)
		}
		if n := s.n.Load(); n != 0 {
			t.Fatalf("%d places counted taken after every answer", n)
		}
	})
}
