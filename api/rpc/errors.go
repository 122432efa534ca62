package rpc

import (
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
	CodeRateLimited  = -32005
	CodeTooLarge     = -32006
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

// toError maps a handler error onto the wire. errors.As lets handlers wrap
// an *Error with context without losing its code.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e
	}
	return &Error{Code: CodeApplication, Message: err.Error()}
}
