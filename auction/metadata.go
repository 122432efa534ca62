package auction

import (
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/registry"
)

// Metadata is the auction chain's read-only view of the metadata chain.
// Implementations must be safe for concurrent use and deterministic for
// heights at or below an anchored block.
type Metadata interface {
	// BlockAt reports the metadata main-chain block at height: its hash and
	// the reward address of its miner. ok=false when this node does not
	// (yet) have a main-chain block at that height.
	BlockAt(height uint64) (hash wire.Hash, reward keys.Address, ok bool, err error)
	// TipHeight is this node's metadata main-chain height.
	TipHeight() uint64
	// DeviceAt is the device as the metadata state had it right after the
	// block at height: ok=false if it did not exist then.
	DeviceAt(device keys.PubKey, height uint64) (info DeviceInfo, ok bool, err error)
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
