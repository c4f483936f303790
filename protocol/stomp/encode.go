package stomp

import (
	"slices"
	"strconv"
)

// AppendFrame appends the wire form of f to dst. Header keys and values are escaped, except on
// CONNECT and CONNECTED frames, whose headers must then hold no CR or LF. Any content-length in
// f.Headers is dropped: when f.Body is non-nil a correct one is written after the other
// headers, and a frame without a body carries none, like VDSM's CONNECTED and RECEIPT.
func AppendFrame(dst []byte, f *Frame) []byte {
	esc := escapes(f.Command)
	dst = append(dst, f.Command...)
	dst = append(dst, '\n')
	for _, h := range f.Headers {
		if h.Key == HdrContentLength {
			continue
		}
		if esc {
			dst = appendEscaped(dst, h.Key)
			dst = append(dst, ':')
			dst = appendEscaped(dst, h.Value)
		} else {
			dst = append(dst, h.Key...)
			dst = append(dst, ':')
			dst = append(dst, h.Value...)
		}
		dst = append(dst, '\n')
	}
	if f.Body != nil {
		dst = append(dst, HdrContentLength+":"...)
		dst = strconv.AppendInt(dst, int64(len(f.Body)), 10)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	dst = append(dst, f.Body...)
	return append(dst, 0)
}

// Fixed parts of a MESSAGE frame, in VDSM's header order.
const (
	msgHead        = CmdMessage + "\n" + HdrDestination + ":"
	msgContentType = "\n" + HdrContentType + ":application/json\n" + HdrSubscription + ":"
	msgID          = "\n" + HdrMessageID + ":"
	msgLength      = "\n" + HdrContentLength + ":"
)

// AppendMessage appends a MESSAGE frame carrying a JSON body, the frame every response and
// event travels in. Its headers come in the order destination, content-type, subscription,
// message-id, content-length; VDSM sends the same ones except message-id, which STOMP 1.2
// requires. It is the hot path: it grows dst at most once and allocates nothing else.
func AppendMessage(dst []byte, destination, subscription, messageID string, body []byte) []byte {
	n := len(msgHead) + escapedLen(destination) + len(msgContentType) + escapedLen(subscription) +
		len(msgID) + escapedLen(messageID) + len(msgLength) + 20 + 2 + len(body) + 1
	dst = slices.Grow(dst, n)
	dst = append(dst, msgHead...)
	dst = appendEscaped(dst, destination)
	dst = append(dst, msgContentType...)
	dst = appendEscaped(dst, subscription)
	dst = append(dst, msgID...)
	dst = appendEscaped(dst, messageID)
	dst = append(dst, msgLength...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, '\n', '\n')
	dst = append(dst, body...)
	return append(dst, 0)
}

// MessageHead is the start of every MESSAGE that AppendMessage writes for destination and
// subscription, up to the message-id's value. A connection makes it once per subscription, so
// each response only appends the head, its number, the length and the body (AppendMessageAfter).
func MessageHead(destination, subscription string) []byte {
	head := make([]byte, 0, len(msgHead)+escapedLen(destination)+len(msgContentType)+escapedLen(subscription)+len(msgID))
	head = append(head, msgHead...)
	head = appendEscaped(head, destination)
	head = append(head, msgContentType...)
	head = appendEscaped(head, subscription)
	return append(head, msgID...)
}

// AppendMessageAfter appends the MESSAGE AppendMessage would, given its head (MessageHead) and
// a numeric message-id. It grows dst at most once and allocates nothing else.
func AppendMessageAfter(dst, head []byte, messageID uint64, body []byte) []byte {
	dst = slices.Grow(dst, len(head)+20+len(msgLength)+20+2+len(body)+1)
	dst = append(dst, head...)
	dst = strconv.AppendUint(dst, messageID, 10)
	dst = append(dst, msgLength...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, '\n', '\n')
	dst = append(dst, body...)
	return append(dst, 0)
}

// AppendHeartBeat appends a heart-beat: a single LF, which the peer's parser reads as an empty
// line between frames.
func AppendHeartBeat(dst []byte) []byte { return append(dst, '\n') }

// AppendForward appends the MESSAGE that carries a client's SEND to one subscription: headers
// destination, subscription (always the receiver's own id) and message-id, then the SEND's own
// headers in their order, then a content-length for body. Of the SEND's headers those the
// MESSAGE sets itself, and `receipt` (which was the sender's to ask, and is answered to the
// sender), are left out.
func AppendForward(dst []byte, destination, subscription, messageID string, send []Header, body []byte) []byte {
	f := Frame{Command: CmdMessage, Headers: make([]Header, 0, 3+len(send)), Body: body}
	if f.Body == nil {
		f.Body = []byte{}
	}
	f.Headers = append(f.Headers, Header{HdrDestination, destination}, Header{HdrSubscription, subscription},
		Header{HdrMessageID, messageID})
	for _, h := range send {
		switch h.Key {
		case HdrDestination, HdrSubscription, HdrMessageID, HdrReceipt, HdrContentLength:
			continue
		}
		f.Headers = append(f.Headers, h)
	}
	return AppendFrame(dst, &f)
}
