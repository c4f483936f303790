package conn

import (
	"time"

	"github.com/hostagent/hostagent/actors/system"

	"github.com/hostagent/hostagent/protocol/stomp"
)

// output is what the session, in the reader, decided about one frame, for the actor to carry
// out: frames to write, a subscription to mirror, the heart-beat to send, whether to close.
type output struct {
	replies   []*stomp.Frame
	sub       *stomp.Subscription
	unsub     *stomp.Subscription
	heartbeat bool // a CONNECT was accepted: send heart-beats every sendEvery (0: none)
	sendEvery time.Duration
	close     bool // the session ended: write replies, then close
}

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
