package stomp

import (
	"bufio"
	"io"
)

// readBufferSize is the Reader's buffer: a typical request frame arrives in one read, and any
// line that fits in it is parsed where it lies; only longer ones are copied together, and bodies
// are read into their own buffer. It is most of what an idle connection costs, so it is small:
// at 64 KiB an idle connection cost 80 KB, at 4 KiB 19 KB (BENCHMARKS.md).
const readBufferSize = 4 << 10

// keepScratch is how much scratch memory a Reader keeps between frames. A peer that once sent a
// huge header block should not pin that memory for the rest of a long-lived connection.
const keepScratch = 64 << 10

// Reader reads STOMP frames from a byte stream, never buffering or allocating more than its
// Limits allow whatever the peer claims. It is not safe for concurrent use; one goroutine per
// connection reads.
type Reader struct {
	br  *bufio.Reader
	lim Limits

	long  []byte // a line that did not fit br's buffer, assembled here
	hdr   []byte // the current frame's header lines, back to back, copied out of br
	spans []span // where each header line lies in hdr

	// err is set once bytes of a frame have been consumed and the frame could not be completed:
	// the stream is then somewhere inside a frame and nothing after it can be trusted.
	err error
}

// NewReader returns a Reader on r with its own 4 KiB buffer. Zero fields of lim take their
// defaults.
func NewReader(r io.Reader, lim Limits) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readBufferSize), lim: lim.withDefaults()}
}

