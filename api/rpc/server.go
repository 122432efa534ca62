package rpc

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Handler runs one method call.
type Handler func(ctx context.Context, params json.RawMessage) (any, error)

// Method is a registered method.
type Method struct {
	Name    string
	Handler Handler
	Admin   bool // needs the cookie token
	Summary string
}

// Subscriber streams notifications for one subscription until ctx ends.
type Subscriber func(ctx context.Context, params json.RawMessage, notify func(any) error) error

// Config sets up a Server.
type Config struct {
	Logger          *slog.Logger
	MaxRequestBytes int64   // default 1 MiB
	MaxBatch        int     // default 100
	RateLimit       float64 // requests per second per client IP; 0 disables
	RateBurst       int
	// CookiePath, if set, receives a fresh admin token on Start (0600) and
	// is removed on Close; admin methods need it.
	CookiePath string
}

// Server dispatches JSON-RPC calls to registered methods.
type Server struct {
	cfg     Config
	log     *slog.Logger
	methods map[string]Method
	subs    map[string]Subscriber
	token   string

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter

	httpSrv *http.Server
}

// NewServer returns a server with the built-in rpc.methods registered.
func NewServer(cfg Config) *Server {
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = 1 << 20
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = 100
	}
	if cfg.RateBurst == 0 {
		cfg.RateBurst = int(2*cfg.RateLimit) + 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, methods: map[string]Method{}, subs: map[string]Subscriber{}, limiters: map[string]*rate.Limiter{}}
	s.Register(Method{Name: "rpc.methods", Summary: "list every method with a one-line summary", Handler: func(context.Context, json.RawMessage) (any, error) {
		type m struct {
			Name    string `json:"name"`
			Admin   bool   `json:"admin,omitempty"`
			Summary string `json:"summary"`
		}
		var out []m
		for _, x := range s.Methods() {
			out = append(out, m{x.Name, x.Admin, x.Summary})
		}
		return out, nil
	}})
	return s
}

// Register adds a method; a duplicate name is a wiring bug and panics.
func (s *Server) Register(m Method) {
	if _, dup := s.methods[m.Name]; dup {
		panic("rpc: method registered twice: " + m.Name)
	}
	s.methods[m.Name] = m
}

// RegisterSubscription adds a WebSocket subscription kind.
func (s *Server) RegisterSubscription(name string, sub Subscriber) {
	if _, dup := s.subs[name]; dup {
		panic("rpc: subscription registered twice: " + name)
	}
	s.subs[name] = sub
}

