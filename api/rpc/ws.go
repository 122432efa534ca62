package rpc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

const (
	// wsWriteTimeout bounds one frame write; a peer that cannot take a
	// frame in this long is treated as dead.
	wsWriteTimeout = 10 * time.Second
	// wsMaxInFlight bounds concurrent calls per connection so one client
	// cannot fan out unbounded goroutines; the reader blocks beyond it,
	// which pushes back on the client through TCP.
	wsMaxInFlight = 16
	// wsMaxSubs bounds subscriptions per connection.
	wsMaxSubs = 256
	// wsPingInterval detects half-open peers (a laptop that slept, a
	// dropped NAT mapping) that would otherwise hold their subscriptions
	// until TCP gives up many minutes later.
	wsPingInterval = 30 * time.Second
)

type wsConn struct {
	s    *Server
	ws   *websocket.Conn
	peer peer
	log  *slog.Logger

	// ctx spans the transport (reads, writes); callCtx, its child, spans
	// handlers and subscriptions and is cancelled first when closing so
	// producers stop before the socket goes away.
	ctx        context.Context
	cancel     context.CancelFunc
	callCtx    context.Context
	callCancel context.CancelFunc

	send    chan []byte
	sem     chan struct{}
	limiter *limiter       // this connection's rate bucket (key "")
	wg      sync.WaitGroup // in-flight calls and subscriptions

	mu   sync.Mutex
	subs map[string]*subscription

	closeOnce sync.Once
}

type subscription struct {
	// mu orders notify against unsubscribe: once unsubscribe has returned
	// true, no further notification for this id can be queued.
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
}

type subNotice struct {
	JSONRPC string    `json:"jsonrpc"`
	Method  string    `json:"method"`
	Params  subParams `json:"params"`
}

type subParams struct {
	Subscription string          `json:"subscription"`
	Result       json.RawMessage `json:"result,omitempty"`
	Error        *Error          `json:"error,omitempty"`
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if s.cfg.Page != nil {
			s.cfg.Page.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "POST JSON-RPC requests, or upgrade to WebSocket", http.StatusMethodNotAllowed)
		return
	}
	if !s.originAllowed(r) {
		s.refuseOrigin(w, r)
		return
	}
	ip := clientIP(r)
	admin := s.authorized(r)
	if !s.allow(&peer{ip: ip, admin: admin}, 1) {
		writeJSON(w, http.StatusTooManyRequests, s.rateLimited().body)
		return
	}
	s.connMu.Lock()
	if s.base.Err() != nil {
		s.connMu.Unlock()
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	s.conns.Add(1)
	s.connMu.Unlock()
	defer s.conns.Done()

	// Deadlines set on the request's connection (Config.ReadTimeout, the
	// write deadline hostGuard may add) must not carry over to the
	// hijacked connection and cut a healthy WebSocket off; it has its own
	// ping and write timeouts.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	// Host and Origin are checked above, by our rules (scheme included).
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.log.Debug("websocket accept failed", slog.String("remote", r.RemoteAddr), slog.Any("err", err))
		return
	}
	ws.SetReadLimit(s.cfg.MaxRequestBytes)

	ctx, cancel := context.WithCancel(context.Background())
	callCtx, callCancel := context.WithCancel(ctx)
	c := &wsConn{
		s:          s,
		ws:         ws,
		log:        s.log.With(slog.String("remote", r.RemoteAddr)),
		ctx:        ctx,
		cancel:     cancel,
		callCtx:    callCtx,
		callCancel: callCancel,
		send:       make(chan []byte, s.cfg.SendQueue),
		sem:        make(chan struct{}, wsMaxInFlight),
		subs:       make(map[string]*subscription),
		limiter:    newLimiter(s.cfg.ConnRateLimit, s.cfg.ConnRateBurst, time.Now),
	}
	c.peer = peer{ip: ip, admin: admin, ws: c}
	// Not derived from s.base: cancelling a Read context makes the library
	// drop the TCP connection without a close frame, and on shutdown we
	// want clients to see "going away".
	stop := context.AfterFunc(s.base, func() { c.close(websocket.StatusGoingAway, "server shutting down") })
	defer stop()
	c.run()
}

