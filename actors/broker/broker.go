// Package broker is the process-wide subscription directory (which connections subscribe to
// which destinations) and the actor that fans events out through it. Connections register their
// subscriptions in the Directory themselves and look it up to route responses and forwarded
// SENDs; the Broker actor only publishes events, so their producers never wait on a connection.
// Nothing here ever copies a request to anyone.
package broker

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/stomp"
	"github.com/hostagent/hostagent/supervisor"
)

// Publish sends an event body to every connection subscribed to Dest.
type Publish struct {
	Dest string
	Body []byte
}

// Deliver asks a connection actor to send Body as a MESSAGE to its subscriptions on Dest. An
// event is sent as application/json. A Forwarded SEND is delivered with the SEND's own Headers
// to the connection's subscriptions on Dest and on every dot-prefix of it.
type Deliver struct {
	Dest      string
	Body      []byte
	Forwarded bool
	Headers   []stomp.Header
}

// Broker is the event fan-out actor.
//
// Owns: nothing mutable; the Directory it reads is shared, lock-free, and written only by each
// connection's reader for its own subscriptions.
// Takes: *Publish (an event body for a destination).
// Sends: *Deliver to every connection actor subscribed to the destination, without waiting.
type Broker struct{ dir *Directory }

// New makes the broker's props. A failure resumes it: it holds nothing worth a restart.
func New(dir *Directory, log zerolog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &Broker{dir: dir} },
		actor.WithDispatcher(system.Dispatcher()),
		actor.WithGuardian(&supervisor.Resume{Kind: "broker", Log: log}))
}

func (b *Broker) Receive(c actor.Context) {
	if m, ok := c.Message().(*Publish); ok {
		subs := b.dir.Lookup(m.Dest)
		if len(subs) == 0 {
			return
		}
		d := &Deliver{Dest: m.Dest, Body: m.Body}
		for _, s := range subs {
			c.Send(s.Conn, d)
		}
	}
}
