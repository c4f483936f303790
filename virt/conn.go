package virt

import (
	"fmt"
	"sync"

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

// Conn is the agent's one libvirt connection. Its methods are safe for concurrent use: libvirt's
// C API is thread-safe and the binding carries errors per call.
type Conn struct {
	uri string
	c   *libvirt.Connect
}

// Open connects to uri, starting the event loop first.
func Open(uri string) (*Conn, error) {
	if err := startEventLoop(); err != nil {
		return nil, fmt.Errorf("libvirt event loop: %w", err)
	}
	c, err := libvirt.NewConnect(uri)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", uri, err)
	}
	return &Conn{uri: uri, c: c}, nil
}

// URI is the URI the connection was opened with.
func (c *Conn) URI() string { return c.uri }

// Close releases the connection. Nothing may use it afterwards.
func (c *Conn) Close() error {
	if c == nil || c.c == nil {
		return nil
	}
	_, err := c.c.Close()
	return err
}
