package stomp

// Limits bound what one frame may cost. A zero field means its default, so Limits{} is usable.
type Limits struct {
	// MaxFrameBytes bounds a whole frame as it is on the wire: command line, header lines,
	// blank line, body and the closing NUL.
	MaxFrameBytes int
	// MaxHeaders bounds the number of header lines of a frame.
	MaxHeaders int
	// MaxHeaderLineBytes bounds one header line, without its line ending.
	MaxHeaderLineBytes int
}

// maxCommandLine bounds the command line. The longest STOMP command is 11 bytes; anything far
// longer is not STOMP, and there is no reason to buffer it.
const maxCommandLine = 64

// DefaultLimits are generous for every peer we know and still keep a hostile one from taking
// the host's memory:
//   - 64 MiB per frame: a VM.create carrying a large domain XML, or a peer VDSM's migration
//     call, stays far below it, while go-stomp and VDSM would allocate whatever content-length
//     claims (up to 4 GiB).
//   - 64 headers: the engine sends about six, go-stomp about five; STOMP has nothing that needs
//     dozens.
//   - 64 KiB per header line: destinations, ids and correlation ids are tens of bytes (a line
//     that fits the Reader's 4 KiB buffer is parsed where it lies; a longer one is copied).
func DefaultLimits() Limits {
	return Limits{
		MaxFrameBytes:      64 << 20,
		MaxHeaders:         64,
		MaxHeaderLineBytes: 64 << 10,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFrameBytes <= 0 {
		l.MaxFrameBytes = d.MaxFrameBytes
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = d.MaxHeaders
	}
	if l.MaxHeaderLineBytes <= 0 {
		l.MaxHeaderLineBytes = d.MaxHeaderLineBytes
	}
	return l
}

// ProtocolError is a malformed or over-limit frame. The connection actor answers it with
// ErrorFrame(e.Message, ...) and closes the connection: after a framing error the byte stream
// can no longer be trusted to be at a frame boundary.
type ProtocolError struct{ Message string }

func (e *ProtocolError) Error() string { return "stomp: " + e.Message }

func perr(text string) *ProtocolError { return &ProtocolError{Message: text} }
