// Package mempool holds the valid transactions of one chain that are not
// yet in a block, and hands block templates the best of them.
//
// It validates fully before accepting (context-free checks and the
// signature through the chain's shared cache, then the transaction applied
// on the tip state after the sender's earlier pending ones), sequences each
// sender's transactions by nonce (a transaction after a gap is held, not
// lost, and released when the gap fills), replaces a pending transaction by
// one with the same nonce and a fee rate at least 10% higher, evicts the
// lowest fee rate when full, expires old transactions, and follows the chain:
// transactions of connected blocks leave, transactions of disconnected
// blocks come back.
//
// mempool must not import the ledger, the network or the API: what it needs
// of the chain is the small ChainView interface and a StateNonce function.
package mempool
