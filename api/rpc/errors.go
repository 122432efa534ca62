package rpc

import "fmt"

// JSON-RPC 2.0 error codes, and ours in the server-error range.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternal       = -32603
	CodeApplication    = -32000 // the method ran and refused (rule violation, not found, …)
	CodeUnauthorized   = -32001 // admin method without the cookie
	CodeRateLimited    = -32005
	CodeTooLarge       = -32006
)

// Error is a JSON-RPC error object. Handlers may return one to choose the
// code; any other error becomes CodeApplication with its message.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// InvalidParams builds a -32602 error.
func InvalidParams(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParams, Message: fmt.Sprintf(format, args...)}
}
