package stomp

import (
	"slices"
	"strings"
	"time"
)

// MaxSubscriptions bounds the subscriptions of one connection. The engine makes two or three
// and vdsm-client one; the bound keeps a peer from growing the process-wide directory without end.
const MaxSubscriptions = 1024

// Subscription is one SUBSCRIBE of a connection: messages for Destination are delivered to
// that connection with `subscription:<ID>`.
type Subscription struct{ ID, Destination string }

// Session holds the STOMP state of one connection: its subscriptions. It decides what each frame
// means and returns that as an Outcome; it performs nothing itself, so it is used by one
// goroutine (the connection's reader) and needs no lock.
//
// Following VDSM, frames are accepted before CONNECT (the engine subscribes first) and CONNECT
// may be repeated.
type Session struct {
	subs []Subscription // in the order they were made, which is the delivery order
	ids  map[string]struct{}
}

// NewSession returns the state of a connection that has sent nothing yet.
func NewSession() *Session {
	return &Session{ids: make(map[string]struct{})}
}

// Outcome is what the connection actor must do about one frame: send Replies in order, then
// act on the rest, then close the connection if Close is set.
type Outcome struct {
	Replies []*Frame // CONNECTED, RECEIPT or ERROR frames to send, in order
	Close   bool     // close the connection once Replies are sent

	Subscribed   *Subscription // to register in the process-wide directory
	Unsubscribed *Subscription // to remove from it

	// Request is a SEND to a request destination: the frame's body is JSON-RPC for the router.
	Request bool
	// Forward is a SEND to any other destination, to be copied as MESSAGE to every subscriber
	// of it or of a dot-parent of it, on any connection. With no subscriber the connection
	// actor answers ErrorFrame(TextSubscriptionNotAvailable, ...). A RECEIPT asked for by the
	// SEND is already in Replies.
	Forward bool

	Destination string // SEND: destination
	ReplyTo     string // SEND: reply-to, where responses go ("" if absent)
	FlowID      string // SEND: ovirtCorrelationId, for the request's log lines ("" if absent)

	// Connected is set by a successful CONNECT or STOMP, with HeartBeatSend and HeartBeatExpect:
	// how often the server must send and how often the client promised to; zero means never.
	Connected                      bool
	HeartBeatSend, HeartBeatExpect time.Duration
}

// Handle applies one frame to the session. A nil frame (a heart-beat) changes nothing.
func (s *Session) Handle(f *Frame) Outcome {
	if f == nil {
		return Outcome{}
	}
	switch f.Command {
	case CmdConnect, CmdStomp:
		return s.connect(f)
	case CmdSubscribe:
		return s.subscribe(f)
	case CmdUnsubscribe:
		return s.unsubscribe(f)
	case CmdSend:
		return s.send(f)
	case CmdDisconnect:
		return withReceipt(f, Outcome{Close: true})
	case CmdAck, CmdNack, CmdBegin, CmdCommit, CmdAbort,
		CmdMessage, CmdConnected, CmdReceipt, CmdError:
		// Transactions and acknowledgements have no meaning here (every subscription is
		// auto-ack and nothing is queued), and the rest are frames only a server sends.
		return fail(TextUnsupportedCommand + " " + f.Command)
	default:
		return fail(TextUnknownCommand + " " + f.Command)
	}
}

// fail is how the session refuses a frame: an ERROR whose text is both the `message` header
// (what STOMP clients report) and the body (what VDSM's ERROR frames carry), then the close.
// VDSM keeps the connection after an ERROR; STOMP 1.2 says the server closes it, and go-stomp's
// client gives up on ERROR anyway.
func fail(text string) Outcome {
	return Outcome{Replies: []*Frame{ErrorFrame(text, text)}, Close: true}
}

// withReceipt adds the RECEIPT a frame asked for once it has been handled successfully; VDSM
// ignores `receipt` except on DISCONNECT, but go-stomp's client waits for it on UNSUBSCRIBE
// and on SEND with a receipt option.
func withReceipt(f *Frame, o Outcome) Outcome {
	if id, ok := f.Get(HdrReceipt); ok {
		o.Replies = append(o.Replies, ReceiptFrame(id))
	}
	return o
}

func (s *Session) connect(f *Frame) Outcome {
	if !acceptsV12(f) {
		return fail(TextVersionUnsupported)
	}
	hb, _ := f.Get(HdrHeartBeat)
	reply, send, expect := NegotiateHeartBeat(hb)
	connected := &Frame{Command: CmdConnected, Headers: []Header{{HdrVersion, "1.2"}, {HdrHeartBeat, reply}}}
	return Outcome{Replies: []*Frame{connected}, Connected: true, HeartBeatSend: send, HeartBeatExpect: expect}
}

// acceptsV12 reports whether the client accepts STOMP 1.2. VDSM wants accept-version to be
// exactly "1.2" and so refuses go-stomp's default "1.0,1.1,1.2"; the spec says it is a list.
func acceptsV12(f *Frame) bool {
	v, _ := f.Get(HdrAcceptVersion)
	for v != "" {
		var one string
		one, v, _ = strings.Cut(v, ",")
		if strings.TrimSpace(one) == "1.2" {
			return true
		}
	}
	return false
}

func (s *Session) subscribe(f *Frame) Outcome {
	dest, _ := f.Get(HdrDestination)
	id, _ := f.Get(HdrID)
	switch {
	case dest == "" || id == "":
		return fail(TextMissingSubscribeHeaders)
	case s.has(id):
		return fail(TextSubscriptionExists)
	case len(s.subs) >= MaxSubscriptions:
		return fail(TextTooManySubscriptions)
	}
	sub := Subscription{ID: id, Destination: dest}
	s.subs = append(s.subs, sub)
	s.ids[id] = struct{}{}
	return withReceipt(f, Outcome{Subscribed: &sub})
}

func (s *Session) has(id string) bool {
	_, ok := s.ids[id]
	return ok
}

func (s *Session) unsubscribe(f *Frame) Outcome {
	id, _ := f.Get(HdrID)
	if id == "" {
		return fail(TextMissingID)
	}
	var o Outcome
	if s.has(id) {
		i := slices.IndexFunc(s.subs, func(sub Subscription) bool { return sub.ID == id })
		sub := s.subs[i]
		s.subs = slices.Delete(s.subs, i, i+1)
		delete(s.ids, id)
		o.Unsubscribed = &sub
	}
	return withReceipt(f, o)
}

func (s *Session) send(f *Frame) Outcome {
	dest, _ := f.Get(HdrDestination)
	if dest == "" {
		return fail(TextSendWithoutDestination)
	}
	replyTo, _ := f.Get(HdrReplyTo)
	flow, _ := f.Get(HdrFlowID)
	// A request is handled here and never copied to subscribers of the request queue: VDSM
	// copies it, console passwords and all, to whoever subscribes there.
	req := IsRequestDestination(dest)
	return withReceipt(f, Outcome{
		Request: req, Forward: !req,
		Destination: dest, ReplyTo: replyTo, FlowID: flow,
	})
}

// All returns a copy of every subscription of the connection, in subscription order, for
// removal from the directory when the session ends.
func (s *Session) All() []Subscription { return slices.Clone(s.subs) }
