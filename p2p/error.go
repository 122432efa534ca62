package p2p

import (
	"errors"
	"fmt"
)

// Errors of the sync protocol's message layer. Every decoding failure wraps
// exactly one of them, so the caller can pick the penalty with errors.Is
// (see penaltyFor) without looking at the bytes.
var (
	// ErrMalformedMessage: the bytes are not a canonical encoding of any
	// message (truncated, trailing bytes, non-minimal varints, bad fields).
	ErrMalformedMessage = errors.New("malformed p2p message")
	// ErrOversizedMessage: a frame or a count inside it is over its limit.
	ErrOversizedMessage = errors.New("oversized p2p message")
	// ErrUnknownMessage: a message type this protocol version does not
	// define, or one that is not valid in this position (a response sent as
	// a request, or the wrong response to a request).
	ErrUnknownMessage = errors.New("unknown or unexpected p2p message")
)

// MessageError says what went wrong decoding a message. Kind is one of the
// Err*Message values above.
type MessageError struct {
	Kind   error
	Reason string
}

func (e *MessageError) Error() string { return fmt.Sprintf("%v: %s", e.Kind, e.Reason) }

// Unwrap lets errors.Is(err, ErrMalformedMessage) and friends match.
func (e *MessageError) Unwrap() error { return e.Kind }

func msgErr(kind error, format string, args ...any) error {
	return &MessageError{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// penaltyFor maps a message-layer error to its ban-score penalty; zero
// means the error is not the peer's fault (a closed stream, a timeout).
func penaltyFor(err error) (int, string) {
	switch {
	case errors.Is(err, ErrOversizedMessage):
		return PenaltyOversized, "oversized message"
	case errors.Is(err, ErrUnknownMessage):
		return PenaltyUnknownMessage, "unknown message"
	case errors.Is(err, ErrMalformedMessage):
		return PenaltyMalformed, "malformed message"
	}
	return 0, ""
}
