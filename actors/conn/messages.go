package conn

import (
	"time"

	"github.com/hostagent/hostagent/actors/system"
)

// output is what the session, in the reader, decided about one frame that only the actor can
// carry out: a CONNECT was accepted, so heart-beats go out every sendEvery (0: none). Frames to
// write, subscriptions and the end of the session go to the outbox directly.
type output struct {
	sendEvery time.Duration
}

// readerDone reports the reader's end: EOF, a socket error, a heart-beat timeout, or a malformed
// frame (a *stomp.ProtocolError, answered with an ERROR frame before closing).
type readerDone struct{ err error }

// writerDone reports the writer's end: the output was closed and all of it written, or it was
// dropped (err nil), or a write failed.
type writerDone struct{ err error }

// overflow reports that an append found the outbox full: the client is not reading.
type overflow struct{}

// heartbeatTick is the outgoing heart-beat timer (coalesced: one waits behind a busy actor).
type heartbeatTick struct{ system.Coalesced }

// Drain asks a connection to write what it has queued and close: the agent is shutting down.
type Drain struct{}
