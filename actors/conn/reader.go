package conn

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/reply"
	"github.com/hostagent/hostagent/actors/router"
	"github.com/hostagent/hostagent/protocol/jsonrpc"
	"github.com/hostagent/hostagent/protocol/stomp"
)

// codec is the JSON-RPC encoding every reply uses.
var codec = reply.Codec{Result: jsonrpc.AppendResult, Error: jsonrpc.AppendError}

// reader is the only goroutine that reads a connection's socket.
type reader struct {
	cfg    *Config
	nc     net.Conn
	src    io.Reader // the socket, behind whatever detection already buffered
	root   *actor.RootContext
	conn   *actor.PID
	inbox  chan struct{}
	slots  slots // requests of this connection in flight
	done   <-chan struct{}
	expect *atomic.Int64
	local  net.Addr
}

// deadlineReader sets the socket's read deadline before every read from the negotiated incoming
// heart-beat interval, so a silent client is dropped on time, not at the next wake-up.
type deadlineReader struct {
	nc     net.Conn
	src    io.Reader
	expect *atomic.Int64
	armed  bool
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if e := d.expect.Load(); e > 0 {
		d.nc.SetReadDeadline(time.Now().Add(time.Duration(e)))
		d.armed = true
	} else if d.armed {
		d.nc.SetReadDeadline(time.Time{})
		d.armed = false
	}
	return d.src.Read(p)
}

// errHeartbeat is the reader's end when the client missed its heart-beat.
var errHeartbeat = errors.New("client heart-beat missed")

func (r *reader) run() {
	fr := stomp.NewReader(&deadlineReader{nc: r.nc, src: r.src, expect: r.expect}, r.cfg.Limits)
	for {
		f, err := fr.Read()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = errHeartbeat
			}
			r.root.Send(r.conn, &readerDone{err: err})
			return
		}
		if f == nil {
			continue // heart-beat: the read itself re-armed the deadline
		}
		if f.Command == stomp.CmdConnect || f.Command == stomp.CmdStomp {
			// Arm the incoming heart-beat here, before the next read blocks: the actor learns
			// of the CONNECT only after this goroutine is already waiting for more.
			hb, _ := f.Get("heart-beat")
			if _, _, expect := stomp.NegotiateHeartBeat(hb); expect > 0 {
				r.expect.Store(int64(expect + heartbeatGrace(expect)))
			} else {
				r.expect.Store(0)
			}
		}
		if f.Command == stomp.CmdSend {
			if dest, ok := f.Get("destination"); ok && stomp.IsRequestDestination(dest) {
				if !r.requests(f) {
					return
				}
				if id, ok := f.Get("receipt"); ok {
					r.root.Send(r.conn, &receipt{id: id})
				}
				continue
			}
		}
		select {
		case r.inbox <- struct{}{}:
		case <-r.done:
			return
		}
		r.root.Send(r.conn, &frameIn{f: f})
	}
}

// requests decodes a request SEND's body once, here, and sends each request straight to the
// router. It reports false when the connection is gone.
func (r *reader) requests(f *stomp.Frame) bool {
	replyTo, _ := f.Get("reply-to")
	flow, _ := f.Get("ovirtCorrelationId")
	items, batch := jsonrpc.Decode(f.Body)
	if !batch || len(items) == 1 {
		// vdsm-client sends every request as a one-element batch and expects a bare object back.
		it := items[0]
		if it.Error != nil {
			r.root.Send(r.conn, &reply.Response{ReplyTo: replyTo, Body: jsonrpc.AppendError(nil, nil, it.Error.Code, it.Error.Message)})
			return true
		}
		return r.submit(router.NewRequest(r.root, codec, r.conn, replyTo, it.Request.ID), it.Request, flow)
	}
	b := reply.NewBatch(r.root, r.conn, replyTo, jsonrpc.AppendBatch)
	b.Hold()
	defer b.Seal()
	for _, it := range items {
		if it.Error != nil {
			b.Immediate(jsonrpc.AppendError(nil, nil, it.Error.Code, it.Error.Message))
			continue
		}
		if !r.submit(&router.Request{Reply: b.Add(codec, it.Request.ID)}, it.Request, flow) {
			return false
		}
	}
	return true
}

func (r *reader) submit(req *router.Request, in *jsonrpc.Request, flow string) bool {
	select {
	case r.slots <- struct{}{}:
	case <-r.done:
		return false
	}
	req.Reply.AddHook(r.slots)
	req.Method, req.Params, req.Flow, req.Local = in.Method, in.Params, flow, r.local
	r.cfg.Router.Submit(req)
	return true
}

// slots bounds a connection's requests in flight: the reader takes a place before it submits
// a request, and the answer gives it back.
type slots chan struct{}

func (s slots) Answered(*reply.Reply) { <-s }
