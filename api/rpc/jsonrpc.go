package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// wireRequest keeps every member raw so that type checking is ours: a
// struct with typed fields would turn `"method": 1` into an unmarshal error
// before we could tell which id to answer.
type wireRequest struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	ID      presence        `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// presence distinguishes an absent id (a notification, which must get no
// reply) from `"id": null` (a request that must be answered with id null).
// encoding/json calls UnmarshalJSON even for a null literal on non-pointer
// Unmarshalers, which is what makes this work.
type presence struct {
	set bool
	raw json.RawMessage
}

func (p *presence) UnmarshalJSON(b []byte) error {
	p.set = true
	p.raw = append(p.raw[:0], b...)
	return nil
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
	admin bool
	ws    *wsConn // nil over HTTP
}

// outcome of serving one HTTP body or WebSocket message.
type outcome struct {
	body   []byte   // nil when nothing must be sent (all notifications)
	status int      // HTTP status for the HTTP transport
	starts []func() // run after body is queued; see startSubscription
}

// serveMessage is the transport-independent core: it parses one message
// (single or batch), charges the rate limiter per call so batching cannot
// multiply a client's budget, dispatches, and encodes the reply.
func (s *Server) serveMessage(ctx context.Context, body []byte, p *peer) outcome {
	body = bytes.TrimSpace(body)
	if !json.Valid(body) {
		if !s.limiter.allow(p.ip, 1) {
			return s.rateLimited()
		}
		return outcome{body: encodeError(nullID, &Error{Code: CodeParseError, Message: "parse error: invalid JSON"}), status: http.StatusOK}
	}
	if body[0] != '[' {
		if !s.limiter.allow(p.ip, 1) {
			return s.rateLimited()
		}
		var o outcome
		o.status = http.StatusOK
		o.body = s.serveOne(ctx, body, p, &o.starts)
		return o
	}

	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		// Unreachable for valid JSON starting with '[', but never trust that.
		return outcome{body: encodeError(nullID, &Error{Code: CodeParseError, Message: "parse error: " + err.Error()}), status: http.StatusOK}
	}
	if !s.limiter.allow(p.ip, max(len(elems), 1)) {
		return s.rateLimited()
	}
	if len(elems) == 0 {
		return outcome{body: encodeError(nullID, &Error{Code: CodeInvalidRequest, Message: "invalid request: empty batch"}), status: http.StatusOK}
	}
	if len(elems) > s.cfg.MaxBatch {
		return outcome{body: encodeError(nullID, &Error{Code: CodeInvalidRequest,
			Message: fmt.Sprintf("invalid request: batch of %d exceeds limit %d", len(elems), s.cfg.MaxBatch)}), status: http.StatusOK}
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

func (s *Server) rateLimited() outcome {
	return outcome{
		body:   encodeError(nullID, &Error{Code: CodeRateLimited, Message: "rate limited: too many requests"}),
		status: http.StatusTooManyRequests,
	}
}

// serveOne handles one request object and returns its encoded response, or
// nil for a notification.
func (s *Server) serveOne(ctx context.Context, raw json.RawMessage, p *peer, starts *[]func()) []byte {
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
	var w wireRequest
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, &Error{Code: CodeInvalidRequest, Message: "invalid request: not a JSON-RPC request object"}
	}
	c := &call{}
	if w.ID.set {
		if !validID(w.ID.raw) {
			return nil, &Error{Code: CodeInvalidRequest, Message: "invalid request: id must be a string, number or null"}
		}
		c.id = w.ID.raw
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
func (s *Server) dispatch(ctx context.Context, c *call, p *peer, starts *[]func()) (result any, rerr *Error) {
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
		return nil, &Error{Code: CodeUnauthorized, Message: fmt.Sprintf("method %q requires admin authentication (cookie)", c.method)}
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("rpc handler panicked", slog.String("method", c.method), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			result, rerr = nil, &Error{Code: CodeInternal, Message: "internal error"}
		}
	}()
	res, err := m.Handler(ctx, c.params)
	if err != nil {
		return nil, toError(err)
	}
	return res, nil
}

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
