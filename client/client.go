// Package client is a JSON-RPC-over-STOMP client in the manner of vdsm-client, built on
// go-stomp's client: it subscribes to a private reply destination, sends requests to the request
// queue with reply-to set, and matches responses by id. `agent call`, `agent bench` and the
// end-to-end tests use it.
package client

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/go-stomp/stomp/v3"
)

// Error is a JSON-RPC error answer.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("code %d: %s", e.Code, e.Message) }

// Response is one JSON-RPC response.
type Response struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// Options say how to reach the agent.
type Options struct {
	Addr    string
	TLS     *tls.Config // nil: plain TCP
	Timeout time.Duration
}

// Client is one STOMP connection with a private reply destination.
type Client struct {
	conn    *stomp.Conn
	sub     *stomp.Subscription
	replyTo string
	timeout time.Duration

	mu      sync.Mutex
	waiting map[string]chan *Response
	closed  error
	done    chan struct{}
}

// UUID is a random version-4 UUID, as vdsm-client uses for ids and destinations.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Dial connects, subscribes to a fresh reply destination and starts reading responses.
func Dial(o Options) (*Client, error) {
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	var nc net.Conn
	var err error
	d := net.Dialer{Timeout: o.Timeout}
	if o.TLS != nil {
		nc, err = tls.DialWithDialer(&d, "tcp", o.Addr, o.TLS)
	} else {
		nc, err = d.Dial("tcp", o.Addr)
	}
	if err != nil {
		return nil, err
	}
	sc, err := stomp.Connect(nc, stomp.ConnOpt.AcceptVersion(stomp.V12), stomp.ConnOpt.HeartBeat(0, 0),
		stomp.ConnOpt.Logger(quiet{}))
	if err != nil {
		nc.Close()
		return nil, err
	}
	c := &Client{conn: sc, replyTo: UUID(), timeout: o.Timeout, waiting: map[string]chan *Response{}, done: make(chan struct{})}
	c.sub, err = sc.Subscribe(c.replyTo, stomp.AckAuto, stomp.SubscribeOpt.Id(UUID()))
	if err != nil {
		sc.MustDisconnect()
		return nil, err
	}
	go c.read()
	return c, nil
}

func (c *Client) read() {
	defer close(c.done)
	for m := range c.sub.C {
		if m.Err != nil {
			c.fail(m.Err)
			return
		}
		var resps []Response
		if len(m.Body) > 0 && m.Body[0] == '[' {
			if err := json.Unmarshal(m.Body, &resps); err != nil {
				continue
			}
		} else {
			var r Response
			if err := json.Unmarshal(m.Body, &r); err != nil {
				continue
			}
			resps = []Response{r}
		}
		for i := range resps {
			c.deliver(&resps[i])
		}
	}
	c.fail(errors.New("subscription closed"))
}

func (c *Client) deliver(r *Response) {
	c.mu.Lock()
	ch := c.waiting[string(r.ID)]
	delete(c.waiting, string(r.ID))
	c.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

func (c *Client) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed == nil {
		c.closed = err
	}
	for id, ch := range c.waiting {
		close(ch)
		delete(c.waiting, id)
	}
}

// Call sends one request and waits for its response. A JSON-RPC error comes back as *Error.
func (c *Client) Call(method string, params any) (json.RawMessage, error) {
	id, _ := json.Marshal(UUID())
	ch, err := c.Send(id, method, params)
	if err != nil {
		return nil, err
	}
	return c.Wait(ch)
}

// Send sends a request with the given raw id and returns the channel its response arrives on.
func (c *Client) Send(id json.RawMessage, method string, params any) (<-chan *Response, error) {
	if params == nil {
		params = map[string]any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": id})
	if err != nil {
		return nil, err
	}
	ch := make(chan *Response, 1)
	c.mu.Lock()
	if c.closed != nil {
		c.mu.Unlock()
		return nil, c.closed
	}
	c.waiting[string(id)] = ch
	c.mu.Unlock()
	if err := c.conn.Send("jms.topic.vdsm_requests", "application/json", body,
		stomp.SendOpt.Header("reply-to", c.replyTo)); err != nil {
		return nil, err
	}
	return ch, nil
}

// Wait waits for a response channel from Send.
func (c *Client) Wait(ch <-chan *Response) (json.RawMessage, error) {
	select {
	case r, ok := <-ch:
		if !ok {
			c.mu.Lock()
			err := c.closed
			c.mu.Unlock()
			return nil, fmt.Errorf("connection lost: %w", err)
		}
		if r.Error != nil {
			return nil, r.Error
		}
		return r.Result, nil
	case <-time.After(c.timeout):
		return nil, fmt.Errorf("no response within %s", c.timeout)
	}
}

// Close disconnects at once, without waiting for a receipt: whatever was asked has been answered
// or given up on, and a closed server must not make Close wait.
func (c *Client) Close() error {
	return c.conn.MustDisconnect()
}

// quiet keeps go-stomp's client from logging through the standard logger.
type quiet struct{}

func (quiet) Debugf(string, ...interface{})   {}
func (quiet) Infof(string, ...interface{})    {}
func (quiet) Warningf(string, ...interface{}) {}
func (quiet) Errorf(string, ...interface{})   {}
func (quiet) Debug(string)                    {}
func (quiet) Info(string)                     {}
func (quiet) Warning(string)                  {}
func (quiet) Error(string)                    {}

// TLSConfig is a client TLS configuration with a certificate, for agents that require mutual TLS.
func TLSConfig(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	pool, err := loadCA(caFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

func loadCA(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA %s: no certificate found", file)
	}
	return pool, nil
}
