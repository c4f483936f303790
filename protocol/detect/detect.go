// Package detect decides, from the first bytes a client sends, which protocol a connection
// speaks. Only STOMP is served; anything else is closed without a word. It is pure: the caller
// reads the bytes (with its own deadline) and asks.
package detect

import "bytes"

// Protocol is what a connection was recognised as.
type Protocol int

const (
	// NeedMore means the bytes so far do not decide: no end of line yet and still a possible
	// STOMP command prefix.
	NeedMore Protocol = iota
	// STOMP is a connection whose first line is a STOMP client or server command.
	STOMP
	// Unknown is anything else; it is closed at once.
	Unknown
)

// MaxPeek is how many bytes detection may look at: longer than any STOMP command plus CRLF.
// A first line longer than this is not STOMP.
const MaxPeek = 16

var commands = [][]byte{
	[]byte("CONNECT"), []byte("STOMP"), []byte("SEND"), []byte("SUBSCRIBE"), []byte("UNSUBSCRIBE"),
	[]byte("DISCONNECT"), []byte("ACK"), []byte("NACK"), []byte("BEGIN"), []byte("COMMIT"),
	[]byte("ABORT"), []byte("MESSAGE"), []byte("RECEIPT"), []byte("ERROR"), []byte("CONNECTED"),
}

// Detect classifies the first bytes of a connection. Leading end-of-line bytes (heart-beats) are
// skipped. The decision is made on the whole command line, up to the first LF, so a short frame
// such as the 10-byte "CONNECT\n\n\x00" is recognised at once — VDSM waits for 11 bytes and never
// detects it.
func Detect(b []byte) Protocol {
	b = bytes.TrimLeft(b, "\r\n")
	line, complete := b, false
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line, complete = b[:i], true
		line = bytes.TrimSuffix(line, []byte("\r"))
	}
	if complete {
		for _, c := range commands {
			if bytes.Equal(line, c) {
				return STOMP
			}
		}
		return Unknown
	}
	if len(line) > MaxPeek {
		return Unknown
	}
	for _, c := range commands {
		if bytes.HasPrefix(c, line) {
			return NeedMore
		}
	}
	// A trailing CR may still be followed by LF.
	if t := bytes.TrimSuffix(line, []byte("\r")); len(t) < len(line) {
		for _, c := range commands {
			if bytes.Equal(t, c) {
				return NeedMore
			}
		}
	}
	return Unknown
}