func (c *wsConn) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	go c.pingLoop()
	c.log.Debug("websocket connected")
read:
	for {
		_, data, err := c.ws.Read(c.ctx)
		if err != nil {
			if st := websocket.CloseStatus(err); st == -1 && c.callCtx.Err() == nil {
				c.log.Debug("websocket read", slog.Any("err", err))
			}
			break
		}
		select {
		case c.sem <- struct{}{}:
		case <-c.callCtx.Done():
			break read
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer func() { <-c.sem }()
			c.handle(data)
		}()
	}
	c.close(websocket.StatusNormalClosure, "")
	c.wg.Wait()
	<-writerDone
	c.log.Debug("websocket disconnected")
}

func (c *wsConn) handle(data []byte) {
	o := c.s.serveMessage(c.callCtx, data, &c.peer)
	queued := o.body == nil || c.enqueue(o.body) == nil
	// Subscriptions start only after their id is queued so the client never
	// sees a notification for an id it has not been told about. When the
	// reply could not be queued (the client is gone, or too slow) each one
	// is still started, already cancelled, so that its run releases what
	// its setup acquired (a feed subscription, say): skipping it leaked
	// those for the life of the process.
	for _, start := range o.starts {
		start(queued)
	}
}

func (c *wsConn) writeLoop() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case msg := <-c.send:
			wctx, cancel := context.WithTimeout(c.ctx, wsWriteTimeout)
			err := c.ws.Write(wctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				c.log.Debug("websocket write", slog.Any("err", err))
				c.close(websocket.StatusInternalError, "write failed")
				return
			}
		}
	}
}

func (c *wsConn) pingLoop() {
	t := time.NewTicker(wsPingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.callCtx.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(c.callCtx, wsWriteTimeout)
			err := c.ws.Ping(ctx)
			cancel()
			if err != nil {
				if c.callCtx.Err() == nil {
					c.log.Debug("websocket ping failed", slog.Any("err", err))
					c.close(websocket.StatusGoingAway, "ping timeout")
				}
				return
			}
		}
	}
}

// enqueue never blocks: the node's event publishers call through here and
// must not be held hostage by one client's network.
func (c *wsConn) enqueue(msg []byte) error {
	if c.callCtx.Err() != nil {
		return ErrClosed
	}
	select {
	case c.send <- msg:
		return nil
	default:
		c.log.Warn("disconnecting slow websocket consumer", slog.Int("queue", cap(c.send)))
		c.close(websocket.StatusPolicyViolation, "slow consumer: send queue full")
		return ErrSlowConsumer
	}
}

// close stops producers at once and closes the socket in the background:
// the close handshake can take seconds and callers include enqueue, which
// must not block.
func (c *wsConn) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.callCancel()
		go func() {
			_ = c.ws.Close(code, reason)
			c.cancel()
		}()
	})
}

