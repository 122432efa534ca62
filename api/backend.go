package api

import (
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Pool is what the API needs of a chain's mempool.
type Pool interface {
	// Submit validates and adds a transaction; errors say why it was refused.
	Submit(tx *wire.Tx) error
	// Lookup finds a pending transaction.
	Lookup(id wire.Hash) (*wire.Tx, bool)
	// PendingTxs lists pending transactions, best first, up to limit.
	PendingTxs(limit int) []*wire.Tx
	// Size is the number of pending transactions and their bytes.
	Size() (count, bytes int)
	// PendingNonce is the next nonce a sender should use, counting its
	// pending transactions.
	PendingNonce(sender keys.PubKey) (uint64, bool)
	// OnNewTx registers a hook for transactions entering the pool.
	OnNewTx(func(*wire.Tx))
}

// Account is an auction-chain account as the API shows it.
type Account struct {
	Address      string `json:"address"`
	Balance      uint64 `json:"balance"`
	Nonce        uint64 `json:"nonce"`
	PendingNonce uint64 `json:"pending_nonce"`
}

// Backend is the node as the API sees it.
type Backend struct {
	Net    *consensus.Params
	Chains map[consensus.ChainKind]*chain.Chain
	Pools  map[consensus.ChainKind]Pool
	// Account reads an account's committed balance and nonce.
	Account func(addr keys.Address) (balance, nonce uint64, err error)
	// Faucet, on test networks, sends amount to addr and returns the txid.
	Faucet func(addr keys.Address, amount uint64) (wire.Hash, error)
	// Generate mines n blocks on a chain now (regtest).
	Generate func(kind consensus.ChainKind, n int) ([]wire.Hash, error)
	// NodeInfo describes the node (peers, version, addresses).
	NodeInfo func() any
	// Peers lists connected peers (admin).
	Peers func() any
}
