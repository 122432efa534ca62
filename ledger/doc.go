// Package ledger owns the coin of the auction chain: accounts (balance and
// nonce), transfers, transaction fees paid to the miner of the block that
// includes them, genesis allocations and, on test networks, the faucet.
//
// Machine is a chain.StateMachine. It does the accounting common to every
// auction-chain transaction (nonce sequencing and fee payment) and then
// dispatches on the transaction type to a TxHandler; the transfer handler
// lives here and the auction package registers its own types with Handle.
// Account helpers (GetAccount, Credit, Debit) are exported for those
// handlers. ledger must not know what auctions are, and must not import
// the mempool, the network or the API.
//
// Amounts are uint64 base units; 1 THG = 100,000,000 units. All arithmetic
// is overflow-checked.
package ledger
