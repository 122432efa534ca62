package rpc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Handler serves one method. params is the raw "params" member (nil when
// absent); decode it with DecodeParams. Return *Error to pick the code.
type Handler func(ctx context.Context, params json.RawMessage) (any, error)

// Method describes one RPC method.
type Method struct {
	Name    string
	Handler Handler
	// Admin methods require the cookie token; see Config.CookiePath.
	Admin   bool
	Summary string
}

// Subscriber streams notifications for one subscription until ctx is
// cancelled (unsubscribe, disconnect, shutdown). params holds the arguments
// that followed the subscription name, as a JSON array. notify never blocks;
// it returns ErrSlowConsumer or ErrClosed once the connection is gone,
// and the Subscriber should then return. A non-nil error returned before
// ctx is done is sent to the client as a final subscription error.
type Subscriber func(ctx context.Context, params json.RawMessage, notify func(any) error) error

// SetupSubscriber is a subscription in two steps. Setup runs before the
// client gets its subscription ID, so whatever it subscribes to is in
// place when the client acts on the reply (no event between the reply
// and the first notification is lost), and its error is the subscribe
// call's error. The returned run then streams as a Subscriber does; ctx
// is the subscription's and ends on unsubscribe, disconnect or shutdown.
//
// After a successful setup the server calls run exactly once, even when
// the reply could not be sent (the client is gone): ctx is then already
// done and notify returns ErrClosed. So run, in its defers, is the one
// place that releases what setup acquired, and it must return once ctx is
// done.
type SetupSubscriber func(ctx context.Context, params json.RawMessage) (run func(notify func(any) error) error, err error)

const (
	methodList        = "rpc.methods"
	methodSubscribe   = "subscribe"
	methodUnsubscribe = "unsubscribe"

	// CookieUser is the basic-auth user name for the cookie token, as in
	// bitcoind, so existing tooling (curl --user "$(cat .cookie)") works.
	CookieUser = "__cookie__"
)

// Config configures a Server. Zero MaxRequestBytes, MaxBatch, SendQueue,
// ShutdownTimeout, ReadTimeout, WriteTimeout, MaxConns and
// MaxSubscriptions take defaults; zero RateLimit and ConnRateLimit disable
// rate limiting, so start from DefaultConfig to get the recommended limits.
type Config struct {
	Logger *slog.Logger
	// MaxRequestBytes bounds one HTTP body or WebSocket message (default 1 MiB).
	MaxRequestBytes int64
	// MaxBatch bounds the number of calls in one batch (default 100).
	MaxBatch int
	// RateLimit is calls per second per client IP; RateBurst is the bucket
	// size (defaults to 2*RateLimit). Zero RateLimit disables limiting.
	RateLimit float64
	RateBurst int
	// ConnRateLimit and ConnRateBurst are the same per connection (one TCP
	// connection over HTTP, one WebSocket), so one busy client cannot use
	// up its IP's whole budget. Zero ConnRateLimit disables them. Callers
	// holding the cookie token (the operator's CLI) are charged nothing.
	ConnRateLimit float64
	ConnRateBurst int
	// VirtualHosts are the names, besides loopback names ("localhost",
	// "*.localhost"), IP literals and the host of the listen address,
	// that a request's Host header may carry, like geth's --http.vhosts;
	// patterns such as "*.example.org" work, and "*" turns the check off.
	// This is what stops DNS rebinding: a page whose name an attacker
	// re-points at 127.0.0.1 still sends its own name as Host.
	VirtualHosts []string
	// ReadTimeout bounds reading one request, headers and body (default
	// 15s): a client that trickles its body is cut off. WriteTimeout
	// bounds writing one response once the handler is done (default 15s).
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// MaxConns caps open connections, HTTP and WebSocket together
	// (default 512); beyond it a new connection gets 503 and is closed.
	MaxConns int
	// MaxSubscriptions caps live WebSocket subscriptions over all
	// connections (default 10000); each connection also has at most 256.
	MaxSubscriptions int
	// CookiePath, if set, is where ListenAndServe writes the admin token.
	// Without it only in-process callers holding Token() can call Admin
	// methods.
	CookiePath string
	// SendQueue is the per-WebSocket outbound queue length (default 1024);
	// a client that lets it fill up is disconnected.
	SendQueue int
	// AllowedOrigins are extra browser origins accepted for POST and
	// WebSocket: "scheme://host:port" patterns match scheme and host,
	// bare host patterns ("localhost:3000", "*.example.org") match http
	// and https origins of that host. Same-origin (same scheme, same Host)
	// and non-browser (no Origin header) clients are always accepted.
	AllowedOrigins []string
	// ShutdownTimeout bounds graceful shutdown (default 5s).
	ShutdownTimeout time.Duration
	// Page, if set, serves browsers: GET / without a WebSocket upgrade and
	// every other GET path the API does not use (the node's web app).
	Page http.Handler
}

// DefaultConfig returns the recommended production limits.
func DefaultConfig() Config {
	return Config{
		MaxRequestBytes:  1 << 20,
		MaxBatch:         100,
		RateLimit:        200,
		RateBurst:        400,
		ConnRateLimit:    100,
		ConnRateBurst:    200,
		SendQueue:        1024,
		ShutdownTimeout:  5 * time.Second,
		ReadTimeout:      15 * time.Second,
		WriteTimeout:     15 * time.Second,
		MaxConns:         512,
		MaxSubscriptions: 10000,
	}
}

// Server is a JSON-RPC 2.0 server. Create with NewServer.
type Server struct {
	cfg         Config
	log         *slog.Logger
	limiter     *limiter // per client IP
	connLimiter *limiter // per connection
	token       string

	// listenHost is the host part of the listen address when it is a name
	// (set before serving starts), accepted in Host like VirtualHosts.
	listenHost string
	connCount  *connCounter
	subCount   atomic.Int64

	mu      sync.RWMutex
	methods map[string]Method
	subs    map[string]SetupSubscriber

	// base is the parent of all WebSocket connection contexts; cancelling it
	// on shutdown stops subscriptions, which http.Server.Shutdown cannot
	// reach because upgraded connections are hijacked.
	base       context.Context
	cancelBase context.CancelFunc
	connMu     sync.Mutex // orders conns.Add against cancelBase+Wait
	conns      sync.WaitGroup

	lifecycle sync.Mutex
	httpSrv   *http.Server
	started   bool
	closing   bool
	done      chan struct{}
	closeErr  error
	closeOnce sync.Once
}

// NewServer returns a server with the built-in rpc.methods registered.
func NewServer(cfg Config) *Server {
	def := DefaultConfig()
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = def.MaxRequestBytes
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = def.MaxBatch
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = def.SendQueue
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = def.ShutdownTimeout
	}
	if cfg.RateLimit > 0 && cfg.RateBurst <= 0 {
		cfg.RateBurst = max(1, int(2*cfg.RateLimit))
	}
	if cfg.ConnRateLimit > 0 && cfg.ConnRateBurst <= 0 {
		cfg.ConnRateBurst = max(1, int(2*cfg.ConnRateLimit))
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = def.ReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = def.WriteTimeout
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = def.MaxConns
	}
	if cfg.MaxSubscriptions <= 0 {
		cfg.MaxSubscriptions = def.MaxSubscriptions
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var tok [32]byte
	_, _ = rand.Read(tok[:]) // crypto/rand.Read never fails since Go 1.24.
	base, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:         cfg,
		log:         log.With(slog.String("component", "rpc")),
		limiter:     newLimiter(cfg.RateLimit, cfg.RateBurst, time.Now),
		connLimiter: newLimiter(cfg.ConnRateLimit, cfg.ConnRateBurst, time.Now),
		connCount:   &connCounter{},
		token:       hex.EncodeToString(tok[:]),
		methods:     make(map[string]Method),
		subs:        make(map[string]SetupSubscriber),
		base:        base,
		cancelBase:  cancel,
		done:        make(chan struct{}),
	}
	s.Register(Method{Name: methodList, Handler: s.listMethods, Summary: "List available methods and subscriptions."})
	return s
}

