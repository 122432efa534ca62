package rpc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

// wsQueue bounds what a WebSocket client may have waiting to be sent; a
// client that falls that far behind is disconnected rather than allowed to
// hold memory or stall the node.
const wsQueue = 1024

var errSlowConsumer = errors.New("client too slow: send queue full")

type wsConn struct {
	s      *Server
	conn   *websocket.Conn
	out    chan []byte
	cancel context.CancelCauseFunc
	admin  bool
	// limiter applies the per-client rate limit to each message.
	limiter *rate.Limiter

	mu   sync.Mutex
	subs map[string]context.CancelFunc
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	conn.SetReadLimit(s.cfg.MaxRequestBytes)
	ctx, cancel := context.WithCancelCause(context.Background())
	c := &wsConn{s: s, conn: conn, out: make(chan []byte, wsQueue), cancel: cancel, admin: s.authorised(r), subs: map[string]context.CancelFunc{}}
	if s.cfg.RateLimit > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(s.cfg.RateLimit), s.cfg.RateBurst)
	}
	go c.writeLoop(ctx)
	c.readLoop(ctx)
	cancel(nil)
	reason := "bye"
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		reason = cause.Error()
	}
	conn.Close(websocket.StatusPolicyViolation, reason)
}

func (c *wsConn) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	select {
	case c.out <- b:
	default:
		c.cancel(errSlowConsumer)
	}
}

func (c *wsConn) writeLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-c.out:
			if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
				c.cancel(err)
				return
			}
		}
	}
}

func (c *wsConn) readLoop(ctx context.Context) {
	for ctx.Err() == nil {
		_, msg, err := c.conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				c.cancel(errors.New("request too large"))
			}
			return
		}
		if c.limiter != nil && !c.limiter.Allow() {
			c.send(errResponse(nil, CodeRateLimited, "rate limit exceeded"))
			continue
		}
		var req request
		if json.Unmarshal(msg, &req) == nil && (req.Method == "subscribe" || req.Method == "unsubscribe") {
			if resp := c.subscription(ctx, req); resp != nil {
				c.send(resp)
			}
			continue
		}
		if out, respond := c.s.handleBody(ctx, msg, c.admin); respond {
			c.send(out)
		}
	}
}

// subscription handles subscribe ["name", args…] and unsubscribe ["id"].
func (c *wsConn) subscription(ctx context.Context, req request) *response {
	var args []json.RawMessage
	if err := json.Unmarshal(req.Params, &args); err != nil || len(args) == 0 {
		return errResponse(req.ID, CodeInvalidParams, `params must be ["name", …] for subscribe or ["id"] for unsubscribe`)
	}
	var name string
	if err := json.Unmarshal(args[0], &name); err != nil {
		return errResponse(req.ID, CodeInvalidParams, "params[0] must be a string")
	}
	if req.Method == "unsubscribe" {
		c.mu.Lock()
		stop, ok := c.subs[name]
		delete(c.subs, name)
		c.mu.Unlock()
		if ok {
			stop()
		}
		return &response{JSONRPC: "2.0", ID: req.ID, Result: ok}
	}
	sub, ok := c.s.subs[name]
	if !ok {
		return errResponse(req.ID, CodeMethodNotFound, "no subscription %q", name)
	}
	var b [8]byte
	rand.Read(b[:])
	id := "0x" + hex.EncodeToString(b[:])
	var subParams json.RawMessage
	if len(args) > 1 {
		subParams, _ = json.Marshal(args[1:])
	}
	subCtx, stop := context.WithCancel(ctx)
	c.mu.Lock()
	c.subs[id] = stop
	c.mu.Unlock()
	// The reply goes out before any notification, so a client always learns
	// the id first.
	c.send(&response{JSONRPC: "2.0", ID: req.ID, Result: id})
	go func() {
		defer stop()
		notify := func(v any) error {
			if subCtx.Err() != nil {
				return subCtx.Err()
			}
			c.send(map[string]any{"jsonrpc": "2.0", "method": "subscription", "params": map[string]any{"subscription": id, "result": v}})
			return nil
		}
		if err := sub(subCtx, subParams, notify); err != nil && subCtx.Err() == nil {
			c.send(map[string]any{"jsonrpc": "2.0", "method": "subscription", "params": map[string]any{"subscription": id, "error": err.Error()}})
		}
	}()
	return nil
}

