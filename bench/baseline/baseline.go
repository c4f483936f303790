// Package baseline is the yardstick `agent bench --baseline` measures the agent against: the
// least a Go program must do to answer JSON-RPC over STOMP. One goroutine per connection reads
// frames with the agent's own parser, answers CONNECT, records subscriptions, decodes each
// request with the agent's own decoder and writes `{"jsonrpc":"2.0","id":...,"result":true}` to
// the request's reply-to subscriptions with the agent's own encoder, flushing only when the
// input is drained. No actors, no router, no admission, no limits beyond the parser's: whatever
// the agent costs beyond this is the price of its design, which is what the ratio shows.
//
// It is not a server anyone should run: it forwards nothing, runs no verb, has no heart-beats
// and no TLS.
package baseline

import (
	"errors"
	"net"
	"strconv"
	"sync"

	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/stomp"
)

// Server is a running responder.
type Server struct {
	ln net.Listener
	wg sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Listen starts answering on addr (e.g. "127.0.0.1:0").
func Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the address being served.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting, cuts every connection and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			serve(nc)
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
			nc.Close()
		}()
	}
}

// conn is one connection's state; only its own goroutine touches it.
type conn struct {
	nc    net.Conn
	subs  map[string][]string // destination → subscription ids, in the order they were made
	out   []byte
	body  []byte
	msgID uint64
}

func serve(nc net.Conn) {
	c := &conn{nc: nc, subs: map[string][]string{}}
	r := stomp.NewReader(nc, stomp.Limits{})
	for {
		f, err := r.Read()
		if err != nil {
			return
		}
		if f != nil && !c.frame(f) {
			c.flush()
			return
		}
		// Replies to everything already received go out in one write, as the agent's
		// connection actor coalesces them when its mailbox is empty.
		if r.Buffered() == 0 && !c.flush() {
			return
		}
	}
}

func (c *conn) flush() bool {
	if len(c.out) == 0 {
		return true
	}
	_, err := c.nc.Write(c.out)
	c.out = c.out[:0]
	return err == nil
}

// frame handles one frame and reports whether the connection goes on.
func (c *conn) frame(f *stomp.Frame) bool {
	switch f.Command {
	case stomp.CmdConnect, stomp.CmdStomp:
		c.out = stomp.AppendFrame(c.out, &stomp.Frame{Command: stomp.CmdConnected,
			Headers: []stomp.Header{{Key: stomp.HdrVersion, Value: "1.2"}, {Key: stomp.HdrHeartBeat, Value: "0,0"}}})
	case stomp.CmdSubscribe:
		dest, _ := f.Get(stomp.HdrDestination)
		id, _ := f.Get(stomp.HdrID)
		c.subs[dest] = append(c.subs[dest], id)
	case stomp.CmdUnsubscribe:
		id, _ := f.Get(stomp.HdrID)
		for dest, ids := range c.subs {
			for i, s := range ids {
				if s == id {
					c.subs[dest] = append(ids[:i:i], ids[i+1:]...)
				}
			}
		}
	case stomp.CmdSend:
		if dest, _ := f.Get(stomp.HdrDestination); stomp.IsRequestDestination(dest) {
			c.request(f)
		}
	case stomp.CmdDisconnect:
		c.receipt(f)
		return false
	}
	c.receipt(f)
	return true
}

// receipt answers a frame's receipt request: a client that subscribes with a receipt waits for
// it before sending requests, so their answers are not routed before the subscription exists.
func (c *conn) receipt(f *stomp.Frame) {
	if id, ok := f.Get(stomp.HdrReceipt); ok {
		c.out = stomp.AppendFrame(c.out, stomp.ReceiptFrame(id))
	}
}

// request answers every element of a request body at once: the yardstick runs no verb. A batch
// is answered element by element, which is enough for a benchmark and not what JSON-RPC says.
func (c *conn) request(f *stomp.Frame) {
	replyTo, _ := f.Get(stomp.HdrReplyTo)
	if replyTo == "" {
		replyTo = stomp.ResponseQueue
	}
	items, _ := jsonrpc.Decode(f.Body)
	for _, it := range items {
		switch {
		case it.Error != nil:
			c.body = jsonrpc.AppendError(c.body[:0], nil, it.Error.Code, it.Error.Message)
		case it.Request.IsNotification():
			continue
		default:
			c.body, _ = jsonrpc.AppendResult(c.body[:0], it.Request.ID, true)
		}
		for _, sub := range c.subs[replyTo] {
			c.msgID++
			c.out = stomp.AppendMessage(c.out, replyTo, sub, strconv.FormatUint(c.msgID, 10), c.body)
		}
	}
}
