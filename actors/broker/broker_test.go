package broker

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
)

const wait = 10 * time.Second

// sentinel is a destination every probe subscribes to. The broker handles its messages in
// order and sends to each connection in order, so once a probe sees the sentinel it has seen
// everything the broker sent it before: "not delivered" is checked without waiting for time.
const sentinel = "test.sentinel"

// probe is a stand-in connection actor recording what the broker sends it.
type probe struct {
	pid *actor.PID
	got chan any
}

type rig struct {
	t      *testing.T
	sys    *actor.ActorSystem
	broker *actor.PID
	probes []*probe
	seq    int
}

func newRig(t *testing.T, conns int) *rig {
	t.Helper()
	g := &rig{t: t, sys: system.New(zerolog.Nop())}
	g.broker = g.sys.Root.Spawn(New(zerolog.Nop()))
	for i := 0; i < conns; i++ {
		p := &probe{got: make(chan any, 256)}
		got := p.got
		p.pid = g.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			switch m := c.Message().(type) {
			case *Deliver, *NoSubscriber:
				got <- m
			}
		}))
		g.probes = append(g.probes, p)
		g.sub(i, sentinel)
	}
	t.Cleanup(func() {
		for _, pid := range append([]*actor.PID{g.broker}, g.pids()...) {
			if err := g.sys.Root.PoisonFuture(pid).Wait(); err != nil {
				t.Errorf("stopping %s: %v", pid.Id, err)
			}
		}
	})
	return g
}

func (g *rig) pids() []*actor.PID {
	var out []*actor.PID
	for _, p := range g.probes {
		out = append(out, p.pid)
	}
	return out
}

func (g *rig) send(m any)                { g.sys.Root.Send(g.broker, m) }
func (g *rig) sub(conn int, dest string) { g.send(&Subscribe{Conn: g.probes[conn].pid, Dest: dest}) }
func (g *rig) unsub(conn int, dest string) {
	g.send(&Unsubscribe{Conn: g.probes[conn].pid, Dest: dest})
}

// received publishes a sentinel and returns, per probe, everything it got before it.
func (g *rig) received() [][]any {
	g.t.Helper()
	g.seq++
	mark := fmt.Sprintf("mark-%d", g.seq)
	g.send(&Publish{Dest: sentinel, Body: []byte(mark)})
	out := make([][]any, len(g.probes))
	for i, p := range g.probes {
		for done := false; !done; {
			select {
			case m := <-p.got:
				if d, ok := m.(*Deliver); ok && d.Dest == sentinel {
					if string(d.Body) != mark {
						g.t.Fatalf("probe %d: sentinel %s, want %s", i, d.Body, mark)
					}
					done = true
					continue
				}
				out[i] = append(out[i], m)
			case <-time.After(wait):
				g.t.Fatalf("probe %d never got the sentinel (is it still subscribed?)", i)
			}
		}
	}
	return out
}

// bodies lists the bodies of the Delivers in ms (and fails on anything else).
func bodies(t *testing.T, ms []any) []string {
	t.Helper()
	var out []string
	for _, m := range ms {
		d, ok := m.(*Deliver)
		if !ok {
			t.Fatalf("got %T %+v, want *Deliver", m, m)
		}
		out = append(out, string(d.Body))
	}
	return out
}

func TestPublishGoesToExactDestinationOnly(t *testing.T) {
	g := newRig(t, 4)
	g.sub(0, "jms.queue.events")
	g.sub(1, "jms.queue") // a prefix: Publish is exact, so no
	g.sub(2, "jms.queue.events.more")
	g.sub(3, "jms.queue.events")
	g.send(&Publish{Dest: "jms.queue.events", Body: []byte("e1")})
	got := g.received()
	want := [][]string{{"e1"}, nil, nil, {"e1"}}
	for i := range want {
		if b := bodies(t, got[i]); !slices.Equal(b, want[i]) {
			t.Errorf("probe %d got %v, want %v", i, b, want[i])
		}
	}
	d := got[0][0].(*Deliver)
	if d.Dest != "jms.queue.events" || d.ContentType != "application/json" || d.Prefix {
		t.Fatalf("event delivered as %+v", d)
	}
	g.send(&Publish{Dest: "nobody.listens", Body: []byte("x")})
	for i, ms := range g.received() {
		if len(ms) != 0 {
			t.Errorf("probe %d got %v for a destination nobody subscribes to", i, ms)
		}
	}
}

