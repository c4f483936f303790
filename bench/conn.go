package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/hostagent/hostagent/client"
	"github.com/hostagent/hostagent/protocol/stomp"
)

// A request id is the slot's use count, the connection's index and the slot, so an answer finds
// its send time without a map, a repeated one is noticed, and so is one meant for another
// connection (a server that routes answers by destination alone delivers every connection's
// answers to every subscriber of a shared one). Ids stay below 2^53, exact in any JSON reader.
const (
	slotBits = 10 // MaxWindow
	connBits = 10 // MaxConns
)

type slot struct {
	gen      uint64
	sent     int64 // ns since the run's base, stamped when the request is written
	busy     bool
	measured bool
}

// loadConn is one connection's driver. A single goroutine writes and reads: it writes what it
// has queued only when the answers already received are all handled, so one write carries as
// many requests as answers came in together, and no channel or lock sits on the path.
type loadConn struct {
	index    uint64
	shared   bool // the reply destination is shared: other connections' answers arrive too
	nc       net.Conn
	r        *stomp.Reader
	timeout  time.Duration
	sendHead []byte // SEND and its headers, up to "content-length:"
	bodyHead []byte // the request body up to the id's value
	out      []byte
	batch    []int32 // slots written by the next flush
	slots    []slot
	pending  int // requests written or queued and not answered

	hist       histogram
	ok         int64
	errs       map[string]int64
	answered   int64 // every answer, warm-up included, for CPU per request
	lastAnswer int64 // ns since base of the last measured answer
	err        error
}

// deadlineReader gives every read the connection's timeout, so a connection whose server went
// silent gives up instead of hanging the run.
type deadlineReader struct {
	nc      net.Conn
	timeout time.Duration
}

func (d deadlineReader) Read(p []byte) (int, error) {
	d.nc.SetReadDeadline(time.Now().Add(d.timeout))
	return d.nc.Read(p)
}

func dialLoad(spec loadSpec, i int) (*loadConn, error) {
	d := net.Dialer{Timeout: spec.timeout}
	nc, err := d.Dial("tcp", spec.addr)
	if err != nil {
		return nil, err
	}
	if spec.tls != nil {
		tc := tls.Client(nc, spec.tls)
		ctx, cancel := context.WithTimeout(context.Background(), spec.timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	replyTo := stomp.ResponseQueue
	if !spec.shared {
		replyTo = client.UUID()
	}
	lc := &loadConn{index: uint64(i), shared: spec.shared, nc: nc, timeout: spec.timeout, slots: make([]slot, spec.window), hist: newHistogram()}
	lc.r = stomp.NewReader(deadlineReader{nc, spec.timeout}, stomp.Limits{})
	head := stomp.AppendFrame(nil, &stomp.Frame{Command: stomp.CmdSend, Headers: []stomp.Header{
		{Key: stomp.HdrDestination, Value: stomp.RequestQueue},
		{Key: stomp.HdrContentType, Value: "application/json"},
		{Key: stomp.HdrReplyTo, Value: replyTo},
	}})
	lc.sendHead = append(head[:len(head)-2], stomp.HdrContentLength+":"...) // drop the blank line and NUL
	method, _ := json.Marshal(spec.method)
	lc.bodyHead = fmt.Appendf(nil, `{"jsonrpc":"2.0","method":%s,"params":%s,"id":`, method, spec.params)

	// The agent routes answers by the subscriptions the connection has when they are written,
	// and a SUBSCRIBE travels a different path than requests: wait for its receipt.
	hello := stomp.AppendFrame(nil, &stomp.Frame{Command: stomp.CmdConnect, Headers: []stomp.Header{
		{Key: stomp.HdrAcceptVersion, Value: "1.2"}, {Key: stomp.HdrHeartBeat, Value: "0,0"}}})
	hello = stomp.AppendFrame(hello, &stomp.Frame{Command: stomp.CmdSubscribe, Headers: []stomp.Header{
		{Key: stomp.HdrDestination, Value: replyTo}, {Key: stomp.HdrID, Value: "bench-" + strconv.Itoa(i)},
		{Key: "ack", Value: "auto"}, {Key: stomp.HdrReceipt, Value: "subscribed"}}})
	nc.SetWriteDeadline(time.Now().Add(spec.timeout))
	if _, err := nc.Write(hello); err != nil {
		nc.Close()
		return nil, err
	}
	for {
		f, err := lc.r.Read()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("connecting: %w", err)
		}
		if f == nil {
			continue
		}
		switch f.Command {
		case stomp.CmdReceipt:
			return lc, nil
		case stomp.CmdError:
			msg, _ := f.Get(stomp.HdrMessage)
			nc.Close()
			return nil, fmt.Errorf("connecting: ERROR %s", msg)
		}
	}
}

// queue appends a request for slot s to the output.
func (lc *loadConn) queue(s int, measured bool) {
	sl := &lc.slots[s]
	sl.gen++
	sl.busy, sl.measured = true, measured
	var idBuf [20]byte
	id := strconv.AppendUint(idBuf[:0], sl.gen<<(connBits+slotBits)|lc.index<<slotBits|uint64(s), 10)
	lc.out = append(lc.out, lc.sendHead...)
	lc.out = strconv.AppendInt(lc.out, int64(len(lc.bodyHead)+len(id)+1), 10)
	lc.out = append(lc.out, '\n', '\n')
	lc.out = append(lc.out, lc.bodyHead...)
	lc.out = append(lc.out, id...)
	lc.out = append(lc.out, '}', 0)
	lc.batch = append(lc.batch, int32(s))
	lc.pending++
}

func (lc *loadConn) flush(rs *runState) error {
	if len(lc.out) == 0 {
		return nil
	}
	t := rs.now()
	for _, s := range lc.batch {
		lc.slots[s].sent = t
	}
	lc.batch = lc.batch[:0]
	lc.nc.SetWriteDeadline(time.Now().Add(lc.timeout))
	_, err := lc.nc.Write(lc.out)
	lc.out = lc.out[:0]
	return err
}

func (lc *loadConn) run(rs *runState) {
	defer lc.nc.Close()
	for s := range lc.slots {
		ok, measured := rs.mayIssue()
		if !ok {
			break
		}
		lc.queue(s, measured)
	}
	if err := lc.flush(rs); err != nil {
		lc.fail(err)
		return
	}
	for lc.pending > 0 {
		f, err := lc.r.Read()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = fmt.Errorf("no answer within %s", lc.timeout)
			}
			lc.fail(err)
			return
		}
		if f == nil {
			continue
		}
		switch f.Command {
		case stomp.CmdMessage:
			lc.answer(rs, f.Body)
		case stomp.CmdError:
			msg, _ := f.Get(stomp.HdrMessage)
			lc.fail(fmt.Errorf("ERROR frame: %s", msg))
			return
		}
		if lc.r.Buffered() == 0 {
			if err := lc.flush(rs); err != nil {
				lc.fail(err)
				return
			}
		}
	}
}

