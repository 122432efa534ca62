package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

const (
	maxResponseBytes = 64 << 20
	// clientSubBuffer is how far a subscription consumer may fall behind
	// before the client ends the subscription rather than stall every other
	// call sharing the connection.
	clientSubBuffer = 1024
)

// ErrClientClosed is returned by calls on a closed Client.
var ErrClientClosed = errors.New("rpc: client closed")

// Client calls a JSON-RPC server over HTTP or WebSocket. It is safe for
// concurrent use.
type Client struct {
	url   string
	token string
	http  *http.Client
	ws    *websocket.Conn
	next  atomic.Int64

	mu      sync.Mutex
	pending map[int64]*pendingCall
	subs    map[string]*clientSub

	closed    chan struct{} // closed when the WebSocket reader exits
	closeOnce sync.Once
}

type pendingCall struct {
	reply chan *wireReply
	// onOK runs on the reader goroutine before the next message is read,
	// which is what lets Subscribe register its id before the first
	// notification can arrive.
	onOK func(result json.RawMessage)
	// abandoned subscribe calls are answered by unsubscribing, so a
	// caller's timeout does not leak a server-side subscription.
	abandoned bool
}

type clientSub struct {
	ch     chan json.RawMessage
	closed bool
}

type wireReply struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
	Method string          `json:"method"`
	Params struct {
		Subscription string          `json:"subscription"`
		Result       json.RawMessage `json:"result"`
		Error        *Error          `json:"error"`
	} `json:"params"`
}

