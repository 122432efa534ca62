package client

import (
	"context"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

func deviceKeys(devices []keys.PubKey) apitypes.DevicesParams {
	p := apitypes.DevicesParams{Devices: make([]string, len(devices))}
	for i, d := range devices {
		p.Devices[i] = d.String()
	}
	return p
}

// DevicesByKey returns the records of up to apitypes.MaxDevicesPerCall
// devices in the order asked, nil for a key never attested
// (registry.devicesByKey).
func (c *Client) DevicesByKey(ctx context.Context, devices []keys.PubKey) ([]*apitypes.Device, error) {
	var out []*apitypes.Device
	return out, c.c.Call(ctx, "registry.devicesByKey", deviceKeys(devices), &out)
}

// AwaitingDelivery lists the paid, undelivered auctions of up to
// apitypes.MaxDevicesPerCall devices (auction.awaitingDelivery).
func (c *Client) AwaitingDelivery(ctx context.Context, devices []keys.PubKey) ([]apitypes.AwaitingDelivery, error) {
	var out []apitypes.AwaitingDelivery
	return out, c.c.Call(ctx, "auction.awaitingDelivery", deviceKeys(devices), &out)
}

// AuctionsOf returns up to apitypes.MaxAuctionsPerCall auctions in the
// order asked, nil for an unknown id, each with bidder's own bid when
// bidder (an address) is not empty (auction.getMany).
func (c *Client) AuctionsOf(ctx context.Context, ids []wire.Hash, bidder string) ([]*apitypes.BidderAuction, error) {
	var out []*apitypes.BidderAuction
	return out, c.c.Call(ctx, "auction.getMany", apitypes.AuctionsParams{IDs: ids, Bidder: bidder}, &out)
}

// NextAuctions is NextAuction for up to apitypes.MaxDevicesPerCall
// devices (hex keys), in the order asked (auction.nextMany).
func (c *Client) NextAuctions(ctx context.Context, devices []string) ([]apitypes.NextAuctionResult, error) {
	var out []apitypes.NextAuctionResult
	return out, c.c.Call(ctx, "auction.nextMany", apitypes.DevicesParams{Devices: devices}, &out)
}
