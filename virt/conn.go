package virt

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"libvirt.org/go/libvirt"
)

var eventLoopOnce sync.Once

// startEventLoop registers libvirt's default event loop and runs it on its own goroutine. It must
// happen before the first connection is opened, or event registration and keepalive fail.
func startEventLoop() error {
	var err error
	eventLoopOnce.Do(func() {
		if err = libvirt.EventRegisterDefaultImpl(); err != nil {
			return
		}
		go func() {
			for {
				// Runs forever: libvirt has no way to stop its default loop.
				_ = libvirt.EventRunDefaultImpl()
			}
		}()
	})
	return err
}

// ErrDisconnected is returned (wrapped) while the connection to libvirt is lost and being
// re-established: calls fail at once instead of hanging on a dead daemon.
var ErrDisconnected = errors.New("libvirt connection lost; reconnecting")

// ErrClosed is returned (wrapped) by a call made after Close.
var ErrClosed = errors.New("libvirt connection closed")

// Keepalive settings for remote connections: a daemon that stops answering is declared dead after
// interval×(count+1) seconds, and every call in flight returns with an error.
const (
	keepaliveInterval = 2
	keepaliveCount    = 2
)

// Conn is the agent's one libvirt connection. Its methods are safe for concurrent use: libvirt's
// C API is thread-safe and the binding carries errors per call. When a remote daemon goes away
// (killed, hung past the keepalive, restarted) Conn reconnects by itself with backoff, registers
// its event handlers again and tells its owner, who resyncs; callers keep the same *Conn.
type Conn struct {
	uri  string
	cur  atomic.Pointer[libvirt.Connect]
	up   atomic.Bool
	done chan struct{}

	mu       sync.Mutex
	handlers []Handler // event handlers, registered again on every new connection
	events   []int     // their registration ids on the current connection
	onLost   func(reason string)
	onBack   func()
	closed   bool
	lostOnce bool // a reconnect loop is running

	// use is held while a call uses the connection itself (a look-up, a listing) and taken whole
	// by whatever closes one (Close, a reconnect dropping the lost one): the guest agent's poll,
	// a migration and the registry's listing run on goroutines of their own that can outlive the
	// actors Shutdown waits for, and a call through a freed connection is a use after free. gone
	// is set under it by Close.
	use  sync.RWMutex
	gone bool
}

// Open connects to uri, starting the event loop first.
func Open(uri string) (*Conn, error) {
	if err := startEventLoop(); err != nil {
		return nil, fmt.Errorf("libvirt event loop: %w", err)
	}
	c := &Conn{uri: uri, done: make(chan struct{})}
	lc, err := c.dial()
	if err != nil {
		return nil, err
	}
	c.cur.Store(lc)
	c.up.Store(true)
	return c, nil
}

// dial opens one connection with keepalive and the close callback where the driver has them
// (local drivers such as test:/// have neither, and need neither).
func (c *Conn) dial() (*libvirt.Connect, error) {
	lc, err := libvirt.NewConnect(c.uri)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", c.uri, err)
	}
	_ = lc.SetKeepAlive(keepaliveInterval, keepaliveCount)
	_ = lc.RegisterCloseCallback(func(_ *libvirt.Connect, reason libvirt.ConnectCloseReason) {
		c.lost(lc, closeReason(reason))
	})
	return lc, nil
}

func closeReason(r libvirt.ConnectCloseReason) string {
	switch r {
	case libvirt.CONNECT_CLOSE_REASON_ERROR:
		return "error"
	case libvirt.CONNECT_CLOSE_REASON_EOF:
		return "the daemon closed the connection"
	case libvirt.CONNECT_CLOSE_REASON_KEEPALIVE:
		return "keepalive timeout: the daemon does not answer"
	case libvirt.CONNECT_CLOSE_REASON_CLIENT:
		return "closed by the client"
	}
	return fmt.Sprintf("reason %d", int(r))
}

// OnConnectionChange sets what to call when the connection is lost and when it is back. Both run
// on libvirt's or the reconnect goroutine and must only hand off.
func (c *Conn) OnConnectionChange(lost func(reason string), back func()) {
	c.mu.Lock()
	c.onLost, c.onBack = lost, back
	c.mu.Unlock()
}

// Alive reports whether the connection is up.
func (c *Conn) Alive() bool { return c.up.Load() }

// lc is the current connection; while it is down the returned one is closed and fails fast.
func (c *Conn) lc() *libvirt.Connect { return c.cur.Load() }

// hold is the current connection for a call that can run on a goroutine of its own (a look-up,
// a listing), read-locked against Close and a reconnect's close: the caller unlocks c.use once
// that call returned. After Close or while the connection is down it returns the error, unlocked.
func (c *Conn) hold(op, uuid string) (*libvirt.Connect, error) {
	c.use.RLock()
	if c.gone {
		c.use.RUnlock()
		return nil, closedErr(op, uuid)
	}
	if !c.up.Load() {
		c.use.RUnlock()
		return nil, disconnected(op, uuid)
	}
	return c.lc(), nil
}

// lost handles the close callback of connection lc (runs on the event-loop goroutine).
func (c *Conn) lost(lc *libvirt.Connect, reason string) {
	c.mu.Lock()
	if c.closed || c.cur.Load() != lc || c.lostOnce {
		c.mu.Unlock()
		return
	}
	c.lostOnce = true
	c.up.Store(false)
	notify := c.onLost
	c.mu.Unlock()
	if notify != nil {
		notify(reason)
	}
	go c.reconnect(lc)
}

// reconnect replaces a lost connection, retrying with backoff (100 ms doubling to 5 s) until the
// daemon answers or the Conn is closed.
func (c *Conn) reconnect(old *libvirt.Connect) {
	c.mu.Lock()
	for _, id := range c.events {
		_ = old.DomainEventDeregister(id)
	}
	c.events = nil
	c.mu.Unlock()
	_ = old.UnregisterCloseCallback()
	// A call that read the connection before it was lost may be looking a domain up through it.
	c.use.Lock()
	_, _ = old.Close()
	c.use.Unlock()
	wait := 100 * time.Millisecond
	for {
		select {
		case <-c.done:
			return
		default:
		}
		lc, err := c.dial()
		if err == nil {
			c.mu.Lock()
			if c.closed {
				c.mu.Unlock()
				lc.Close()
				return
			}
			c.cur.Store(lc)
			var regErr error
			for _, h := range c.handlers {
				ids, err := register(lc, h)
				if err != nil {
					regErr = err
					break
				}
				c.events = append(c.events, ids...)
			}
			if regErr != nil {
				c.mu.Unlock()
				_, _ = lc.Close()
				err = regErr
			} else {
				c.lostOnce = false
				c.up.Store(true)
				back := c.onBack
				c.mu.Unlock()
				if back != nil {
					back()
				}
				return
			}
		}
		select {
		case <-c.done:
			return
		case <-time.After(wait):
		}
		if wait *= 2; wait > 5*time.Second {
			wait = 5 * time.Second
		}
	}
}

// URI is the URI the connection was opened with.
func (c *Conn) URI() string { return c.uri }

// Close releases the connection. Calls made afterwards fail with ErrClosed; a call holding a
// domain handle keeps the connection alive until it frees the handle.
func (c *Conn) Close() error {
	if c == nil {
		return nil
	}
	c.use.Lock()
	defer c.use.Unlock()
	c.gone = true
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	lc := c.cur.Load()
	for _, id := range c.events {
		_ = lc.DomainEventDeregister(id)
	}
	c.events = nil
	c.mu.Unlock()
	_ = lc.UnregisterCloseCallback()
	_, err := lc.Close()
	return err
}
