package ledger

import "github.com/thingchain/thingchain/consensus"

// Rule error kinds of the ledger. ErrBadNonce is consensus.ErrBadNonce.
const (
	ErrInsufficientFunds = consensus.ErrorKind("ErrInsufficientFunds") // balance below amount plus fee
	ErrBadPayload        = consensus.ErrorKind("ErrBadPayload")        // payload does not decode canonically
	ErrZeroAmount        = consensus.ErrorKind("ErrZeroAmount")        // transfer of nothing
	ErrSelfTransfer      = consensus.ErrorKind("ErrSelfTransfer")      // transfer to the sender itself
	ErrOverflow          = consensus.ErrorKind("ErrOverflow")          // a balance or total would exceed 2^64-1
	ErrUnknownTxType     = consensus.ErrorKind("ErrUnknownTxType")     // no handler for the transaction type
)
