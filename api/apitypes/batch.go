package apitypes

import "github.com/thingchain/thingchain/chain/wire"

// Batched reads for clients that act for many devices at once (a device
// simulator, an OEM's gateway): one call per block for all of them, not
// one per device.

// MaxDevicesPerCall bounds the device list of a batched read.
const MaxDevicesPerCall = 1000

// DevicesParams names up to MaxDevicesPerCall devices by their keys
// (hex): registry.devicesByKey, auction.awaitingDelivery.
type DevicesParams struct {
	Devices []string `json:"devices"`
}

// AwaitingDelivery is a paid auction whose device has not delivered the
// access key yet, with what the device needs to deliver it
// (auction.awaitingDelivery).
type AwaitingDelivery struct {
	Auction          wire.Hash `json:"auction"`
	Device           string    `json:"device"`     // hex public key
	Seq              uint64    `json:"seq"`        // the device's auction number
	Winner           string    `json:"winner"`     // address
	WinnerKey        string    `json:"winner_key"` // hex public key the access key is encrypted to
	Price            uint64    `json:"price"`
	DeliveryDeadline uint64    `json:"delivery_deadline"` // last height a delivery is accepted
	Height           uint64    `json:"height"`            // auction-chain tip the answer was read at
}

// MaxAuctionsPerCall bounds the auction list of auction.getMany.
const MaxAuctionsPerCall = 1000

// AuctionsParams names up to MaxAuctionsPerCall auctions by id, and
// optionally the bidder whose own bid each entry carries
// (auction.getMany).
type AuctionsParams struct {
	IDs    []wire.Hash `json:"ids"`
	Bidder string      `json:"bidder,omitempty"` // address
}
