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

	"github.com/coder/websocket"
)

// Client calls a JSON-RPC server over HTTP or WebSocket.
type Client struct {
	url   string
	token string
	http  *http.Client
	ws    *websocket.Conn
	next  atomic.Int64

	mu      sync.Mutex
	pending map[int64]chan *rawResponse
	subs    map[string]chan json.RawMessage
	// early holds notifications that arrived before Subscribe registered
	// their id (the reply and the first notification can race).
	early  map[string][]json.RawMessage
	closed chan struct{}
}

type rawResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
	Method string          `json:"method"`
	Params struct {
		Subscription string          `json:"subscription"`
		Result       json.RawMessage `json:"result"`
	} `json:"params"`
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

// Dial connects to url: http(s):// for plain calls, ws(s):// for calls and
// subscriptions over one WebSocket.
func Dial(ctx context.Context, url string, opts ...ClientOption) (*Client, error) {
	c := &Client{url: url, http: &http.Client{}, pending: map[int64]chan *rawResponse{}, subs: map[string]chan json.RawMessage{}, early: map[string][]json.RawMessage{}, closed: make(chan struct{})}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	switch {
	case strings.HasPrefix(url, "http://"), strings.HasPrefix(url, "https://"):
		return c, nil
	case strings.HasPrefix(url, "ws://"), strings.HasPrefix(url, "wss://"):
		hdr := http.Header{}
		if c.token != "" {
			hdr.Set("Authorization", "Bearer "+c.token)
		}
		conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: hdr})
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w (is the node running?)", url, err)
		}
		conn.SetReadLimit(64 << 20)
		c.ws = conn
		go c.readLoop()
		return c, nil
	}
	return nil, fmt.Errorf("API URL %q must start with http://, https://, ws:// or wss://", url)
}

// Close closes a WebSocket connection.
func (c *Client) Close() error {
	if c.ws != nil {
		return c.ws.Close(websocket.StatusNormalClosure, "")
	}
	return nil
}

// Call invokes method with params and decodes the result into result
// (which may be nil). RPC errors come back as *Error.
func (c *Client) Call(ctx context.Context, method string, params any, result any) error {
	id := c.next.Add(1)
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	var resp *rawResponse
	if c.ws != nil {
		resp, err = c.callWS(ctx, id, body)
	} else {
		resp, err = c.callHTTP(ctx, body)
	}
	if err != nil {
		return err
	}
	if resp.Error != nil {
		return resp.Error
	}
	if result != nil {
		return json.Unmarshal(resp.Result, result)
	}
	return nil
}

func (c *Client) callHTTP(ctx context.Context, body []byte) (*rawResponse, error) {
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
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var out rawResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("response from %s is not JSON-RPC (HTTP %d): %.200s", c.url, res.StatusCode, b)
	}
	return &out, nil
}

func (c *Client) callWS(ctx context.Context, id int64, body []byte) (*rawResponse, error) {
	ch := make(chan *rawResponse, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	if err := c.ws.Write(ctx, websocket.MessageText, body); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r, nil
	case <-c.closed:
		return nil, errors.New("connection closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Client) readLoop() {
	defer close(c.closed)
	for {
		_, msg, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			for _, ch := range c.subs {
				close(ch)
			}
			c.subs = map[string]chan json.RawMessage{}
			c.mu.Unlock()
			return
		}
		var r rawResponse
		if json.Unmarshal(msg, &r) != nil {
			continue
		}
		if r.Method == "subscription" {
			c.mu.Lock()
			id := r.Params.Subscription
			if ch := c.subs[id]; ch != nil {
				select {
				case ch <- r.Params.Result:
				default: // the caller is not reading; drop rather than stall
				}
			} else if len(c.early[id]) < 256 && len(c.early) < 64 {
				c.early[id] = append(c.early[id], r.Params.Result)
			}
			c.mu.Unlock()
			continue
		}
		var id int64
		if json.Unmarshal(r.ID, &id) != nil {
			continue
		}
		c.mu.Lock()
		ch := c.pending[id]
		c.mu.Unlock()
		if ch != nil {
			ch <- &r
		}
	}
}

// Subscribe starts a subscription (WebSocket clients only) and returns its
// notifications and a function that ends it.
func (c *Client) Subscribe(ctx context.Context, name string, params ...any) (<-chan json.RawMessage, func(), error) {
	if c.ws == nil {
		return nil, nil, errors.New("subscriptions need a ws:// connection")
	}
	ch := make(chan json.RawMessage, 256)
	var id string
	if err := c.Call(ctx, "subscribe", append([]any{name}, params...), &id); err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	c.subs[id] = ch
	for _, v := range c.early[id] {
		ch <- v
	}
	delete(c.early, id)
	c.mu.Unlock()
	cancel := func() {
		c.mu.Lock()
		if _, ok := c.subs[id]; ok {
			delete(c.subs, id)
			close(ch)
		}
		c.mu.Unlock()
		c.Call(context.Background(), "unsubscribe", []any{id}, nil)
	}
	return ch, cancel, nil
}
