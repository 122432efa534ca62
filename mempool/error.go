package mempool

import "fmt"

// ErrorKind names one pool policy: the transaction may be valid, but this
// pool will not hold it (now). Rule violations (bad signature, bad nonce,
// insufficient funds, expired) come back as consensus.RuleError values
// from the chain instead, so callers can tell "invalid" from "not taken".
type ErrorKind string

func (k ErrorKind) Error() string { return string(k) }

// Kind returns the kind's name. It is how the API server (rpc.KindError)
// puts the kind in error.data.kind without importing this package.
func (k ErrorKind) Kind() string { return string(k) }

// Policy error kinds.
const (
	ErrAlreadyKnown           = ErrorKind("ErrAlreadyKnown")           // the same transaction is already in the pool
	ErrFeeTooLow              = ErrorKind("ErrFeeTooLow")              // fee rate below Config.MinFeeRate
	ErrReplacementUnderpriced = ErrorKind("ErrReplacementUnderpriced") // same nonce pending; a replacement must pay ≥10% more
	ErrPoolFull               = ErrorKind("ErrPoolFull")               // no room without evicting a higher fee rate
	ErrSenderLimit            = ErrorKind("ErrSenderLimit")            // sender already has Config.MaxPerSender transactions
	ErrNonceTooFarAhead       = ErrorKind("ErrNonceTooFarAhead")       // nonce more than Config.MaxNonceGap past the next one
)

// PolicyError says which policy refused a transaction and why.
type PolicyError struct {
	Kind        ErrorKind
	Description string
}

func (e PolicyError) Error() string { return fmt.Sprintf("%s: %s", e.Kind, e.Description) }

// Unwrap exposes the kind to errors.Is.
func (e PolicyError) Unwrap() error { return e.Kind }

func policyErrorf(kind ErrorKind, format string, args ...any) error {
	return PolicyError{Kind: kind, Description: fmt.Sprintf(format, args...)}
}
