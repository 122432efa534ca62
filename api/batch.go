package api

import (
	"context"
	"fmt"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/registry"
)

// Batched reads for clients that act for many devices at once (device
// simulators, a gateway of an OEM): one call per block for all of them,
// not one per device.

// MaxDevicesPerCall bounds the device list of a batched read.
const MaxDevicesPerCall = apitypes.MaxDevicesPerCall

type (
	DevicesParams    = apitypes.DevicesParams
	AwaitingDelivery = apitypes.AwaitingDelivery
)

func parseDevices(p DevicesParams) ([]keys.PubKey, error) {
	if len(p.Devices) == 0 {
		return nil, invalid("devices: give at least one device key (hex)")
	}
	if len(p.Devices) > MaxDevicesPerCall {
		return nil, invalid("devices: %d keys, at most %d per call", len(p.Devices), MaxDevicesPerCall)
	}
	out := make([]keys.PubKey, len(p.Devices))
	for i, s := range p.Devices {
		pk, err := parsePubKeyParam(fmt.Sprintf("devices[%d]", i), s)
		if err != nil {
			return nil, err
		}
		out[i] = pk
	}
	return out, nil
}

// GetDevices returns the records of several devices, in the order asked,
// null for a key never attested (registry.device for many devices).
func (s *Service) GetDevices(_ context.Context, p DevicesParams) ([]*apitypes.Device, error) {
	if s.b.Registry == nil {
		return nil, errNoRegistry
	}
	devs, err := parseDevices(p)
	if err != nil {
		return nil, err
	}
	recs := make([]*registry.Device, len(devs))
	var found []*registry.Device
	for i, d := range devs {
		if recs[i], err = s.b.Registry.Device(d); err != nil {
			return nil, err
		}
		if recs[i] != nil {
			found = append(found, recs[i])
		}
	}
	if err := s.withStrikes(found); err != nil {
		return nil, err
	}
	out := make([]*apitypes.Device, len(recs))
	for i, rec := range recs {
		if rec != nil {
			out[i] = deviceJSON(rec)
		}
	}
	return out, nil
}

// AwaitingDeliveryOf lists, for several devices at once, every auction
// that is paid (status awaiting_delivery) and whose delivery deadline has
// not passed: what a device agent must deliver now. Devices with nothing
// to deliver contribute nothing; the list is in the order of the devices
// asked, then by auction number.
func (s *Service) AwaitingDeliveryOf(_ context.Context, p DevicesParams) ([]AwaitingDelivery, error) {
	devs, err := parseDevices(p)
	if err != nil {
		return nil, err
	}
	out := []AwaitingDelivery{}
	ap := s.b.Net.Auctions
	err = s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		next := tip.Height + 1
		for _, dev := range devs {
			n, err := auction.AuctionCount(v, dev)
			if err != nil {
				return err
			}
			var found []AwaitingDelivery
			// Newest first; an auction that closed longer ago than every
			// payment window of its bidders plus the delivery window has
			// been paid out or refunded, and so have all before it.
			for seq := n; seq > 0; seq-- {
				a, err := auction.GetAuction(v, auction.AuctionID(dev, seq-1))
				if err != nil {
					return err
				}
				if a == nil {
					break
				}
				if a.Status == auction.StatusPaid && next <= a.DeliveryDeadline {
					if d, err := auction.GetDelivery(v, a.ID); err != nil {
						return err
					} else if d == nil {
						w, err := auction.GetBid(v, a.ID, a.Winner)
						if err != nil {
							return err
						}
						if w != nil {
							found = append(found, AwaitingDelivery{Auction: a.ID, Device: pubKeyHex(dev), Seq: a.Seq,
								Winner: addressText(a.Winner, s.b.Net.AddressHRP), WinnerKey: pubKeyHex(w.BidderKey),
								Price: a.Price, DeliveryDeadline: a.DeliveryDeadline, Height: tip.Height})
						}
					}
				}
				window := ap.PaymentBlocks*(uint64(a.Bids)+1) + ap.DeliveryBlocks
				if a.Status != auction.StatusOpen && a.CloseHeight+window < next {
					break
				}
			}
			for i := len(found) - 1; i >= 0; i-- {
				out = append(out, found[i])
			}
		}
		return nil
	})
	return out, err
}

// AuctionsParams names auctions for auction.getMany.
type AuctionsParams = apitypes.AuctionsParams

// GetAuctions returns several auctions at once, in the order asked, null
// for an id that names no auction: each with its phase and key delivery
// as of the tip and, when a bidder is given, that bidder's own bid (null
// if it has none), but not the other bids. It is how a wallet follows its
// open bids: one call per new block for the auctions whose stage may have
// changed, not one auction.get per bid nor its whole auction.ofBidder
// history.
func (s *Service) GetAuctions(_ context.Context, p AuctionsParams) ([]*BidderAuction, error) {
	if len(p.IDs) == 0 {
		return nil, invalid("ids: give at least one auction id (hex)")
	}
	if len(p.IDs) > apitypes.MaxAuctionsPerCall {
		return nil, invalid("ids: %d auctions, at most %d per call", len(p.IDs), apitypes.MaxAuctionsPerCall)
	}
	var bidder *keys.Address
	if p.Bidder != "" {
		addr, err := s.address(p.Bidder)
		if err != nil {
			return nil, err
		}
		bidder = &addr
	}
	out := make([]*BidderAuction, len(p.IDs))
	err := s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		for i, id := range p.IDs {
			a, err := auction.GetAuction(v, id)
			if err != nil {
				return err
			}
			if a == nil {
				continue
			}
			av, err := s.auctionView(v, a, tip.Height, false)
			if err != nil {
				return err
			}
			ba := &BidderAuction{AuctionView: av}
			if bidder != nil {
				bid, err := auction.GetBid(v, id, *bidder)
				if err != nil {
					return err
				}
				ba.Bid = bidJSON(bid, s.b.Net.AddressHRP)
			}
			out[i] = ba
		}
		return nil
	})
	return out, err
}

// NextAuctions is auction.next for several devices at once, in the order
// asked: which auction a bid on each would join or open now, and on what
// terms. A wallet bidding on many devices asks once, not once per device.
func (s *Service) NextAuctions(ctx context.Context, p DevicesParams) ([]NextAuctionResult, error) {
	devs, err := parseDevices(p)
	if err != nil {
		return nil, err
	}
	out := make([]NextAuctionResult, len(devs))
	for i, d := range devs {
		if out[i], err = s.NextAuction(ctx, DeviceParams{Device: pubKeyHex(d)}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