// Register adds a method. It panics on duplicate or empty names and nil
// handlers: those are wiring bugs that must fail at startup.
func (s *Server) Register(m Method) {
	if m.Name == "" || m.Handler == nil {
		panic("rpc: Register needs a name and a handler")
	}
	if m.Name == methodSubscribe || m.Name == methodUnsubscribe {
		panic(fmt.Sprintf("rpc: method name %q is reserved", m.Name))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.methods[m.Name]; dup {
		panic(fmt.Sprintf("rpc: duplicate method %q", m.Name))
	}
	s.methods[m.Name] = m
}

// RegisterSubscription adds a WebSocket subscription whose setup happens
// when its goroutine starts, after the reply; it panics on duplicates like
// Register. Subscriptions to events the client may cause right after
// subscribing should use RegisterSetupSubscription.
func (s *Server) RegisterSubscription(name string, sub Subscriber) {
	if sub == nil {
		panic("rpc: RegisterSubscription needs a subscriber")
	}
	s.RegisterSetupSubscription(name, func(ctx context.Context, params json.RawMessage) (func(func(any) error) error, error) {
		return func(notify func(any) error) error { return sub(ctx, params, notify) }, nil
	})
}

// RegisterSetupSubscription adds a WebSocket subscription set up before
// the client's reply; it panics on duplicates like Register.
func (s *Server) RegisterSetupSubscription(name string, sub SetupSubscriber) {
	if name == "" || sub == nil {
		panic("rpc: RegisterSetupSubscription needs a name and a subscriber")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.subs[name]; dup {
		panic(fmt.Sprintf("rpc: duplicate subscription %q", name))
	}
	s.subs[name] = sub
}

// Methods returns the registered methods sorted by name.
func (s *Server) Methods() []Method {
	s.mu.RLock()
	out := make([]Method, 0, len(s.methods))
	for _, m := range s.methods {
		out = append(out, m)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Method) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// MethodInfo is one entry of the rpc.methods listing.
type MethodInfo struct {
	Name         string `json:"name"`
	Summary      string `json:"summary,omitempty"`
	Admin        bool   `json:"admin,omitempty"`
	Subscription bool   `json:"subscription,omitempty"`
}

func (s *Server) listMethods(context.Context, json.RawMessage) (any, error) {
	var out []MethodInfo
	for _, m := range s.Methods() {
		out = append(out, MethodInfo{Name: m.Name, Summary: m.Summary, Admin: m.Admin})
	}
	s.mu.RLock()
	subs := make([]string, 0, len(s.subs))
	for name := range s.subs {
		subs = append(subs, name)
	}
	s.mu.RUnlock()
	slices.Sort(subs)
	for _, name := range subs {
		out = append(out, MethodInfo{Name: name, Summary: `WebSocket only: call "subscribe" with ["` + name + `", ...]`, Subscription: true})
	}
	return out, nil
}

func (s *Server) lookup(name string) (Method, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.methods[name]
	return m, ok
}

func (s *Server) lookupSub(name string) (SetupSubscriber, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sub, ok := s.subs[name]
	return sub, ok
}

// Handler returns the HTTP handler: POST / for JSON-RPC, GET / with an
// Upgrade header for WebSocket, GET /health for liveness, and Config.Page
// for the remaining GET requests. Every path is behind the Host check (see
// Config.VirtualHosts).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	mux.HandleFunc("POST /{$}", s.serveHTTP)
	mux.HandleFunc("GET /{$}", s.serveWS)
	if s.cfg.Page != nil {
		mux.Handle("GET /", s.cfg.Page)
	}
	return s.hostGuard(mux)
}

// hostGuard refuses requests whose Host is not allowed, before any route
// (JSON-RPC, WebSocket, health, static pages) sees them.
func (s *Server) hostGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := s.hostAllowed(r.Host); !ok {
			writeJSON(w, http.StatusForbidden, encodeError(nullID, &Error{Code: CodeForbidden, Message: fmt.Sprintf(
				"Host %q is not allowed (DNS rebinding protection): use http://127.0.0.1 or http://localhost, "+
					"or, if you mean to reach this node by that name, start it with --rpc-vhosts %s (\"*\" turns the check off)", name, name)}))
			return
		}
		// Every response must be taken within WriteTimeout: a client that
		// never reads must not hold its connection. serveHTTP restarts the
		// clock when a JSON-RPC answer is ready; serveWS lifts it.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		next.ServeHTTP(w, r)
	})
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.originAllowed(r) {
		s.refuseOrigin(w, r)
		return
	}
	p := &peer{ip: clientIP(r), conn: r.RemoteAddr, admin: s.authorized(r)}
	// Reject on the declared length before reading anything.
	if r.ContentLength > s.cfg.MaxRequestBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, s.tooLarge())
		return
	}
	// The body is bounded in time by http.Server.ReadTimeout (set from
	// Config.ReadTimeout when ListenAndServe serves).
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, s.tooLarge())
			return
		}
		s.log.Debug("reading request body", slog.String("remote", r.RemoteAddr), slog.Any("err", err))
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusRequestTimeout, encodeError(nullID, &Error{Code: CodeInvalidRequest,
			Message: fmt.Sprintf("request body not received in full within %s: send it at once", s.cfg.ReadTimeout)}))
		return
	}
	o := s.serveMessage(r.Context(), body, p)
	// A response the client will not read must not hold the connection:
	// the deadline starts once the handler is done, so slow methods are
	// not cut short.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if o.body == nil {
		// Only notifications: JSON-RPC says return nothing at all.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, o.status, o.body)
}

