package conn

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/hostagent/hostagent/actors/system"
	"github.com/hostagent/hostagent/protocol/detect"
)

// Listener accepts connections and gives each STOMP one its actor and reader.
type Listener struct {
	cfg  Config
	ln   net.Listener
	sys  *actor.ActorSystem
	live atomic.Int64

	mu      sync.Mutex
	conns   map[net.Conn]*actor.PID // nil until the connection's actor exists
	boxes   sync.Map                // *actor.PID → *outbox, for the fanout: while the actor lives
	closed  bool
	allGone chan struct{} // closed once stopped and no connection is left
	wg      sync.WaitGroup
}

// Listen starts serving ln. The config's defaults are filled in.
func Listen(sys *actor.ActorSystem, ln net.Listener, cfg Config) *Listener {
	cfg.Defaults()
	l := &Listener{cfg: cfg, ln: ln, sys: sys, conns: map[net.Conn]*actor.PID{}, allGone: make(chan struct{})}
	l.wg.Add(1)
	go l.accept()
	return l
}

// Addr is the address being served.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Connections is the number of open connections.
func (l *Listener) Connections() int { return int(l.live.Load()) }

// Stop stops accepting. Open connections stay until CloseAll.
func (l *Listener) Stop() {
	l.mu.Lock()
	l.closed = true
	l.gone()
	l.mu.Unlock()
	l.ln.Close()
}

// gone closes allGone when the last connection of a stopped listener ends. Call with mu held.
func (l *Listener) gone() {
	if l.closed && len(l.conns) == 0 {
		select {
		case <-l.allGone:
		default:
			close(l.allGone)
		}
	}
}

// CloseAll ends every connection: each actor first writes what it has queued (answers on their
// way stay answers), then closes. Connections still open after timeout are cut.
func (l *Listener) CloseAll(timeout time.Duration) {
	l.Stop()
	l.mu.Lock()
	for c, pid := range l.conns {
		if pid != nil {
			l.sys.Root.Send(pid, &Drain{})
		} else {
			c.Close()
		}
	}
	l.mu.Unlock()
	select {
	case <-l.allGone:
	case <-time.After(timeout):
		// Cut those still writing: their actors close the sockets as they stop.
		l.mu.Lock()
		for c, pid := range l.conns {
			if pid != nil {
				l.sys.Root.Stop(pid)
			} else {
				c.Close()
			}
		}
		l.mu.Unlock()
	}
	l.wg.Wait()
}

func (l *Listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[c] = nil
	return true
}

func (l *Listener) untrack(c net.Conn) {
	// Counted out before allGone can close, so whoever waited for it sees no connection left.
	l.live.Add(-1)
	l.mu.Lock()
	delete(l.conns, c)
	l.gone()
	l.mu.Unlock()
}

func (l *Listener) accept() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait a little rather than spin.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff < time.Second {
				backoff *= 2
			}
			l.cfg.Log.Warn().Err(err).Dur("retry_in", backoff).Msg("accept failed")
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if l.live.Add(1) > int64(l.cfg.MaxConnections) {
			l.live.Add(-1)
			l.cfg.Log.Warn().Str("peer", c.RemoteAddr().String()).Int("max", l.cfg.MaxConnections).Msg("connection refused: too many connections")
			c.Close()
			continue
		}
		if !l.track(c) {
			l.live.Add(-1)
			c.Close()
			return
		}
		l.wg.Add(1)
		go l.handshake(c)
	}
}

// handshake finishes TLS and detection, each within its own timeout, off the accept loop so a
// slow client delays nobody else.
func (l *Listener) handshake(c net.Conn) {
	defer l.wg.Done()
	nc := c
	if l.cfg.TLS != nil {
		tc := tls.Server(c, l.cfg.TLS)
		ctx, cancel := context.WithTimeout(context.Background(), l.cfg.DetectTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			l.cfg.Log.Info().Err(err).Str("peer", c.RemoteAddr().String()).Msg("TLS handshake failed")
			c.Close()
			l.untrack(c)
			return
		}
		nc = tc
	}
	first, err := detectSTOMP(nc, l.cfg.DetectTimeout)
	if err != nil {
		l.cfg.Log.Info().Err(err).Str("peer", c.RemoteAddr().String()).Msg("connection closed during detection")
		nc.Close()
		l.untrack(c)
		return
	}
	l.serve(c, nc, first)
}

var errNotSTOMP = errors.New("unrecognized protocol")

// detectSTOMP reads until the first line decides the protocol. The bytes read are returned so the
// frame parser sees them again.
func detectSTOMP(nc net.Conn, timeout time.Duration) ([]byte, error) {
	nc.SetReadDeadline(time.Now().Add(timeout))
	defer nc.SetReadDeadline(time.Time{})
	buf := make([]byte, 0, 64)
	tmp := make([]byte, 64)
	for {
		n, err := nc.Read(tmp)
		buf = append(buf, tmp[:n]...)
		switch detect.Detect(buf) {
		case detect.STOMP:
			return buf, nil
		case detect.Unknown:
			return nil, errNotSTOMP
		}
		if err != nil {
			return nil, err
		}
		if len(buf) > 4096 {
			// Only end-of-line bytes so far (Detect skips them); nobody needs this many.
			return nil, errNotSTOMP
		}
	}
}

func (l *Listener) serve(raw, nc net.Conn, first []byte) {
	inbox := make(chan struct{}, l.cfg.MaxInbox)
	done := make(chan struct{})
	log := l.cfg.Log.With().Str("peer", raw.RemoteAddr().String()).Logger()
	var pid *actor.PID // set before anything can be queued, so before the outbox can overflow
	box := newOutbox(l.cfg.MaxOutboxBytes, func() { l.sys.Root.Send(pid, &overflow{}) })
	a := &Actor{cfg: &l.cfg, nc: nc, log: log, box: box, inbox: inbox, done: done}
	a.onStop = func() {
		l.boxes.Delete(pid)
		l.untrack(raw)
	}
	pid = l.sys.Root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return a },
		actor.WithDispatcher(system.Dispatcher())), "conn")
	l.boxes.Store(pid, box)
	l.mu.Lock()
	if _, ok := l.conns[raw]; ok {
		l.conns[raw] = pid
	}
	l.mu.Unlock()
	log.Debug().Str("conn", pid.Id).Msg("STOMP connection")
	r := newReader(&l.cfg, nc, io.MultiReader(bytes.NewReader(first), nc), l.sys.Root, pid, box, &l.boxes, inbox, done, raw.LocalAddr())
	go r.run()
}
