package rpc

import (
	"encoding/json"
	"errors"
	"fmt"
)

// JSON-RPC 2.0 standard codes, plus thingchain's application codes in the
// -32000..-32099 "server error" range reserved by the spec.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternal       = -32603

	CodeApplication  = -32000
	CodeUnauthorized = -32001
	CodeForbidden    = -32003 // Host or browser Origin not allowed (HTTP 403)
	CodeRateLimited  = -32005
	CodeTooLarge     = -32006
	CodeOverCapacity = -32007 // connection or subscription cap reached
)

// Error is a JSON-RPC error object. Handlers return it to choose the code
// sent to the client; any other error becomes CodeApplication.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message)
}

// InvalidParams builds a -32602 error; handlers use it for semantic
// parameter problems that DecodeParams cannot see (ranges, formats).
func InvalidParams(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParams, Message: fmt.Sprintf(format, args...)}
}

// Errors returned by a subscription's notify func, so a Subscriber can tell
// that its connection is gone and return.
var (
	ErrClosed       = errors.New("rpc: subscription or connection closed")
	ErrSlowConsumer = errors.New("rpc: slow consumer disconnected: send queue full")
)

// KindError is implemented by typed rule errors: consensus.ErrorKind (and
// so consensus.RuleError, which unwraps to one, and the kinds of the
// ledger, registry and auction state machines) and mempool.ErrorKind
// (mempool.PolicyError). Kind is the error's unique name, such as
// "ErrBadNonce". It lives here, in the transport both the server and
// clients import, so neither has to import the engine to read a kind;
// *Error implements it too, from error.data.kind.
type KindError interface {
	error
	Kind() string
}

// ErrorData is error.data of a failure caused by a typed rule error:
// {"kind": "ErrBadNonce"}.
type ErrorData struct {
	Kind string `json:"kind"`
}

// KindOf returns the kind of the first typed rule error in err's chain
// (an *Error received by a client counts), or "".
func KindOf(err error) string {
	var k KindError
	if errors.As(err, &k) {
		return k.Kind()
	}
	return ""
}

// Kind returns error.data.kind, or "" when the error carries none; it
// reads both a server-side ErrorData and the map a client decodes.
func (e *Error) Kind() string {
	if e == nil {
		return ""
	}
	switch d := e.Data.(type) {
	case ErrorData:
		return d.Kind
	case *ErrorData:
		if d != nil {
			return d.Kind
		}
	case map[string]any:
		k, _ := d["kind"].(string)
		return k
	case json.RawMessage:
		var v ErrorData
		if json.Unmarshal(d, &v) == nil {
			return v.Kind
		}
	}
	return ""
}

// toError maps a handler error onto the wire. errors.As lets handlers wrap
// an *Error with context without losing its code. A typed rule error
// anywhere in the chain puts its kind in error.data, so clients match
// kinds rather than message text.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e
	}
	out := &Error{Code: CodeApplication, Message: err.Error()}
	if k := KindOf(err); k != "" {
		out.Data = ErrorData{Kind: k}
	}
	return out
}