func (s *Server) refuseOrigin(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusForbidden, encodeError(nullID, &Error{Code: CodeForbidden, Message: fmt.Sprintf(
		"cross-origin request from %q refused: serve the page from this node's own address, "+
			"or start the node with --rpc-origins %s", r.Header.Get("Origin"), r.Header.Get("Origin"))}))
}

func (s *Server) tooLarge() []byte {
	return encodeError(nullID, &Error{Code: CodeTooLarge,
		Message: fmt.Sprintf("request too large: limit is %d bytes", s.cfg.MaxRequestBytes)})
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// originAllowed blocks browser CSRF: a web page can POST a text/plain
// "simple request" to a node on localhost without any CORS preflight, and
// browsers always mark such requests with Origin. Non-browser clients send
// no Origin and are unaffected. POST and the WebSocket upgrade share it.
// Same origin means the same scheme as this connection and the same
// host:port as the (already checked) Host header.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // includes "null" (sandboxed frames, file://)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, pat := range s.cfg.AllowedOrigins {
		pat = strings.ToLower(pat)
		target := strings.ToLower(u.Scheme + "://" + u.Host)
		if !strings.Contains(pat, "://") {
			if !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") {
				continue
			}
			target = strings.ToLower(u.Host)
		}
		if ok, _ := path.Match(pat, target); ok {
			return true
		}
	}
	return false
}