// Subscriptions are counted per connection and destination: one Deliver per connection however
// many of its subscriptions match (the connection fans out to them), and it keeps getting them
// until its last subscription there is removed.
func TestSubscriptionCounting(t *testing.T) {
	g := newRig(t, 2)
	g.sub(0, "d")
	g.sub(0, "d")
	g.sub(1, "d")
	g.send(&Publish{Dest: "d", Body: []byte("1")})
	got := g.received()
	if b := bodies(t, got[0]); !slices.Equal(b, []string{"1"}) {
		t.Fatalf("two subscriptions of one connection: got %v, want one Deliver", b)
	}

	g.unsub(0, "d")
	g.send(&Publish{Dest: "d", Body: []byte("2")})
	got = g.received()
	if b := bodies(t, got[0]); !slices.Equal(b, []string{"2"}) {
		t.Fatalf("after removing one of two subscriptions: got %v, want [2]", b)
	}

	g.unsub(0, "d")
	g.send(&Publish{Dest: "d", Body: []byte("3")})
	got = g.received()
	if len(got[0]) != 0 {
		t.Fatalf("after removing both subscriptions: got %v", bodies(t, got[0]))
	}
	if b := bodies(t, got[1]); !slices.Equal(b, []string{"3"}) {
		t.Fatalf("the other connection lost its subscription: %v", b)
	}

	// Removing more than there were, or on an unknown destination, changes nothing, and a
	// new subscription afterwards counts from zero.
	g.unsub(0, "d")
	g.unsub(0, "never")
	g.sub(0, "d")
	g.send(&Publish{Dest: "d", Body: []byte("4")})
	got = g.received()
	if b := bodies(t, got[0]); !slices.Equal(b, []string{"4"}) {
		t.Fatalf("resubscribed: got %v, want [4]", b)
	}
	g.unsub(0, "d")
	g.send(&Publish{Dest: "d", Body: []byte("5")})
	if got = g.received(); len(got[0]) != 0 {
		t.Fatalf("an extra unsubscribe left a count behind: %v", bodies(t, got[0]))
	}
}

func TestConnClosedRemovesEverySubscription(t *testing.T) {
	g := newRig(t, 2)
	for _, d := range []string{"a", "a", "b", "c.d"} {
		g.sub(0, d)
		g.sub(1, d)
	}
	g.send(&ConnClosed{Conn: g.probes[0].pid})
	g.sub(0, sentinel) // ConnClosed took the sentinel too; put it back to observe
	for _, d := range []string{"a", "b", "c.d"} {
		g.send(&Publish{Dest: d, Body: []byte(d)})
	}
	g.send(&Forward{From: g.probes[1].pid, Dest: "c.d.e", Body: []byte("fwd")})
	got := g.received()
	if len(got[0]) != 0 {
		t.Fatalf("closed connection still got %v", got[0])
	}
	if b := bodies(t, got[1]); !slices.Equal(b, []string{"a", "b", "c.d", "fwd"}) {
		t.Fatalf("the other connection got %v", b)
	}
}