func (c *wsConn) subscribe(params json.RawMessage, starts *[]func(bool)) (any, *Error) {
	var args []json.RawMessage
	if len(params) == 0 || params[0] != '[' || json.Unmarshal(params, &args) != nil || len(args) == 0 {
		return nil, InvalidParams(`subscribe params must be ["name", ...args]`)
	}
	var name string
	if err := json.Unmarshal(args[0], &name); err != nil {
		return nil, InvalidParams("subscription name must be a string")
	}
	sub, ok := c.s.lookupSub(name)
	if !ok {
		return nil, InvalidParams("unknown subscription %q; call %q for the list", name, methodList)
	}
	rest, err := json.Marshal(args[1:])
	if err != nil {
		return nil, &Error{Code: CodeInternal, Message: "internal error"}
	}
	id, err := newSubID()
	if err != nil {
		return nil, &Error{Code: CodeInternal, Message: "internal error"}
	}
	ctx, cancel := context.WithCancel(c.callCtx)
	st := &subscription{ctx: ctx, cancel: cancel}
	c.mu.Lock()
	if len(c.subs) >= wsMaxSubs {
		c.mu.Unlock()
		cancel()
		return nil, &Error{Code: CodeOverCapacity, Message: fmt.Sprintf("too many subscriptions on this connection (limit %d): unsubscribe some first", wsMaxSubs)}
	}
	if c.s.subCount.Add(1) > int64(c.s.cfg.MaxSubscriptions) {
		c.s.subCount.Add(-1)
		c.mu.Unlock()
		cancel()
		return nil, &Error{Code: CodeOverCapacity, Message: fmt.Sprintf("too many subscriptions on this node (limit %d): try again later", c.s.cfg.MaxSubscriptions)}
	}
	c.subs[id] = st
	c.mu.Unlock()
	run, serr := setupSub(ctx, sub, rest, c.log, name)
	if serr != nil {
		c.dropSub(id)
		cancel()
		return nil, toError(serr)
	}
	*starts = append(*starts, func(queued bool) {
		if !queued {
			c.dropSub(id)
			cancel()
		}
		// run is called even when the reply was not queued: it is what
		// releases what setup acquired (see SetupSubscriber).
		c.wg.Add(1)
		go c.runSub(st, id, name, run)
	})
	return id, nil
}

// dropSub forgets a subscription and gives back its slot under the
// node-wide cap, once, whichever of unsubscribe, the subscriber's end or a
// failed setup comes first.
func (c *wsConn) dropSub(id string) (*subscription, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.subs[id]
	if ok {
		delete(c.subs, id)
		c.s.subCount.Add(-1)
	}
	return st, ok
}

// setupSub runs a subscription's setup, turning a panic into an internal
// error.
func setupSub(ctx context.Context, sub SetupSubscriber, params json.RawMessage, log *slog.Logger, name string) (run func(func(any) error) error, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("subscription setup panicked", slog.String("subscription", name), slog.Any("panic", r))
			run, err = nil, &Error{Code: CodeInternal, Message: "internal error"}
		}
	}()
	return sub(ctx, params)
}

func (c *wsConn) runSub(st *subscription, id, name string, run func(func(any) error) error) {
	defer c.wg.Done()
	defer func() {
		c.dropSub(id)
		st.cancel()
	}()
	notify := func(v any) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return c.notice(st, subParams{Subscription: id, Result: raw})
	}
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				c.log.Error("subscriber panicked", slog.String("subscription", name), slog.Any("panic", r))
				err = &Error{Code: CodeInternal, Message: "internal error"}
			}
		}()
		return run(notify)
	}()
	if errors.Is(err, ErrSlowConsumer) || errors.Is(err, ErrClosed) {
		return
	}
	// The subscriber stopped on its own: tell the client so it does not
	// wait forever on a dead subscription.
	if err == nil {
		err = &Error{Code: CodeApplication, Message: "subscription ended"}
	}
	_ = c.notice(st, subParams{Subscription: id, Error: toError(err)})
}

func (c *wsConn) notice(st *subscription, p subParams) error {
	msg, err := json.Marshal(subNotice{JSONRPC: "2.0", Method: "subscription", Params: p})
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ctx.Err() != nil {
		return ErrClosed
	}
	return c.enqueue(msg)
}

func (c *wsConn) unsubscribe(params json.RawMessage) (any, *Error) {
	var args []string
	if err := DecodeParams(params, &args); err != nil || len(args) != 1 {
		return nil, InvalidParams("unsubscribe params must be [subscriptionID]")
	}
	st, ok := c.dropSub(args[0])
	if !ok {
		return false, nil
	}
	st.mu.Lock()
	st.cancel()
	st.mu.Unlock()
	return true, nil
}

func newSubID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "0x" + hex.EncodeToString(b[:]), nil
}
