package api

import (
	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/mempool"
)

// Pool is what the API needs of a chain's mempool (*mempool.Pool).
type Pool interface {
	Add(tx *wire.Tx) error
	// SubmitBatch is Add for many transactions: errors index for index.
	SubmitBatch(txs []*wire.Tx) ([]mempool.AddResult, []error)
	Get(id wire.Hash) (*wire.Tx, bool)
	Candidates(maxBytes int) []*wire.Tx
	Stats() mempool.Stats
	PendingNonce(sender keys.PubKey) (uint64, bool)
}

var _ Pool = (*mempool.Pool)(nil)

// Backend is the node as the API sees it.
type Backend struct {
	Net    *consensus.Params
	Chains map[consensus.ChainKind]*chain.Chain
	Pools  map[consensus.ChainKind]Pool
	// StateNonce is a sender's next nonce in a chain's committed tip state.
	StateNonce func(kind consensus.ChainKind, sender keys.PubKey) (uint64, error)
	// Registry reads the metadata chain's records and query index.
	Registry Registry
	// DeviceAt is the auction chain's view of a device at a metadata height.
	DeviceAt func(device keys.PubKey, height uint64) (auction.DeviceInfo, bool, error)
	// Account reads an account's committed balance and nonce.
	Account func(addr keys.Address) (balance, nonce uint64, err error)
	// Faucet, on test networks, sends amount to addr and returns the txid.
	Faucet func(addr keys.Address, amount uint64) (wire.Hash, error)
	// Generate mines n blocks on a chain now (regtest).
	Generate func(kind consensus.ChainKind, n int) ([]wire.Hash, error)
	// DescribeTransfer reports a transaction's recipient and amount when it
	// is a transfer.
	DescribeTransfer func(tx *wire.Tx) (to keys.Address, amount uint64, ok bool)
	// NodeInfo describes the node (version, addresses, peers).
	NodeInfo func() any
	// Sync reports a chain's sync with its peers; nil for a node without
	// a network.
	Sync func(kind consensus.ChainKind) apitypes.SyncProgress
}