// hostAllowed checks a Host header against the allow-list and returns the
// bare host name it judged. IP literals are always allowed: DNS rebinding
// needs a name the attacker controls, and a browser sends that name.
func (s *Server) hostAllowed(hostport string) (string, bool) {
	if hostport == "" {
		return "", true // HTTP/1.0 without Host; browsers always send one
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport // no port
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return host, true
	}
	if s.listenHost != "" && host == s.listenHost {
		return host, true
	}
	for _, pat := range s.cfg.VirtualHosts {
		pat = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(pat)), ".")
		if pat == "*" || pat == host {
			return host, true
		}
		if ok, _ := path.Match(pat, host); ok {
			return host, true
		}
	}
	return host, false
}

// clientIP keys rate limiting on the TCP peer only. X-Forwarded-For is
// ignored on purpose: trusting it would let any client pick its own bucket.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authorized checks the cookie token from basic auth or a bearer header.
func (s *Server) authorized(r *http.Request) bool {
	var got string
	if user, pass, ok := r.BasicAuth(); ok {
		if user != CookieUser {
			return false
		}
		got = pass
	} else if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		got = strings.TrimSpace(h[7:])
	} else {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
}

// ListenAndServe listens on addr, writes the cookie file, and serves until
// ctx is cancelled or Close is called, shutting down gracefully. It returns
// once listening, with the bound address (useful with port 0).
func (s *Server) ListenAndServe(ctx context.Context, addr string) (net.Addr, error) {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	if s.started || s.closing {
		return nil, errors.New("rpc: server already started or closed")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if h, _, err := net.SplitHostPort(addr); err == nil && h != "" && net.ParseIP(strings.Trim(h, "[]")) == nil {
		s.listenHost = strings.TrimSuffix(strings.ToLower(h), ".")
	}
	s.warnIfExposed(ln.Addr())
	if s.cfg.CookiePath != "" {
		if err := writeCookie(s.cfg.CookiePath, s.token); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("rpc: writing cookie: %w", err)
		}
	}
	s.started = true
	s.httpSrv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: min(10*time.Second, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateClosed || st == http.StateHijacked {
				s.connLimiter.forget(c.RemoteAddr().String())
			}
		},
	}
	capped := newCapListener(ln, s.cfg.MaxConns, s.connCount, s.log)
	go func() {
		if err := s.httpSrv.Serve(capped); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("rpc server stopped", slog.Any("err", err))
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.done:
		}
	}()
	s.log.Info("rpc listening", slog.String("addr", ln.Addr().String()))
	return ln.Addr(), nil
}

