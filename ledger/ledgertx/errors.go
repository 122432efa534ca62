package ledgertx

import "github.com/thingchain/thingchain/consensus"

// Rule error kinds of the ledger. ErrBadNonce is consensus.ErrBadNonce.
const (
	ErrInsufficientFunds    = consensus.ErrorKind("ErrInsufficientFunds")    // balance below amount plus fee
	ErrBadAuctionPayload    = consensus.ErrorKind("ErrBadAuctionPayload")    // payload does not decode canonically
	ErrZeroAmount           = consensus.ErrorKind("ErrZeroAmount")           // transfer of nothing
	ErrSelfTransfer         = consensus.ErrorKind("ErrSelfTransfer")         // transfer to the sender itself
	ErrOverflow             = consensus.ErrorKind("ErrOverflow")             // a balance or total would exceed 2^64-1
	ErrUnknownAuctionTxType = consensus.ErrorKind("ErrUnknownAuctionTxType") // no handler for the transaction type
)
