package conn

import (
	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/stomp"
)

// frameIn is a non-request frame from the reader.
type frameIn struct{ f *stomp.Frame }

// receipt asks for a RECEIPT for a request SEND the reader handled itself.
type receipt struct{ id string }

// readerDone reports the reader's end: EOF, a socket error, a heart-beat timeout, or a malformed
// frame (a *stomp.ProtocolError, answered with an ERROR frame before closing).
type readerDone struct{ err error }

// written reports that the writer finished a buffer (err set if the write failed).
type written struct {
	buf []byte
	err error
}

// flush is the actor's note to itself to hand its buffered output to the writer once the
// messages already queued have been handled, so replies that arrive together go out together.
type flush struct{}

// heartbeatTick is the outgoing heart-beat timer (coalesced: one waits behind a busy actor).
type heartbeatTick struct{ system.Coalesced }

// Drain asks a connection to write what it has queued and close: the agent is shutting down.
type Drain struct{}