func (lc *loadConn) answer(rs *runState, body []byte) {
	now := rs.now()
	id, code, ok := parseAnswer(body)
	s := int(id & (1<<slotBits - 1))
	switch {
	case ok && id>>slotBits&(1<<connBits-1) != lc.index:
		if !lc.shared {
			lc.count("foreign")
		}
		return
	case !ok || s >= len(lc.slots) || !lc.slots[s].busy || lc.slots[s].gen != id>>(connBits+slotBits):
		lc.count("unexpected")
		return
	}
	sl := &lc.slots[s]
	sl.busy = false
	lc.pending--
	lc.answered++
	if sl.measured {
		lc.hist.record(now - sl.sent)
		lc.lastAnswer = now
		if code == 0 {
			lc.ok++
		} else {
			lc.count(strconv.Itoa(code))
		}
	}
	if ok, measured := rs.mayIssue(); ok {
		lc.queue(s, measured)
	}
}

func (lc *loadConn) count(key string) {
	if lc.errs == nil {
		lc.errs = map[string]int64{}
	}
	lc.errs[key]++
}

// fail ends the connection; its measured requests still unanswered are lost.
func (lc *loadConn) fail(err error) {
	lc.err = err
	for i := range lc.slots {
		if lc.slots[i].busy && lc.slots[i].measured {
			lc.count("lost")
		}
	}
}

var (
	answerHead   = []byte(`{"jsonrpc":"2.0","id":`)
	answerResult = []byte(`,"result":`)
	answerError  = []byte(`,"error":{"code":`)
)

// parseAnswer finds the id and error code (0 for a result) of an answer. The agent and the
// baseline both write the members in VDSM's order, so the fast path reads them where they lie;
// anything else goes through encoding/json.
func parseAnswer(body []byte) (id uint64, code int, ok bool) {
	if rest, found := bytes.CutPrefix(body, answerHead); found {
		i := 0
		for ; i < len(rest) && i < 19 && rest[i] >= '0' && rest[i] <= '9'; i++ {
			id = id*10 + uint64(rest[i]-'0')
		}
		if i > 0 {
			rest = rest[i:]
			if bytes.HasPrefix(rest, answerResult) {
				return id, 0, true
			}
			if rest, found = bytes.CutPrefix(rest, answerError); found {
				if end := bytes.IndexAny(rest, ",}"); end > 0 {
					if c, err := strconv.Atoi(string(rest[:end])); err == nil {
						return id, c, true
					}
				}
			}
		}
	}
	var m struct {
		ID    json.RawMessage `json:"id"`
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return 0, 0, false
	}
	id, err := strconv.ParseUint(string(m.ID), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if m.Error != nil {
		return id, m.Error.Code, true
	}
	return id, 0, true
}
