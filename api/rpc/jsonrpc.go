package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
)

// wireRequest keeps every member raw so that type checking is ours: a
// struct with typed fields would turn `"method": 1` into an unmarshal error
// before we could tell which id to answer. idSet distinguishes an absent id
// (a notification, which must get no reply) from `"id": null` (a request
// that must be answered with id null).
type wireRequest struct {
	JSONRPC json.RawMessage
	ID      json.RawMessage
	idSet   bool
	Method  json.RawMessage
	Params  json.RawMessage
	// unknown lists members that are not exactly "jsonrpc", "id",
	// "method" or "params" (encoding/json would match "METHOD" to method).
	unknown []string
	dup     string
}

// scanRequest reads one request object member by member, matching names
// exactly.
func scanRequest(raw []byte) (*wireRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	w := &wireRequest{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if seen[name] && w.dup == "" {
			w.dup = name
		}
		seen[name] = true
		switch name {
		case "jsonrpc":
			w.JSONRPC = v
		case "id":
			w.ID, w.idSet = v, true
		case "method":
			w.Method = v
		case "params":
			w.Params = v
		default:
			w.unknown = append(w.unknown, name)
		}
	}
	return w, nil
}

// memberHint explains an unknown member, naming the one it resembles.
func memberHint(names []string) string {
	quoted := make([]string, len(names))
	hint := ""
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
		for _, want := range []string{"jsonrpc", "id", "method", "params"} {
			if hint == "" && strings.EqualFold(n, want) {
				hint = fmt.Sprintf(" (member names are case-sensitive: write %q, not %q)", want, n)
			}
		}
	}
	if hint == "" {
		hint = ` (a request has only "jsonrpc", "id", "method" and "params")`
	}
	return "unknown member " + strings.Join(quoted, ", ") + hint
}

type wireResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

var nullID = json.RawMessage("null")

// call is a validated request ready for dispatch.
type call struct {
	id     json.RawMessage // nil for notifications
	method string
	params json.RawMessage
}

func (c *call) isNotification() bool { return c.id == nil }

// peer is what the transport knows about the caller.
type peer struct {
	ip    string
	conn  string // the HTTP connection's remote address, for its rate bucket
	admin bool
	ws    *wsConn // nil over HTTP
}

// outcome of serving one HTTP body or WebSocket message.
type outcome struct {
	body   []byte              // nil when nothing must be sent (all notifications)
	status int                 // HTTP status for the HTTP transport
	starts []func(queued bool) // run once the body is queued, or failed to; see wsConn.handle
}

// serveMessage is the transport-independent core: it parses one message
// (single or batch), charges the rate limiter per call so batching cannot
// multiply a client's budget, dispatches, and encodes the reply.
func (s *Server) serveMessage(ctx context.Context, body []byte, p *peer) outcome {
	body = bytes.TrimSpace(body)
	if !json.Valid(body) {
		if !s.allow(p, 1) {
			return s.rateLimited()
		}
		return outcome{body: encodeError(nullID, &Error{Code: CodeParseError, Message: "parse error: invalid JSON"}), status: http.StatusOK}
	}
	if body[0] != '[' {
		if !s.allow(p, 1) {
			return s.rateLimited()
		}
		var o outcome
		o.status = http.StatusOK
		o.body = s.serveOne(ctx, body, p, &o.starts)
		return o
	}

	elems, over, err := scanBatch(body, s.cfg.MaxBatch)
	if err != nil {
		// Unreachable for valid JSON starting with '[', but never trust that.
		return outcome{body: encodeError(nullID, &Error{Code: CodeParseError, Message: "parse error: " + err.Error()}), status: http.StatusOK}
	}
	if !s.allow(p, max(len(elems), 1)) {
		return s.rateLimited()
	}
	if len(elems) == 0 {
		return outcome{body: encodeError(nullID, &Error{Code: CodeInvalidRequest, Message: "invalid request: empty batch"}), status: http.StatusOK}
	}
	if over {
		return outcome{body: encodeError(nullID, &Error{Code: CodeInvalidRequest,
			Message: fmt.Sprintf("invalid request: batch has more than %d calls; split it", s.cfg.MaxBatch)}), status: http.StatusOK}
	}
	o := outcome{status: http.StatusOK}
	var buf bytes.Buffer
	for _, e := range elems {
		r := s.serveOne(ctx, e, p, &o.starts)
		if r == nil {
			continue
		}
		if buf.Len() == 0 {
			buf.WriteByte('[')
		} else {
			buf.WriteByte(',')
		}
		buf.Write(r)
	}
	if buf.Len() > 0 {
		buf.WriteByte(']')
		o.body = buf.Bytes()
	}
	return o
}

