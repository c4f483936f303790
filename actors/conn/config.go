package conn

import (
	"crypto/tls"
	"time"

	"github.com/rs/zerolog"

	"github.com/hostagent/hostagent/actors/broker"
	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/protocol/stomp"
)

// Config is shared by every connection the listener serves.
type Config struct {
	TLS            *tls.Config // nil: plain TCP
	Limits         stomp.Limits
	MaxConnections int
	MaxOutboxBytes int               // bytes waiting to be written before a client counts as not reading
	MaxInFlight    int               // requests one connection may have unanswered before its reader waits
	MaxInbox       int               // reader outputs for the actor (a CONNECT's heart-beat interval) waiting before the reader waits
	DetectTimeout  time.Duration     // for the first line (and, separately, the TLS handshake)
	WriteTimeout   time.Duration     // one socket write; a client that stops reading fails it
	Router         *router.Gate      // admits each request before it waits anywhere
	Directory      *broker.Directory // where subscriptions are registered and answers routed
	Log            zerolog.Logger
}

// Defaults fills unset fields with the agent's defaults.
func (c *Config) Defaults() {
	if c.Limits == (stomp.Limits{}) {
		c.Limits = stomp.DefaultLimits()
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = 1024
	}
	if c.MaxOutboxBytes == 0 {
		c.MaxOutboxBytes = 32 << 20
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
	}
	if c.Directory == nil {
		c.Directory = broker.NewDirectory()
	}
	if c.MaxInbox == 0 {
		c.MaxInbox = 64
	}
	if c.DetectTimeout == 0 {
		c.DetectTimeout = 10 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
}

// heartbeatGrace is how late a client's heart-beat may be before the connection is dropped: half
// its interval, within [500 ms, 5 s]. Clients send slightly early (the engine 10–20% early), so
// this only forgives scheduling jitter and a slow network, and a dead peer is found promptly.
func heartbeatGrace(expect time.Duration) time.Duration {
	g := expect / 2
	if g < 500*time.Millisecond {
		g = 500 * time.Millisecond
	}
	if g > 5*time.Second {
		g = 5 * time.Second
	}
	return g
}
