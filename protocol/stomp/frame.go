package stomp

// Commands of STOMP 1.2. Only CONNECT, STOMP, SUBSCRIBE, UNSUBSCRIBE, SEND and DISCONNECT are
// accepted from a client; the server sends CONNECTED, MESSAGE, RECEIPT and ERROR.
const (
	CmdConnect     = "CONNECT"
	CmdStomp       = "STOMP"
	CmdConnected   = "CONNECTED"
	CmdSend        = "SEND"
	CmdSubscribe   = "SUBSCRIBE"
	CmdUnsubscribe = "UNSUBSCRIBE"
	CmdDisconnect  = "DISCONNECT"
	CmdMessage     = "MESSAGE"
	CmdReceipt     = "RECEIPT"
	CmdError       = "ERROR"
	CmdAck         = "ACK"
	CmdNack        = "NACK"
	CmdBegin       = "BEGIN"
	CmdCommit      = "COMMIT"
	CmdAbort       = "ABORT"
)

// Header names this package reads or writes.
const (
	HdrAcceptVersion = "accept-version"
	HdrContentLength = "content-length"
	HdrContentType   = "content-type"
	HdrDestination   = "destination"
	HdrFlowID        = "ovirtCorrelationId"
	HdrHeartBeat     = "heart-beat"
	HdrID            = "id"
	HdrMessage       = "message"
	HdrMessageID     = "message-id"
	HdrReceipt       = "receipt"
	HdrReceiptID     = "receipt-id"
	HdrReplyTo       = "reply-to"
	HdrSubscription  = "subscription"
	HdrVersion       = "version"
)

// Header is one header line, unescaped. Headers are kept as an ordered list rather than a map
// because order is visible on the wire and a header may repeat.
type Header struct{ Key, Value string }

// Frame is one STOMP frame. Body is nil for a frame that carries no body and no
// content-length; AppendFrame relies on that distinction to decide whether to write a
// content-length header.
type Frame struct {
	Command string
	Headers []Header
	Body    []byte
}

// Get returns the value of the first header named key. STOMP 1.2 says the first occurrence of a
// repeated header is the one that counts, and VDSM does the same.
func (f *Frame) Get(key string) (string, bool) {
	for _, h := range f.Headers {
		if h.Key == key {
			return h.Value, true
		}
	}
	return "", false
}

// ErrorFrame builds the ERROR frame the server sends before it closes a connection. The text
// goes into the `message` header because STOMP clients (go-stomp among them) report that header;
// callers that also want it readable by clients that only look at the body, as VDSM's do, pass
// it again as body.
func ErrorFrame(message, body string) *Frame {
	f := &Frame{Command: CmdError, Headers: []Header{{HdrMessage, message}}}
	if body != "" {
		f.Headers = append(f.Headers, Header{HdrContentType, "text/plain"})
		f.Body = []byte(body)
	}
	return f
}

// ReceiptFrame acknowledges a frame that asked for a receipt. It has no body, hence no
// content-length, byte for byte like VDSM's.
func ReceiptFrame(receiptID string) *Frame {
	return &Frame{Command: CmdReceipt, Headers: []Header{{HdrReceiptID, receiptID}}}
}