// scanBatch splits a batch into its elements, stopping as soon as there
// are more than limit: a 1 MiB batch of half a million tiny elements is
// refused after limit+1 of them, not decoded whole first. over reports
// that the batch was longer; elems then holds limit+1 elements.
func scanBatch(body []byte, limit int) (elems []json.RawMessage, over bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, false, errors.New("batch is not an array")
	}
	for dec.More() {
		if len(elems) == limit {
			return append(elems, nil), true, nil
		}
		var e json.RawMessage
		if err := dec.Decode(&e); err != nil {
			return nil, false, err
		}
		elems = append(elems, e)
	}
	return elems, false, nil
}

func (s *Server) rateLimited() outcome {
	return outcome{
		body:   encodeError(nullID, &Error{Code: CodeRateLimited, Message: "rate limited: too many requests"}),
		status: http.StatusTooManyRequests,
	}
}

// serveOne handles one request object and returns its encoded response, or
// nil for a notification.
func (s *Server) serveOne(ctx context.Context, raw json.RawMessage, p *peer, starts *[]func(bool)) []byte {
	c, rerr := parseCall(raw)
	if rerr != nil {
		// The spec answers invalid requests even without an id: the client
		// cannot have meant a notification if it could not form one.
		id := nullID
		if c != nil && c.id != nil {
			id = c.id
		}
		return encodeError(id, rerr)
	}
	result, err := s.dispatch(ctx, c, p, starts)
	if c.isNotification() {
		return nil
	}
	if err != nil {
		return encodeError(c.id, err)
	}
	return encodeResult(c.id, result)
}

func parseCall(raw json.RawMessage) (*call, *Error) {
	w, err := scanRequest(raw)
	if err != nil {
		return nil, &Error{Code: CodeInvalidRequest, Message: "invalid request: not a JSON-RPC request object"}
	}
	c := &call{}
	if w.idSet {
		if !validID(w.ID) {
			return nil, &Error{Code: CodeInvalidRequest, Message: "invalid request: id must be a string, number or null"}
		}
		c.id = w.ID
	}
	if w.dup != "" {
		return c, &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("invalid request: member %q given twice", w.dup),
			Data: map[string]string{"member": w.dup}}
	}
	if len(w.unknown) > 0 {
		return c, &Error{Code: CodeInvalidRequest, Message: "invalid request: " + memberHint(w.unknown),
			Data: map[string]string{"member": w.unknown[0]}}
	}
	var version string
	if len(w.JSONRPC) == 0 || json.Unmarshal(w.JSONRPC, &version) != nil || version != "2.0" {
		return c, &Error{Code: CodeInvalidRequest, Message: `invalid request: "jsonrpc" must be exactly "2.0"`}
	}
	if len(w.Method) == 0 || w.Method[0] != '"' || json.Unmarshal(w.Method, &c.method) != nil || c.method == "" {
		return c, &Error{Code: CodeInvalidRequest, Message: `invalid request: "method" must be a non-empty string`}
	}
	params := bytes.TrimSpace(w.Params)
	if len(params) > 0 && string(params) != "null" && params[0] != '[' && params[0] != '{' {
		return c, &Error{Code: CodeInvalidRequest, Message: `invalid request: "params" must be an array or an object`}
	}
	if string(params) != "null" {
		c.params = params
	}
	return c, nil
}

