// Package broker is the process-wide subscription directory: which connections subscribe to
// which destinations. It fans events out and forwards client-to-client SENDs. It never sees
// RPC responses — those go straight from the reply to the requesting connection — and it never
// copies a request to anyone.
package broker

import (
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/supervisor"
)

// Subscribe records that conn has a subscription on dest.
type Subscribe struct {
	Conn *actor.PID
	Dest string
}

// Unsubscribe removes one subscription of conn on dest.
type Unsubscribe struct {
	Conn *actor.PID
	Dest string
}

// ConnClosed removes every subscription of conn.
type ConnClosed struct{ Conn *actor.PID }

// Publish sends an event body to every connection subscribed to Dest.
type Publish struct {
	Dest string
	Body []byte
}

// Forward is a client's SEND to a non-request destination: delivered to every connection with a
// subscription on Dest or on a dot-prefix of it. From gets NoSubscriber when nobody gets it.
type Forward struct {
	From        *actor.PID
	Dest        string
	ContentType string
	Body        []byte
}

// Deliver asks a connection actor to send Body as a MESSAGE to its subscriptions on Dest (and,
// when Prefix is set, on every dot-prefix of Dest).
type Deliver struct {
	Dest        string
	ContentType string
	Body        []byte
	Prefix      bool
}

// NoSubscriber tells a connection that its forwarded SEND reached nobody.
type NoSubscriber struct{ Dest string }

// Broker is the subscription directory actor.
type Broker struct {
	subs map[string]map[string]*entry // destination → connection id → its subscriptions there
}

type entry struct {
	conn  *actor.PID
	count int
}

// New makes the broker's props. A failure resumes it: a restart would forget every subscription.
func New(log zerolog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &Broker{subs: map[string]map[string]*entry{}} },
		actor.WithDispatcher(system.Dispatcher()),
		actor.WithGuardian(&supervisor.Resume{Kind: "broker", Log: log}))
}

func (b *Broker) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *Subscribe:
		conns := b.subs[m.Dest]
		if conns == nil {
			conns = map[string]*entry{}
			b.subs[m.Dest] = conns
		}
		e := conns[m.Conn.Id]
		if e == nil {
			e = &entry{conn: m.Conn}
			conns[m.Conn.Id] = e
		}
		e.count++
	case *Unsubscribe:
		if conns := b.subs[m.Dest]; conns != nil {
			if e := conns[m.Conn.Id]; e != nil {
				if e.count--; e.count <= 0 {
					delete(conns, m.Conn.Id)
				}
			}
			if len(conns) == 0 {
				delete(b.subs, m.Dest)
			}
		}
	case *ConnClosed:
		for dest, conns := range b.subs {
			delete(conns, m.Conn.Id)
			if len(conns) == 0 {
				delete(b.subs, dest)
			}
		}
	case *Publish:
		d := &Deliver{Dest: m.Dest, ContentType: "application/json", Body: m.Body}
		for _, e := range b.subs[m.Dest] {
			c.Send(e.conn, d)
		}
	case *Forward:
		targets := map[string]*actor.PID{}
		for _, dest := range prefixes(m.Dest) {
			for id, e := range b.subs[dest] {
				targets[id] = e.conn
			}
		}
		if len(targets) == 0 {
			c.Send(m.From, &NoSubscriber{Dest: m.Dest})
			return
		}
		d := &Deliver{Dest: m.Dest, ContentType: m.ContentType, Body: m.Body, Prefix: true}
		for _, conn := range targets {
			c.Send(conn, d)
		}
	}
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

// Matches reports whether a subscription on sub receives a message sent to dest with prefix
// matching: sub equals dest or is one of its dot-prefixes.
func Matches(sub, dest string) bool {
	return sub == dest || (strings.HasPrefix(dest, sub) && len(dest) > len(sub) && dest[len(sub)] == '.')
}
