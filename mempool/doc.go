// Package mempool holds the valid transactions of one chain that are not
// yet in a block, and hands block templates the best of them. The node
// runs one Pool per chain.
//
// Submit validates fully before accepting: the context-free checks and the
// signature (through the chain's shared signature cache, so block import
// does not verify the transaction again), outside the pool's lock, then
// per-sender nonce sequencing, then the state check: the new transaction
// applied on the tip state after the sender's pending run. The pool keeps
// a per-sender pending-state cache (pendingstate.go: the state after the
// sender's run, on one snapshot of the tip, chain.TipState), so a
// transaction that extends the run is applied alone instead of replaying
// the run; the cache is dropped when the tip moves. SubmitBatch takes many
// transactions at once (a peer's or a client's batch): context-free checks
// on every core and signatures in parallel batches (keys.VerifyBatch),
// overlapping the stateful checks of the previous chunk.
//
// Policies, each refused with a PolicyError of its own kind (error.go):
//   - Nonces: a transaction after a nonce gap (at most MaxNonceGap ahead)
//     is held, not lost, and checked against state when the gap fills; if
//     it no longer applies then it leaves.
//   - Replacement: a transaction with a pending nonce replaces it only with
//     a fee at least 10% (and one unit) higher and a fee rate no lower;
//     later transactions of the sender the replacement leaves invalid leave.
//   - Room: MaxBytes in total; when full, the lowest fee-rate sender tails
//     (highest nonces, so nothing is stranded) are evicted, never for a
//     transaction paying no more than them (ErrPoolFull). MaxPerSender
//     bounds one sender.
//   - Expiry: after TxTTL, or once the next block's height is past the
//     transaction's Expiry height; swept by Expire (on a timer, after each
//     chain change, and at most once a second from Submit).
//   - Fee floor: MinFeeRate base units per encoded byte (ErrFeeTooLow);
//     CheckRelayFee asks it alone, for the network's gossip validator.
//
// Save writes the pool to a file (atomic, checksummed) and Load offers a
// saved pool to a new one with full validation, dropping what no longer
// applies, so pending transactions survive a restart or a crash (the node
// saves periodically and on shutdown).
//
// The pool follows its chain (one subscription, Lotus-style revert/apply
// lists): transactions of connected blocks leave, transactions of
// disconnected blocks come back through full validation, and every sender
// a block touched has its pending run applied again, which releases held
// transactions whose gap the block filled.
//
// mempool must not import the ledger, the network or the API: what it
// needs of the chain is the small ChainView interface and a StateNonce
// function.
package mempool
