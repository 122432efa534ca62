package chain

import (
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// StateMachine gives a chain its meaning. The engine calls it with the
// chain lock held; it must be deterministic and must touch state only
// through the View it is given.
type StateMachine interface {
	// Genesis writes the initial state (allocations, authorities) into view.
	Genesis(view *View) error
	// CheckTxSanity runs the context-free checks of one transaction's type
	// and payload. The envelope (chain ID, signature) is already checked.
	// Errors should be consensus.RuleError values.
	CheckTxSanity(tx *wire.Tx) error
	// ApplyTx applies one transaction. On error the engine rolls the view
	// back to before the call, so a state machine need not clean up.
	ApplyTx(view *View, tx *wire.Tx, ctx *BlockContext) error
	// FinishBlock applies the block's own effects (fees to the miner,
	// settlements due at this height) after its transactions.
	FinishBlock(view *View, blk *wire.Block, ctx *BlockContext) error
}

// BlockContext is what a state machine may know about the block it applies
// besides its transactions.
type BlockContext struct {
	Params *consensus.ChainParams
	Net    *consensus.Params
	Height uint64
	Time   int64 // block timestamp, Unix ms
	Header *wire.Header
}

// SignatureLister is implemented by a StateMachine whose transactions
// carry signatures besides the envelope's (the metadata chain's check-in
// owner signature). Block validation verifies them with the envelope
// signatures of the whole block in one parallel batch (keys.VerifyBatch
// through the shared signature cache) before CheckTxSanity runs, so the
// machine's own VerifyCached calls find them cached.
type SignatureLister interface {
	// TxSignatures lists tx's signatures other than the envelope's: nil
	// when it has none or its payload does not decode (CheckTxSanity then
	// says what is wrong). Listing a signature the rules do not require
	// costs time, never validity: a failed one is reported through
	// CheckTxSanity's own error.
	TxSignatures(tx *wire.Tx) []keys.VerifyJob
}

// ConcurrentApplier is implemented by a StateMachine some of whose
// transactions may be applied at the same time on separate Views (the
// engine then executes a block's transactions optimistically on all cores
// and validates them in block order; parallelapply.go). The result is
// always exactly that of applying the block in order.
type ConcurrentApplier interface {
	// ApplyConcurrently reports whether ApplyTx for tx depends on nothing
	// but the values it reads through its View and touches nothing else
	// (no other chain, no cache of its own), so that it may run on another
	// goroutine, concurrently with other such calls.
	ApplyConcurrently(tx *wire.Tx) bool
}
