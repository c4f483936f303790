package broker

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// Directory is the process-wide map of destination → connections subscribed to it. Each
// connection's reader goroutine, which owns that connection's STOMP session, registers and
// removes its subscriptions here synchronously, so a SUBSCRIBE is in the directory before the
// next frame of that connection is read: a RECEIPT for it, or a request sent after it, can rely
// on it.
//
// Reads are on the answer path of every response, so they take no lock: a destination's
// subscribers are an immutable slice behind an atomic pointer, replaced whole by writers, who
// serialise on one mutex (subscriptions change rarely: a few per connection).
type Directory struct {
	mu    sync.Mutex
	dests sync.Map // string → *subscribers
}

// Subscriber is one connection with Count subscriptions on a destination.
type Subscriber struct {
	Conn  *actor.PID
	Count int
}

type subscribers struct{ list atomic.Pointer[[]Subscriber] }

// NewDirectory returns an empty directory.
func NewDirectory() *Directory { return &Directory{} }

// Lookup returns the connections subscribed to exactly dest. The slice is shared and must not
// be modified.
func (d *Directory) Lookup(dest string) []Subscriber {
	v, ok := d.dests.Load(dest)
	if !ok {
		return nil
	}
	if l := v.(*subscribers).list.Load(); l != nil {
		return *l
	}
	return nil
}

// Add records one more subscription of conn on dest.
func (d *Directory) Add(conn *actor.PID, dest string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, _ := d.dests.LoadOrStore(dest, new(subscribers))
	s := v.(*subscribers)
	var old []Subscriber
	if l := s.list.Load(); l != nil {
		old = *l
	}
	next := make([]Subscriber, 0, len(old)+1)
	found := false
	for _, e := range old {
		if e.Conn.Equal(conn) {
			e.Count++
			found = true
		}
		next = append(next, e)
	}
	if !found {
		next = append(next, Subscriber{Conn: conn, Count: 1})
	}
	s.list.Store(&next)
}

// Remove drops one subscription of conn on dest; removing one that is not there does nothing.
func (d *Directory) Remove(conn *actor.PID, dest string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.dests.Load(dest)
	if !ok {
		return
	}
	s := v.(*subscribers)
	old := *s.list.Load()
	next := make([]Subscriber, 0, len(old))
	for _, e := range old {
		if e.Conn.Equal(conn) {
			if e.Count--; e.Count == 0 {
				continue
			}
		}
		next = append(next, e)
	}
	s.list.Store(&next)
	if len(next) == 0 {
		// A reader that loaded s before this sees the empty list; the next Add makes a new one.
		d.dests.Delete(dest)
	}
}

// Forward finds the connections that receive a SEND to dest: those subscribed to dest or to a
// dot-prefix of it ("a", "a.b" receive "a.b.c"), each once, in no particular order.
func (d *Directory) Forward(dest string) []*actor.PID {
	var out []*actor.PID
	seen := map[string]bool{}
	for _, p := range prefixes(dest) {
		for _, s := range d.Lookup(p) {
			if !seen[s.Conn.Id] {
				seen[s.Conn.Id] = true
				out = append(out, s.Conn)
			}
		}
	}
	return out
}

// prefixes lists dest and each of its dot-prefixes: "a.b.c" → "a", "a.b", "a.b.c".
func prefixes(dest string) []string {
	var out []string
	for i := 0; i < len(dest); i++ {
		if dest[i] == '.' {
			out = append(out, dest[:i])
		}
	}
	return append(out, dest)
}
