package broker

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
)

func pid(id string) *actor.PID { return actor.NewPID("nonhost", id) }

func ids(subs []Subscriber) []string {
	var out []string
	for _, s := range subs {
		out = append(out, s.Conn.Id)
	}
	return out
}

func pidIDs(pids []*actor.PID) []string {
	var out []string
	for _, p := range pids {
		out = append(out, p.Id)
	}
	slices.Sort(out)
	return out
}

func TestDirectoryCountsSubscriptionsPerConnection(t *testing.T) {
	d := NewDirectory()
	a, b := pid("a"), pid("b")
	d.Add(a, "q")
	d.Add(a, "q") // two subscriptions of a on q: one entry, delivered once per connection
	d.Add(b, "q")
	if got := ids(d.Lookup("q")); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("lookup q: %v", got)
	}
	d.Remove(a, "q")
	if got := ids(d.Lookup("q")); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after one of a's two removed: %v", got)
	}
	d.Remove(a, "q")
	d.Remove(a, "q") // one too many: nothing happens
	if got := ids(d.Lookup("q")); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after both of a's removed: %v", got)
	}
	d.Remove(b, "q")
	if got := d.Lookup("q"); got != nil {
		t.Fatalf("empty destination still listed: %v", got)
	}
	d.Remove(b, "never")
}

// A reader holding a destination's list keeps a consistent snapshot while writers change it.
func TestDirectoryLookupIsASnapshot(t *testing.T) {
	d := NewDirectory()
	d.Add(pid("a"), "q")
	snap := d.Lookup("q")
	d.Add(pid("b"), "q")
	d.Remove(pid("a"), "q")
	if got := ids(snap); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("snapshot changed under its reader: %v", got)
	}
}

func TestDirectoryForwardMatchesDotParentsOnce(t *testing.T) {
	d := NewDirectory()
	d.Add(pid("exact"), "a.b.c")
	d.Add(pid("parent"), "a.b")
	d.Add(pid("parent"), "a") // two matching subscriptions, one connection: listed once
	d.Add(pid("root"), "a")
	d.Add(pid("sibling"), "a.b.cd")
	d.Add(pid("partial"), "a.b.")
	d.Add(pid("textprefix"), "a.b.c.d")
	for _, tc := range []struct {
		dest string
		want []string
	}{
		{"a.b.c", []string{"exact", "parent", "root"}},
		{"a.b", []string{"parent", "root"}},
		{"a.bx", []string{"parent", "root"}},
		{"ab", nil},
		{"a.b.cd", []string{"parent", "root", "sibling"}},
	} {
		if got := pidIDs(d.Forward(tc.dest)); !slices.Equal(got, tc.want) {
			t.Errorf("forward %q: got %v, want %v", tc.dest, got, tc.want)
		}
	}
}

// Run under -race: readers take no lock while writers replace lists.
func TestDirectoryConcurrentReadersAndWriters(t *testing.T) {
	d := NewDirectory()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(p *actor.PID) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				d.Add(p, "q")
				d.Remove(p, "q")
			}
		}(pid(string(rune('a' + w))))
	}
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				for _, s := range d.Lookup("q") {
					if s.Count != 1 {
						t.Errorf("count %d", s.Count)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := d.Lookup("q"); got != nil {
		t.Fatalf("left behind: %v", got)
	}
}

// The broker actor publishes an event to the connections subscribed to exactly its destination.
func TestPublishGoesToExactDestinationOnly(t *testing.T) {
	sys := system.New(zerolog.Nop())
	d := NewDirectory()
	b := sys.Root.Spawn(New(d, zerolog.Nop()))
	got := map[string]chan *Deliver{}
	spawn := func(name string) *actor.PID {
		ch := make(chan *Deliver, 8)
		p := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if m, ok := c.Message().(*Deliver); ok {
				ch <- m
			}
		}))
		got[name] = ch
		return p
	}
	on, parent, other := spawn("on"), spawn("parent"), spawn("other")
	d.Add(on, "jms.queue.events")
	d.Add(parent, "jms.queue")
	d.Add(other, "elsewhere")
	// Each receiver gets a second publish to its own destination as a marker, so "nothing else
	// arrived" is read from the order of its mailbox, not from waiting.
	sys.Root.Send(b, &Publish{Dest: "jms.queue.events", Body: []byte("e1")})
	sys.Root.Send(b, &Publish{Dest: "jms.queue", Body: []byte("mark")})
	sys.Root.Send(b, &Publish{Dest: "elsewhere", Body: []byte("mark")})
	for name, want := range map[string]string{"on": "e1", "parent": "mark", "other": "mark"} {
		select {
		case m := <-got[name]:
			if string(m.Body) != want || m.Forwarded {
				t.Errorf("%s got %+v, want body %q", name, m, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s got nothing", name)
		}
	}
	for _, p := range []*actor.PID{b, on, parent, other} {
		if err := sys.Root.PoisonFuture(p).Wait(); err != nil {
			t.Errorf("stopping %s: %v", p.Id, err)
		}
	}
}
