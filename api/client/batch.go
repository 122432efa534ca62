package client

import (
	"context"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/chain/keys"
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