// Forward reaches every connection subscribed to the destination or a dot-prefix of it, once per
// connection, and nothing else; with no subscriber the sender is told.
func TestForwardPrefixMatching(t *testing.T) {
	g := newRig(t, 8)
	subs := []string{
		"a",          // 0: prefix
		"a.b",        // 1: prefix
		"a.b.c",      // 2: exact
		"a.b.cd",     // 3: not a dot-prefix of a.b.c
		"a.b.c.d",    // 4: longer than the destination
		"jms.top",    // 5: not a prefix of jms.topic.x
		"a.b",        // 6: prefix; also subscribes "a" below, still one Deliver
		"jms.topic.", // 7: a trailing dot is not a prefix of jms.topic.x
	}
	for i, d := range subs {
		g.sub(i, d)
	}
	g.sub(6, "a")
	g.send(&Forward{From: g.probes[0].pid, Dest: "a.b.c", ContentType: "text/plain", Body: []byte("m1")})
	g.send(&Forward{From: g.probes[5].pid, Dest: "jms.topic.x", ContentType: "text/plain", Body: []byte("m2")})
	got := g.received()
	want := [][]string{{"m1"}, {"m1"}, {"m1"}, nil, nil, nil, {"m1"}, nil}
	// m2 reaches nobody ("jms.top" and "jms.topic." are not dot-prefixes of "jms.topic.x"), so
	// its sender, probe 5, is told instead.
	if len(got[5]) != 1 {
		t.Fatalf("probe 5 got %v, want one NoSubscriber", got[5])
	}
	if ns, ok := got[5][0].(*NoSubscriber); !ok || ns.Dest != "jms.topic.x" {
		t.Fatalf("probe 5 got %+v, want NoSubscriber{jms.topic.x}", got[5][0])
	}
	got[5] = nil
	for i := range want {
		if b := bodies(t, got[i]); !slices.Equal(b, want[i]) {
			t.Errorf("probe %d (subscribed to %q) got %v, want %v", i, subs[i], b, want[i])
		}
	}
	d := got[2][0].(*Deliver)
	if d.Dest != "a.b.c" || d.ContentType != "text/plain" || !d.Prefix {
		t.Fatalf("forwarded as %+v", d)
	}
	// A SEND nobody receives: its sender is told, and only it.
	g.send(&Forward{From: g.probes[3].pid, Dest: "z.y", Body: []byte("m3")})
	got = g.received()
	for i := range got {
		if i == 3 {
			continue
		}
		if len(got[i]) != 0 {
			t.Errorf("probe %d got %v", i, got[i])
		}
	}
	if len(got[3]) != 1 {
		t.Fatalf("sender of an undeliverable SEND got %v, want one NoSubscriber", got[3])
	}
	if ns, ok := got[3][0].(*NoSubscriber); !ok || ns.Dest != "z.y" {
		t.Fatalf("got %+v, want NoSubscriber{z.y}", got[3][0])
	}
}

// Subscriptions that look like prefixes but are not dot-prefixes ("jms.top"), or are longer
// than the destination, do not receive it: the sender is told nobody did.
func TestForwardNoSubscriberTellsSender(t *testing.T) {
	g := newRig(t, 3)
	g.sub(1, "jms.top")
	g.sub(2, "jms.topic.x.y")
	g.send(&Forward{From: g.probes[0].pid, Dest: "jms.topic.x", Body: []byte("m")})
	got := g.received()
	if len(got[0]) != 1 {
		t.Fatalf("sender got %v, want one NoSubscriber", got[0])
	}
	if ns, ok := got[0][0].(*NoSubscriber); !ok || ns.Dest != "jms.topic.x" {
		t.Fatalf("sender got %+v", got[0][0])
	}
	if len(got[1]) != 0 || len(got[2]) != 0 {
		t.Fatalf("non-matching subscribers got %v %v", got[1], got[2])
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		sub, dest string
		want      bool
	}{
		{"a.b.c", "a.b.c", true},
		{"a", "a.b.c", true},
		{"a.b", "a.b.c", true},
		{"a.b.cd", "a.b.c", false},
		{"a.b.c", "a.b.cd", false},
		{"a.b.c.d", "a.b.c", false},
		{"jms.top", "jms.topic.x", false},
		{"jms.topic", "jms.topic.x", true},
		{"jms.topic.", "jms.topic.x", false},
		{"b", "a.b", false},
		{"a.b", "a", false},
		{"", "a", false},
		{"", "", true},
		{"A", "a.b", false}, // case matters
		{"jms.topic.vdsm_responses", "jms.topic.vdsm_responses", true},
	}
	for _, tt := range tests {
		t.Run(tt.sub+"|"+tt.dest, func(t *testing.T) {
			if got := Matches(tt.sub, tt.dest); got != tt.want {
				t.Fatalf("Matches(%q, %q) = %v, want %v", tt.sub, tt.dest, got, tt.want)
			}
		})
	}
}

// Matches (the connection's rule for its own subscriptions) and the broker's prefixes (which
// destinations it looks up) agree on every pair: a connection told to deliver a forwarded
// message finds a matching subscription, and the broker never misses one.
func TestMatchesAgreesWithPrefixes(t *testing.T) {
	names := []string{"", ".", "a", "a.", ".a", "a.b", "a..b", "a.b.c", "a.b.cd", "ab", "a.bc", "jms.top", "jms.topic", "jms.topic.x"}
	for _, dest := range names {
		ps := prefixes(dest)
		for _, sub := range names {
			if got, want := Matches(sub, dest), slices.Contains(ps, sub); got != want {
				t.Errorf("Matches(%q, %q) = %v but prefixes(%q) = %q", sub, dest, got, dest, ps)
			}
		}
	}
}