// Buffered is the number of bytes already read from the underlying reader and not yet parsed.
// A caller that wants to coalesce its replies can tell from it that more frames are waiting.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Read returns the next frame, or (nil, nil) after consuming a heart-beat: one end of line
// between frames, plus any further ends of line already buffered. A heart-beat proves the peer
// alive, so the caller should treat it as activity. A frame returned is the caller's: the
// Reader keeps no reference to it.
//
// A malformed or over-limit frame is a *ProtocolError. An error of the underlying reader is
// returned as it is, except that io.EOF inside a frame becomes io.ErrUnexpectedEOF. An error
// between frames (a read deadline while the peer is idle, say) leaves the Reader usable; any
// error inside a frame is returned again by every later call.
func (r *Reader) Read() (*Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	b, err := r.br.Peek(1)
	if err != nil {
		return nil, err
	}
	if b[0] == '\n' {
		r.br.Discard(1)
		r.skipEOLs()
		return nil, nil
	}
	if b[0] == '\r' {
		b, err = r.br.Peek(2)
		if err != nil {
			return nil, unexpected(err)
		}
		if b[1] == '\n' {
			r.br.Discard(2)
			r.skipEOLs()
			return nil, nil
		}
	}
	f, err := r.readFrame()
	r.dropScratch()
	if err != nil {
		r.err = unexpected(err)
		return nil, r.err
	}
	return f, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// skipEOLs consumes ends of line that are already buffered, without waiting for more: a burst
// of heart-beats (or the EOLs many clients put after each NUL) is one activity, not many.
func (r *Reader) skipEOLs() {
	for {
		n := r.br.Buffered()
		if n == 0 {
			return
		}
		b, _ := r.br.Peek(min(n, 2))
		switch {
		case b[0] == '\n':
			r.br.Discard(1)
		case len(b) == 2 && b[0] == '\r' && b[1] == '\n':
			r.br.Discard(2)
		default:
			return
		}
	}
}

func (r *Reader) dropScratch() {
	if cap(r.hdr) > keepScratch {
		r.hdr = nil
	}
	if cap(r.long) > keepScratch {
		r.long = nil
	}
}

func (r *Reader) readFrame() (*Frame, error) {
	line, size, err := r.readLine(maxCommandLine, TextCommandTooLong)
	if err != nil {
		return nil, err
	}
	cmd, err := command(line)
	if err != nil {
		return nil, err
	}
	size, err = r.readHeaders(cmd, size)
	if err != nil {
		return nil, err
	}
	f := newFrame(cmd, len(r.spans))
	if err := r.fillHeaders(f.Headers); err != nil {
		return nil, err
	}
	length := -1
	for _, h := range f.Headers {
		if h.Key == HdrContentLength {
			if length, err = parseLength(h.Value, r.lim.MaxFrameBytes); err != nil {
				return nil, err
			}
			break
		}
	}
	// What is left of the frame budget for the body, the closing NUL set aside.
	room := r.lim.MaxFrameBytes - size - 1
	if length >= 0 {
		f.Body, err = r.readCounted(length, room)
	} else {
		f.Body, err = r.readToNUL(room)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// command validates a command line and returns it as a string, without allocating for the
// commands we expect. An unknown command is not an error here; the Session answers it. Bytes
// outside printable ASCII are: no STOMP command has them, and a command ending in CR would not
// survive being written again.
func command(line []byte) (string, error) {
	for _, c := range line {
		if c < 0x20 || c > 0x7e {
			return "", perr(TextInvalidCommand)
		}
	}
	switch string(line) {
	case CmdSend:
		return CmdSend, nil
	case CmdSubscribe:
		return CmdSubscribe, nil
	case CmdUnsubscribe:
		return CmdUnsubscribe, nil
	case CmdConnect:
		return CmdConnect, nil
	case CmdStomp:
		return CmdStomp, nil
	case CmdDisconnect:
		return CmdDisconnect, nil
	}
	return string(line), nil
}

// readLine returns the next line without its LF and without one CR before it, and how many
// bytes it took on the wire. The slice is only valid until the next read. A line longer than max
// fails with the ProtocolError tooLong, at the latest once max+2 bytes have been seen.
func (r *Reader) readLine(max int, tooLong string) (line []byte, raw int, err error) {
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		b, err = r.readLongLine(b, max+2, tooLong)
	}
	if err != nil {
		return nil, 0, err
	}
	raw = len(b)
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if len(b) > max {
		return nil, 0, perr(tooLong)
	}
	return b, raw, nil
}

// readLongLine assembles a line that overflowed the buffer, given its first part, as long as
// the whole line including its line ending stays within limit bytes.
func (r *Reader) readLongLine(first []byte, limit int, tooLong string) ([]byte, error) {
	r.long = r.long[:0]
	b, err := first, bufio.ErrBufferFull
	for {
		need := len(r.long) + len(b)
		if err != nil {
			need++ // the LF is still to come
		}
		if need > limit {
			return nil, perr(tooLong)
		}
		r.long = appendBounded(r.long, b, limit)
		if err == nil {
			return r.long, nil
		}
		if b, err = r.br.ReadSlice('\n'); err != nil && err != bufio.ErrBufferFull {
			return nil, err
		}
	}
}

// parseLength parses a content-length, refusing anything but plain decimal digits, and stops as
// soon as the value passes max so that no claim can overflow or make us allocate.
func parseLength(s string, max int) (int, error) {
	if s == "" {
		return 0, perr(TextInvalidContentLength)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, perr(TextInvalidContentLength)
		}
		if n = n*10 + int(c-'0'); n > max {
			return 0, perr(TextFrameTooLarge)
		}
	}
	return n, nil
}

// readCounted reads a body of exactly n bytes and the NUL after it. The size is checked against
// room before the body is allocated. A body read this way may contain NULs.
func (r *Reader) readCounted(n, room int) ([]byte, error) {
	if n > room {
		return nil, perr(TextFrameTooLarge)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r.br, body); err != nil {
		return nil, err
	}
	c, err := r.br.ReadByte()
	if err != nil {
		return nil, err
	}
	if c != 0 {
		return nil, perr(TextMissingNUL)
	}
	return body, nil
}

// readToNUL reads a body that ends at the first NUL, within room bytes. An empty body is nil,
// so that the frame is written again without a content-length.
func (r *Reader) readToNUL(room int) ([]byte, error) {
	var body []byte
	for {
		b, err := r.br.ReadSlice(0)
		if err != nil && err != bufio.ErrBufferFull {
			return nil, err
		}
		n := len(b)
		if err == nil {
			n-- // the NUL
		}
		if len(body)+n > room {
			return nil, perr(TextFrameTooLarge)
		}
		if n > 0 {
			body = appendBounded(body, b[:n], room)
		}
		if err == nil {
			return body, nil
		}
	}
}

// appendBounded appends src to dst, growing dst's capacity geometrically but never past limit,
// which the caller has checked len(dst)+len(src) against. append's own growth could overshoot a
// limit by a quarter or double it.
func appendBounded(dst, src []byte, limit int) []byte {
	need := len(dst) + len(src)
	if need > cap(dst) {
		c := max(2*cap(dst), need, 512)
		c = min(c, max(limit, need))
		grown := make([]byte, len(dst), c)
		copy(grown, dst)
		dst = grown
	}
	return append(dst, src...)
}