// warnIfExposed logs a warning when the API is bound beyond loopback.
func (s *Server) warnIfExposed(addr net.Addr) {
	if loopbackAddr(addr) {
		return
	}
	s.log.Warn("rpc API reachable beyond this machine: anyone who can reach this address can call the public API, "+
		"limited only by rate limits; bind 127.0.0.1 unless you mean it, list the names clients use with --rpc-vhosts, "+
		"and put a TLS proxy in front", slog.String("addr", addr.String()))
}

// Close shuts down gracefully (in-flight HTTP calls finish, WebSocket
// clients get a going-away close) within Config.ShutdownTimeout, then
// removes the cookie file. It is idempotent and waits for completion.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.lifecycle.Lock()
		s.closing = true
		srv := s.httpSrv
		s.lifecycle.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		var errs []error
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, err)
				_ = srv.Close()
			}
		}
		s.connMu.Lock()
		s.cancelBase()
		s.connMu.Unlock()
		waited := make(chan struct{})
		go func() { s.conns.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-ctx.Done():
			errs = append(errs, errors.New("rpc: websocket connections did not close in time"))
		}
		if s.cfg.CookiePath != "" && srv != nil {
			if err := removeCookie(s.cfg.CookiePath, s.token); err != nil {
				errs = append(errs, err)
			}
		}
		s.closeErr = errors.Join(errs...)
		close(s.done)
		s.log.Info("rpc stopped")
	})
	<-s.done
	return s.closeErr
}

// Token is the admin token, for in-process callers (tests, an embedding
// node) that should not have to read the cookie file back.
func (s *Server) Token() string { return s.token }

// Done is closed when shutdown has completed.
func (s *Server) Done() <-chan struct{} { return s.done }

// writeCookie writes "__cookie__:<token>" (bitcoind's format) atomically
// with 0600 perms. A rename is used because os.WriteFile keeps the mode of
// a stale existing file, which could leave the token world-readable.
func writeCookie(path, token string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".cookie-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := io.WriteString(f, CookieUser+":"+token); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// removeCookie only deletes the file if it still holds our token, so a
// second node started on the same datadir keeps its own cookie.
func removeCookie(path, token string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if parseCookie(b) != token {
		return nil
	}
	return os.Remove(path)
}

// ReadCookie reads the admin token from a cookie file written by a running
// server. Both "__cookie__:<token>" and a bare token are accepted.
func ReadCookie(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read cookie %s: %w (is the node running with this data directory?)", path, err)
	}
	tok := parseCookie(b)
	if tok == "" || strings.ContainsAny(tok, " \t\n:") {
		return "", fmt.Errorf("cookie file %s is malformed", path)
	}
	return tok, nil
}

func parseCookie(b []byte) string {
	s := strings.TrimSpace(string(b))
	if user, tok, ok := strings.Cut(s, ":"); ok && user == CookieUser {
		return tok
	}
	return s
}
