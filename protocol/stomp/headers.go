package stomp

import (
	"bytes"
	"unicode/utf8"
)

// span is one header line in hdr; esc is set when it holds a backslash to unescape.
type span struct {
	start, colon, end int
	esc               bool
}

// inlineHeaders is how many headers a frame holds in the same allocation as the frame itself:
// requests carry four to six (destination, content-length, reply-to, ovirtCorrelationId,
// content-type), so the usual frame costs one allocation for frame and header list together.
const inlineHeaders = 6

type frameWithHeaders struct {
	f Frame
	h [inlineHeaders]Header
}

// newFrame makes a frame with room for n headers, in one allocation when n ≤ inlineHeaders.
func newFrame(cmd string, n int) *Frame {
	if n > inlineHeaders {
		return &Frame{Command: cmd, Headers: make([]Header, n)}
	}
	fh := new(frameWithHeaders)
	fh.f.Command = cmd
	if n > 0 {
		fh.f.Headers = fh.h[:n]
	}
	return &fh.f
}

// readHeaders reads header lines up to the blank line into hdr and spans. size is the frame's
// size on the wire so far and is returned updated.
//
// The lines are copied back to back into one scratch buffer, to be turned into one string by
// fillHeaders, so a frame's headers cost one allocation for the text whatever their number.
func (r *Reader) readHeaders(cmd string, size int) (int, error) {
	r.hdr, r.spans = r.hdr[:0], r.spans[:0]
	esc := escapes(cmd)
	// STOMP 1.2's grammar has no raw colon in a value (it is written \c), and VDSM refuses one.
	// The frames exempt from escaping, and STOMP (a CONNECT by another name), are spared:
	// clients write their host there raw, an IPv6 address among them.
	noRawColon := esc && cmd != CmdStomp
	for {
		line, raw, err := r.readLine(r.lim.MaxHeaderLineBytes, TextHeaderLineTooLong)
		if err != nil {
			return 0, err
		}
		if size += raw; size > r.lim.MaxFrameBytes {
			return 0, perr(TextFrameTooLarge)
		}
		if len(line) == 0 {
			return size, nil
		}
		if len(r.spans) == r.lim.MaxHeaders {
			return 0, perr(TextTooManyHeaders)
		}
		colon := bytes.IndexByte(line, ':')
		switch {
		case colon < 0:
			return 0, perr(TextHeaderWithoutColon)
		case colon == 0:
			return 0, perr(TextEmptyHeaderName)
		case bytes.IndexByte(line, '\r') >= 0:
			// STOMP 1.2 forbids a raw CR in a header; one at the end would also be lost when
			// the frame is written again.
			return 0, perr(TextInvalidHeaderChar)
		case !utf8.Valid(line):
			return 0, perr(TextInvalidUTF8)
		case noRawColon && bytes.IndexByte(line[colon+1:], ':') >= 0:
			return 0, perr(TextColonInHeader)
		}
		start := len(r.hdr)
		r.hdr = appendBounded(r.hdr, line, r.lim.MaxFrameBytes)
		r.spans = append(r.spans, span{start, start + colon, len(r.hdr), esc && bytes.IndexByte(line, '\\') >= 0})
	}
}

// fillHeaders turns the header lines read into headers, len(spans) of them; keys and values are
// substrings of one string unless they need unescaping.
func (r *Reader) fillHeaders(headers []Header) error {
	if len(r.spans) == 0 {
		return nil
	}
	text := string(r.hdr)
	for i, sp := range r.spans {
		k, v := text[sp.start:sp.colon], text[sp.colon+1:sp.end]
		if sp.esc {
			var kok, vok bool
			k, kok = unescape(k)
			v, vok = unescape(v)
			if !kok || !vok {
				return perr(TextInvalidEscape)
			}
		}
		headers[i] = Header{k, v}
	}
	return nil
}
