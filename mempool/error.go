package mempool

import "errors"

// Policy errors: the transaction may be valid, but this pool will not hold
// it. Rule violations come back as consensus.RuleError from the chain.
var (
	ErrAlreadyKnown            = errors.New("transaction already in the pool")
	ErrFeeTooLow               = errors.New("fee rate below this node's minimum")
	ErrReplacementUnderpriced  = errors.New("a transaction with this nonce is pending; a replacement needs a fee rate at least 10% higher")
	ErrPoolFull                = errors.New("pool is full of transactions paying a higher fee rate")
	ErrSenderLimit             = errors.New("sender has too many pending transactions")
	ErrNonceTooFarAhead        = errors.New("nonce too far beyond the sender's next nonce")
)