type wireCall struct {
	JSONRPC string `json:"jsonrpc"`
	ID      int64  `json:"id"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
}

// ClientOption configures Dial.
type ClientOption func(*Client) error

// WithCookieFile authenticates admin calls with a node's cookie file.
func WithCookieFile(path string) ClientOption {
	return func(c *Client) error {
		tok, err := ReadCookie(path)
		c.token = tok
		return err
	}
}

// WithToken authenticates admin calls with a token.
func WithToken(tok string) ClientOption {
	return func(c *Client) error { c.token = tok; return nil }
}

// WithHTTPClient replaces the HTTP client used for http(s):// URLs and the
// WebSocket handshake.
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) error { c.http = hc; return nil }
}

// Dial connects to url: http(s):// for plain calls, ws(s):// for calls and
// subscriptions over one WebSocket.
func Dial(ctx context.Context, url string, opts ...ClientOption) (*Client, error) {
	c := &Client{
		url:     url,
		pending: make(map[int64]*pendingCall),
		subs:    make(map[string]*clientSub),
		closed:  make(chan struct{}),
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.http == nil {
		// The default transport keeps only 2 idle connections per host,
		// which makes concurrent callers reconnect constantly.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 32
		c.http = &http.Client{Transport: tr}
	}
	switch {
	case strings.HasPrefix(url, "http://"), strings.HasPrefix(url, "https://"):
		close(c.closed)
		return c, nil
	case strings.HasPrefix(url, "ws://"), strings.HasPrefix(url, "wss://"):
		hdr := http.Header{}
		if c.token != "" {
			hdr.Set("Authorization", "Bearer "+c.token)
		}
		conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: hdr, HTTPClient: c.http})
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w (is the node running?)", url, err)
		}
		conn.SetReadLimit(maxResponseBytes)
		c.ws = conn
		go c.readLoop()
		return c, nil
	}
	return nil, fmt.Errorf("API URL %q must start with http://, https://, ws:// or wss://", url)
}

// Close closes the connection; pending calls fail and subscription channels
// are closed. It is idempotent.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		if c.ws != nil {
			err = c.ws.Close(websocket.StatusNormalClosure, "")
			<-c.closed
		}
		c.http.CloseIdleConnections()
	})
	if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
		err = nil
	}
	return err
}

// Call invokes method with params (nil for none) and decodes the result
// into result (which may be nil). RPC errors come back as *Error.
func (c *Client) Call(ctx context.Context, method string, params any, result any) error {
	res, err := c.call(ctx, method, params, nil)
	if err != nil {
		return err
	}
	if result != nil {
		if err := json.Unmarshal(res, result); err != nil {
			return fmt.Errorf("decode %s result: %w", method, err)
		}
	}
	return nil
}

func (c *Client) call(ctx context.Context, method string, params any, onOK func(json.RawMessage)) (json.RawMessage, error) {
	id := c.next.Add(1)
	body, err := json.Marshal(wireCall{JSONRPC: "2.0", ID: id, Method: method, Params: params})
	if err != nil {
		return nil, err
	}
	var r *wireReply
	if c.ws != nil {
		r, err = c.callWS(ctx, id, body, onOK)
	} else {
		r, err = c.callHTTP(ctx, body)
	}
	if err != nil {
		return nil, err
	}
	if r.Error != nil {
		return nil, r.Error
	}
	return r.Result, nil
}

func (c *Client) callHTTP(ctx context.Context, body []byte) (*wireReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w (is the node running, and is this its API address?)", c.url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		return nil, err
	}
	var out wireReply
	// 413 and 429 carry JSON-RPC error bodies too, so decode regardless of
	// status and only fall back to the status when the body is not ours.
	if err := json.Unmarshal(b, &out); err != nil || (out.Error == nil && out.Result == nil) {
		return nil, fmt.Errorf("response from %s is not JSON-RPC (HTTP %d): %.200s", c.url, res.StatusCode, b)
	}
	return &out, nil
}

func (c *Client) callWS(ctx context.Context, id int64, body []byte, onOK func(json.RawMessage)) (*wireReply, error) {
	p := &pendingCall{reply: make(chan *wireReply, 1), onOK: onOK}
	c.mu.Lock()
	c.pending[id] = p
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		if onOK != nil && ctx.Err() != nil {
			p.abandoned = true // keep it so the reader can unsubscribe
		} else {
			delete(c.pending, id)
		}
		c.mu.Unlock()
	}
	select {
	case <-c.closed:
		forget()
		return nil, ErrClientClosed
	default:
	}
	if err := c.ws.Write(ctx, websocket.MessageText, body); err != nil {
		forget()
		return nil, err
	}
	select {
	case r := <-p.reply:
		return r, nil
	case <-c.closed:
		forget()
		return nil, ErrClientClosed
	case <-ctx.Done():
		forget()
		return nil, ctx.Err()
	}
}

func (c *Client) readLoop() {
	defer close(c.closed)
	for {
		_, msg, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			for id, s := range c.subs {
				c.endSubLocked(id, s)
			}
			c.mu.Unlock()
			return
		}
		var r wireReply
		if json.Unmarshal(msg, &r) != nil {
			continue
		}
		if r.Method == "subscription" {
			c.deliver(&r)
			continue
		}
		var id int64
		if json.Unmarshal(r.ID, &id) != nil {
			continue
		}
		c.mu.Lock()
		p := c.pending[id]
		delete(c.pending, id)
		abandoned := p != nil && p.abandoned
		c.mu.Unlock()
		if p == nil {
			continue
		}
		if abandoned {
			if r.Error == nil {
				var subID string
				if json.Unmarshal(r.Result, &subID) == nil {
					go c.unsubscribe(subID)
				}
			}
			continue
		}
		if p.onOK != nil && r.Error == nil {
			p.onOK(r.Result)
		}
		p.reply <- &r
	}
}

func (c *Client) deliver(r *wireReply) {
	id := r.Params.Subscription
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.subs[id]
	if s == nil {
		return
	}
	if r.Params.Error != nil {
		c.endSubLocked(id, s)
		return
	}
	select {
	case s.ch <- r.Params.Result:
	default:
		// Blocking here would stall every call on this connection; ending
		// the subscription makes the loss visible instead of silent.
		c.endSubLocked(id, s)
		go c.unsubscribe(id)
	}
}

func (c *Client) endSubLocked(id string, s *clientSub) {
	delete(c.subs, id)
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

func (c *Client) unsubscribe(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = c.call(ctx, methodUnsubscribe, []string{id}, nil)
}

// Subscribe starts a subscription (WebSocket clients only) and returns its
// notifications and a function that ends it. ctx bounds only the setup
// call. The channel is closed when the subscription ends for any reason:
// the stop func, a server-side error, the connection closing, or the
// consumer falling clientSubBuffer notifications behind.
func (c *Client) Subscribe(ctx context.Context, name string, params ...any) (<-chan json.RawMessage, func(), error) {
	if c.ws == nil {
		return nil, nil, errors.New("rpc: subscriptions need a ws:// connection")
	}
	s := &clientSub{ch: make(chan json.RawMessage, clientSubBuffer)}
	var id string
	onOK := func(res json.RawMessage) {
		if json.Unmarshal(res, &id) != nil {
			return
		}
		c.mu.Lock()
		c.subs[id] = s
		c.mu.Unlock()
	}
	if _, err := c.call(ctx, methodSubscribe, append([]any{name}, params...), onOK); err != nil {
		return nil, nil, err
	}
	if id == "" {
		return nil, nil, errors.New("rpc: subscribe returned no subscription id")
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			c.mu.Lock()
			c.endSubLocked(id, s)
			c.mu.Unlock()
			select {
			case <-c.closed:
			default:
				c.unsubscribe(id)
			}
		})
	}
	return s.ch, stop, nil
}
