package auction

import (
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/registry"
)

// Metadata is the auction chain's read-only view of the metadata chain.
// Implementations must be safe for concurrent use. Everything an auction
// block's validity depends on is read by the anchored block's hash, on
// that block's own branch, never "whatever is at that height here".
type Metadata interface {
	// BlockAt reports the metadata main-chain block at height: its hash and
	// the reward address of its miner. ok=false when this node does not
	// (yet) have a main-chain block at that height. Only miners use it
	// (ChooseAnchor); validation goes by hash.
	BlockAt(height uint64) (hash wire.Hash, reward keys.Address, ok bool, err error)
	// TipHeight is this node's metadata main-chain height.
	TipHeight() uint64
	// Block reports what this node knows of the metadata block hash;
	// ok=false when it has never seen it.
	Block(hash wire.Hash) (info MetaBlock, ok bool, err error)
	// AncestorAt is the block at height on hash's own branch (hash itself
	// at its own height) and its miner's reward address; ok=false when
	// hash is unknown or below height.
	AncestorAt(hash wire.Hash, height uint64) (ancestor wire.Hash, reward keys.Address, ok bool, err error)
	// DeviceAt is the device as the metadata state had it right after the
	// anchored block: ok=false if it did not exist then. When that block
	// is not on the metadata main chain at the moment of the read (its
	// state cannot be read cheaply), the error wraps ErrAnchorPending.
	DeviceAt(device keys.PubKey, at wire.Anchor) (info DeviceInfo, ok bool, err error)
}

// MetaBlock is what this node knows of one metadata block.
type MetaBlock struct {
	Height    uint64
	HaveData  bool   // the full block is stored
	Invalid   bool   // it (or an ancestor) breaks the metadata chain's rules
	MainChain bool   // on this node's metadata main chain
	Depth     uint64 // main-chain tip height minus Height (MainChain only)
}

// Terms are a device owner's terms of sale, as the metadata chain records
// them (registry.Terms): reserve price per data point in base units, data
// points per access period, and the access period in seconds.
type Terms = registry.Terms

// DeviceInfo is what the auction chain needs of a device record.
type DeviceInfo struct {
	Owner       keys.Address // receives the proceeds
	Auctionable bool         // attested by a non-revoked OEM and enabled by its owner
	Terms       Terms
}
