package consensus

import "fmt"

// ErrorKind names one consensus rule. It implements error so callers can
// write errors.Is(err, consensus.ErrHighHash) against a wrapped RuleError.
// State machines in other packages declare their own kinds of this type.
type ErrorKind string

func (k ErrorKind) Error() string { return string(k) }

// Kind returns the kind's name. It is how the API server (rpc.KindError)
// puts the kind in error.data.kind without importing this package.
func (k ErrorKind) Kind() string { return string(k) }

// Block and header rule kinds, in the order validation checks them.
const (
	// Context-free (sanity) checks: the block alone.
	ErrMalformed      = ErrorKind("ErrMalformed")      // bytes do not decode
	ErrBlockTooBig    = ErrorKind("ErrBlockTooBig")    // encoded size over Params.MaxBlockBytes
	ErrTooManyTxs     = ErrorKind("ErrTooManyTxs")     // tx count over Params.MaxBlockTxs
	ErrWrongChain     = ErrorKind("ErrWrongChain")     // header chain ID is not this chain's
	ErrBadVersion     = ErrorKind("ErrBadVersion")     // unknown header version
	ErrBitsOutOfRange = ErrorKind("ErrBitsOutOfRange") // target zero, negative, overflowing or above the PoW limit
	ErrHighHash       = ErrorKind("ErrHighHash")       // block hash above its target
	ErrBadMinerSig    = ErrorKind("ErrBadMinerSig")    // header signature invalid for MinerKey
	ErrBadTxRoot      = ErrorKind("ErrBadTxRoot")      // Merkle root does not match the transactions
	ErrDuplicateTx    = ErrorKind("ErrDuplicateTx")    // same transaction twice in one block
	ErrTxWrongChain   = ErrorKind("ErrTxWrongChain")   // tx chain ID is not this chain's
	ErrTxBadSig       = ErrorKind("ErrTxBadSig")       // tx signature invalid or sender key malformed
	ErrTxTooLarge     = ErrorKind("ErrTxTooLarge")     // encoded tx over wire.MaxTxBytes (or its payload over wire.MaxPayloadBytes)

	// Checks against the parent header chain.
	ErrBadHeight        = ErrorKind("ErrBadHeight")        // height is not parent height + 1
	ErrUnexpectedBits   = ErrorKind("ErrUnexpectedBits")   // difficulty differs from the ASERT schedule
	ErrTimeTooOld       = ErrorKind("ErrTimeTooOld")       // timestamp not after median time past
	ErrTimeTooNew       = ErrorKind("ErrTimeTooNew")       // timestamp too far in the future
	ErrMinerNotAdmitted = ErrorKind("ErrMinerNotAdmitted") // permissioned network: key not admitted
	ErrBadAnchor        = ErrorKind("ErrBadAnchor")        // auction block anchor missing, too shallow or backwards

	// Checks against state.
	ErrBadStateRoot = ErrorKind("ErrBadStateRoot") // state commitment differs after applying the block
	ErrTxExpired    = ErrorKind("ErrTxExpired")    // tx expiry height passed
	ErrBadNonce     = ErrorKind("ErrBadNonce")     // tx nonce is not the sender's next nonce

	// Block-tree conditions.
	ErrDuplicateBlock  = ErrorKind("ErrDuplicateBlock")  // already have it
	ErrInvalidAncestor = ErrorKind("ErrInvalidAncestor") // builds on a block known to be invalid
)

// RuleError reports which rule a block or transaction broke and how.
type RuleError struct {
	Kind        ErrorKind
	Description string
}

func (e RuleError) Error() string { return fmt.Sprintf("%s: %s", e.Kind, e.Description) }

// Unwrap exposes the kind to errors.Is and errors.As.
func (e RuleError) Unwrap() error { return e.Kind }

// RuleErrorf builds a RuleError with a formatted description.
func RuleErrorf(kind ErrorKind, format string, args ...any) RuleError {
	return RuleError{Kind: kind, Description: fmt.Sprintf(format, args...)}
}

// AssertError is an internal invariant failure: a bug in this node, never a
// peer's fault, so it must not be used to penalise anyone.
type AssertError string

func (e AssertError) Error() string { return "assertion failed: " + string(e) }