// Methods lists the registered methods sorted by name.
func (s *Server) Methods() []Method {
	out := make([]Method, 0, len(s.methods))
	for _, m := range s.methods {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Token is the current admin token (empty until Start wrote a cookie).
func (s *Server) Token() string { return s.token }

type request struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

var nullID = json.RawMessage("null")

func errResponse(id json.RawMessage, code int, format string, args ...any) *response {
	if id == nil {
		id = nullID
	}
	return &response{JSONRPC: "2.0", ID: id, Error: &Error{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// validID accepts the id types JSON-RPC allows: string, number or null.
func validID(id json.RawMessage) bool {
	if id == nil {
		return true
	}
	t := bytes.TrimSpace(id)
	if len(t) == 0 {
		return false
	}
	switch t[0] {
	case '"', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return true
	}
	return false
}

// call runs one request; nil means "no response" (a notification).
func (s *Server) call(ctx context.Context, raw json.RawMessage, admin bool) *response {
	var req request
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&req); err != nil {
		return errResponse(nil, CodeInvalidRequest, "invalid request object: %v", err)
	}
	if req.JSONRPC != "2.0" || req.Method == "" || !validID(req.ID) {
		return errResponse(req.ID, CodeInvalidRequest, `invalid request: needs "jsonrpc":"2.0", a method name, and an id that is a string, number or null`)
	}
	notification := req.ID == nil
	m, ok := s.methods[req.Method]
	var resp *response
	switch {
	case !ok:
		resp = errResponse(req.ID, CodeMethodNotFound, "method %q not found: call rpc.methods for the list", req.Method)
	case m.Admin && !admin:
		resp = errResponse(req.ID, CodeUnauthorized, "method %q needs admin authorisation: send the token from the node's .cookie file", req.Method)
	default:
		result, err := s.invoke(ctx, m, req.Params)
		if err != nil {
			var rerr *Error
			if !errors.As(err, &rerr) {
				rerr = &Error{Code: CodeApplication, Message: err.Error()}
			}
			resp = &response{JSONRPC: "2.0", ID: req.ID, Error: rerr}
		} else {
			if result == nil {
				result = json.RawMessage("null")
			}
			resp = &response{JSONRPC: "2.0", ID: req.ID, Result: result}
		}
	}
	if notification {
		return nil
	}
	return resp
}

// invoke runs a handler, turning a panic into an internal error so one bad
// request cannot take the node down.
func (s *Server) invoke(ctx context.Context, m Method, params json.RawMessage) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("rpc handler panicked", "method", m.Name, "panic", r)
			err = &Error{Code: CodeInternal, Message: "internal error"}
		}
	}()
	return m.Handler(ctx, params)
}

// handleBody answers a POSTed body: one call or a batch.
func (s *Server) handleBody(ctx context.Context, body []byte, admin bool) (any, bool) {
	body = bytes.TrimSpace(body)
	if !json.Valid(body) {
		return errResponse(nil, CodeParseError, "parse error: the body is not valid JSON"), true
	}
	if len(body) > 0 && body[0] == '[' {
		var batch []json.RawMessage
		if err := json.Unmarshal(body, &batch); err != nil {
			return errResponse(nil, CodeParseError, "parse error: %v", err), true
		}
		if len(batch) == 0 {
			return errResponse(nil, CodeInvalidRequest, "invalid request: empty batch"), true
		}
		if len(batch) > s.cfg.MaxBatch {
			return errResponse(nil, CodeInvalidRequest, "batch of %d calls exceeds the limit of %d", len(batch), s.cfg.MaxBatch), true
		}
		var out []*response
		for _, item := range batch {
			if r := s.call(ctx, item, admin); r != nil {
				out = append(out, r)
			}
		}
		return out, len(out) > 0
	}
	r := s.call(ctx, body, admin)
	return r, r != nil
}

func (s *Server) authorised(r *http.Request) bool {
	if s.token == "" {
		return false
	}
	h := r.Header.Get("Authorization")
	var given string
	switch {
	case strings.HasPrefix(h, "Bearer "):
		given = strings.TrimPrefix(h, "Bearer ")
	case strings.HasPrefix(h, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		if err != nil {
			return false
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok || user != "__cookie__" {
			return false
		}
		given = pass
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(given), []byte(s.token)) == 1
}

func (s *Server) allow(r *http.Request) bool {
	if s.cfg.RateLimit <= 0 {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l := s.limiters[host]
	if l == nil {
		if len(s.limiters) > 10000 { // bound memory under many clients
			clear(s.limiters)
		}
		l = rate.NewLimiter(rate.Limit(s.cfg.RateLimit), s.cfg.RateBurst)
		s.limiters[host] = l
	}
	return l.Allow()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Handler serves POST / (JSON-RPC), GET / with a WebSocket upgrade, and
// GET /health.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !s.allow(r) {
			writeJSON(w, http.StatusTooManyRequests, errResponse(nil, CodeRateLimited, "rate limit exceeded: at most %.0f requests per second", s.cfg.RateLimit))
			return
		}
		if r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			s.serveWS(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeJSON(w, http.StatusMethodNotAllowed, errResponse(nil, CodeInvalidRequest, "use POST with a JSON-RPC 2.0 body, or a WebSocket upgrade"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, errResponse(nil, CodeTooLarge, "request larger than %d bytes", s.cfg.MaxRequestBytes))
				return
			}
			writeJSON(w, http.StatusBadRequest, errResponse(nil, CodeParseError, "reading request: %v", err))
			return
		}
		out, respond := s.handleBody(r.Context(), body, s.authorised(r))
		if !respond {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	return mux
}

// ListenAndServe binds addr, writes the cookie file, serves until ctx ends
// and returns the bound address once listening.
func (s *Server) ListenAndServe(ctx context.Context, addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("API listen on %s: %w (is the port in use? choose another with --rpc)", addr, err)
	}
	if s.cfg.CookiePath != "" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			ln.Close()
			return nil, err
		}
		s.token = hex.EncodeToString(b[:])
		if err := os.WriteFile(s.cfg.CookiePath, []byte("__cookie__:"+s.token), 0o600); err != nil {
			ln.Close()
			return nil, fmt.Errorf("write cookie file: %w", err)
		}
	}
	s.httpSrv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go s.httpSrv.Serve(ln)
	go func() {
		<-ctx.Done()
		s.Close()
	}()
	return ln.Addr(), nil
}

// Close stops the server and removes the cookie file.
func (s *Server) Close() error {
	if s.cfg.CookiePath != "" {
		os.Remove(s.cfg.CookiePath)
	}
	if s.httpSrv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.httpSrv.Shutdown(ctx)
}

// ReadCookie reads a cookie file written by a running server and returns
// its token.
func ReadCookie(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read cookie %s: %w (is the node running with this data directory?)", path, err)
	}
	_, tok, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok || tok == "" {
		return "", fmt.Errorf("cookie file %s is malformed", path)
	}
	return tok, nil
}
