// Package ledgertx owns the client side of the ledger: the coin unit
// (Coin) and the one amount syntax every command and client accepts
// (ParseAmount, FormatAmount), the transfer payload (Transfer, its
// canonical encoding and TxTransfer), the transfer builder (NewTransfer)
// and the ledger's rule error kinds, which clients match by name in
// error.data.kind.
//
// It is what a wallet or a device needs to build and read ledger
// transactions without the node: it must not import the chain engine
// (thingchain/chain), Badger, the mempool, p2p, the API server or the
// node, and must not read or write state. Only chain/keys, chain/wire and
// consensus are allowed. The state machine that applies transfers, the
// accounts and fees stay in package ledger, which re-exports these names
// (ledgertx_aliases.go) so engine code keeps them.
package ledgertx
