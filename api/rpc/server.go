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
type SetupSubscriber func(ctx context.Context, params json.RawMessage) (run func(notify func(any) error) error, err error)

const (
	methodList        = "rpc.methods"
	methodSubscribe   = "subscribe"
	methodUnsubscribe = "unsubscribe"

	// CookieUser is the basic-auth user name for the cookie token, as in
	// bitcoind, so existing tooling (curl --user "$(cat .cookie)") works.
	CookieUser = "__cookie__"
)

// Config configures a Server. Zero MaxRequestBytes, MaxBatch, SendQueue and
// ShutdownTimeout take defaults; zero RateLimit disables rate limiting, so
// start from DefaultConfig to get the recommended limits.
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
	// CookiePath, if set, is where ListenAndServe writes the admin token.
	// Without it only in-process callers holding Token() can call Admin
	// methods.
	CookiePath string
	// SendQueue is the per-WebSocket outbound queue length (default 1024);
	// a client that lets it fill up is disconnected.
	SendQueue int
	// AllowedOrigins are extra browser origins (host patterns such as
	// "localhost:3000" or "*.example.org", as in
	// websocket.AcceptOptions.OriginPatterns) accepted for POST and
	// WebSocket. Same-origin and non-browser (no Origin header) clients are
	// always accepted.
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
		MaxRequestBytes: 1 << 20,
		MaxBatch:        100,
		RateLimit:       200,
		RateBurst:       400,
		SendQueue:       1024,
		ShutdownTimeout: 5 * time.Second,
	}
}

// Server is a JSON-RPC 2.0 server. Create with NewServer.
type Server struct {
	cfg     Config
	log     *slog.Logger
	limiter *limiter
	token   string

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
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var tok [32]byte
	_, _ = rand.Read(tok[:]) // crypto/rand.Read never fails since Go 1.24.
	base, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:        cfg,
		log:        log.With(slog.String("component", "rpc")),
		limiter:    newLimiter(cfg.RateLimit, cfg.RateBurst, time.Now),
		token:      hex.EncodeToString(tok[:]),
		methods:    make(map[string]Method),
		subs:       make(map[string]SetupSubscriber),
		base:       base,
		cancelBase: cancel,
		done:       make(chan struct{}),
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
// for the remaining GET requests.
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
	return mux
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.originAllowed(r) {
		writeJSON(w, http.StatusForbidden, encodeError(nullID, &Error{Code: CodeUnauthorized,
			Message: "cross-origin request refused; allow the origin in the node's RPC config"}))
		return
	}
	p := &peer{ip: clientIP(r), admin: s.authorized(r)}
	// Reject on the declared length before reading anything.
	if r.ContentLength > s.cfg.MaxRequestBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, s.tooLarge())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, s.tooLarge())
			return
		}
		s.log.Debug("reading request body", slog.String("remote", r.RemoteAddr), slog.Any("err", err))
		return
	}
	o := s.serveMessage(r.Context(), body, p)
	if o.body == nil {
		// Only notifications: JSON-RPC says return nothing at all.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, o.status, o.body)
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
// no Origin and are unaffected. The rule matches the WebSocket upgrade's.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, pat := range s.cfg.AllowedOrigins {
		target := u.Host
		if strings.Contains(pat, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
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
	if s.cfg.CookiePath != "" {
		if err := writeCookie(s.cfg.CookiePath, s.token); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("rpc: writing cookie: %w", err)
		}
	}
	s.started = true
	s.httpSrv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