func validID(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	switch raw[0] {
	case '"', 'n':
		return true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return true
	}
	return false
}

// dispatch runs one call. It never panics: a handler panic would otherwise
// take the whole node down with it.
func (s *Server) dispatch(ctx context.Context, c *call, p *peer, starts *[]func(bool)) (result any, rerr *Error) {
	switch c.method {
	case methodSubscribe, methodUnsubscribe:
		if p.ws == nil {
			return nil, &Error{Code: CodeMethodNotFound, Message: fmt.Sprintf("method %q is only available over WebSocket", c.method)}
		}
		if c.method == methodSubscribe {
			if c.isNotification() {
				// Nobody could ever learn the id, so the subscription
				// would only burn resources until disconnect.
				return nil, nil
			}
			return p.ws.subscribe(c.params, starts)
		}
		return p.ws.unsubscribe(c.params)
	}

	m, ok := s.lookup(c.method)
	if !ok {
		return nil, &Error{Code: CodeMethodNotFound, Message: fmt.Sprintf("method %q not found; call %q for the list of methods", c.method, methodList)}
	}
	if m.Admin && !p.admin {
		return nil, &Error{Code: CodeUnauthorized, Message: fmt.Sprintf("method %q requires admin authentication: send the node's cookie, e.g. curl --user \"$(cat DIR/.cookie)\" (the CLI does so with --datadir DIR)", c.method)}
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("rpc handler panicked", slog.String("method", c.method), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			result, rerr = nil, &Error{Code: CodeInternal, Message: "internal error"}
		}
	}()
	res, err := m.Handler(context.WithValue(ctx, chargeKey{}, func(n int) bool { return s.allow(p, n) }), c.params)
	if err != nil {
		return nil, toError(err)
	}
	return res, nil
}

type chargeKey struct{}

// Charge counts n more calls against the rate limits of the caller of the
// handler running with ctx (a request already counts as one call), for
// methods that do the work of many calls at once (tx.submitBatch): batching
// must not multiply a client's budget. It reports whether the caller's
// budget allowed them; the cookie-authenticated operator is never refused.
// Outside a handler it allows everything.
func Charge(ctx context.Context, n int) bool {
	if n <= 0 {
		return true
	}
	if f, ok := ctx.Value(chargeKey{}).(func(int) bool); ok {
		return f(n)
	}
	return true
}

// ErrRateLimited is the error a handler returns when Charge refused.
func ErrRateLimited() *Error {
	return &Error{Code: CodeRateLimited, Message: "rate limited: too many requests"}
}

// ErrorOf is the JSON-RPC error object the server sends for err returned
// by a handler (error.data.kind names a rule error's kind), for methods
// that report one error per item of a batch.
func ErrorOf(err error) *Error { return toError(err) }

func encodeResult(id json.RawMessage, result any) []byte {
	raw, err := json.Marshal(result)
	if err != nil {
		return encodeError(id, &Error{Code: CodeInternal, Message: "internal error: cannot encode result: " + err.Error()})
	}
	b, err := json.Marshal(wireResponse{JSONRPC: "2.0", ID: id, Result: raw})
	if err != nil {
		return encodeError(nullID, &Error{Code: CodeInternal, Message: "internal error: cannot encode response"})
	}
	return b
}

func encodeError(id json.RawMessage, e *Error) []byte {
	b, err := json.Marshal(wireResponse{JSONRPC: "2.0", ID: id, Error: e})
	if err != nil {
		// Only Data can fail to encode; drop it rather than the whole reply.
		b, _ = json.Marshal(wireResponse{JSONRPC: "2.0", ID: id, Error: &Error{Code: e.Code, Message: e.Message}})
	}
	return b
}
