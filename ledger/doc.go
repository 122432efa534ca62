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
// Block fees go to the block's reward address (header.Reward) through a
// FeePayer; SetFeePayer is the hook for the metadata miners' share of
// auction fees (design §3).
//
// Genesis credits consensus.Params.Allocations and, on test networks, the
// faucet: a well-known key, SHA-256("thingchain <network> faucet"), holding
// FaucetAllocation (FaucetKey; main has none). Main allocates 100,000,000
// THG to a placeholder consortium treasury whose address is
// SHA-256("thingchain main consortium treasury (placeholder)")[:20], with no
// key behind it, until the consortium names the real one. The genesis
// total is stored as the supply; every later change moves coin and never
// creates it, so the balances always sum to Supply.
//
// State: "acct/" + 20-byte address → balance | nonce (16 bytes, big-endian;
// empty accounts are deleted), and "supply" → uint64.
//
// Amounts are uint64 base units; 1 THG = 100,000,000 units. All arithmetic
// is overflow-checked (ErrOverflow).
//
// What clients need without the engine (the amount syntax, the transfer
// payload and builder, the error kinds) lives in the engine-free
// subpackage ledgertx; ledgertx_aliases.go re-exports it here under the
// same names.
package ledger
