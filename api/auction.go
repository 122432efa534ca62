package api

import (
	"context"
	"errors"
	"github.com/thingchain/thingchain/api/apitypes"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/consensus"
)

func (s *Service) readAuctions(fn func(v *chain.View, tip chain.TipInfo) error) error {
	c := s.b.Chains[consensus.AuctionChain]
	if c == nil {
		return errors.New("this node has no auction chain")
	}
	return c.ReadState(fn)
}

func (s *Service) auctionView(v *chain.View, a *auction.Auction, height uint64, withBids bool) (AuctionView, error) {
	hrp := s.b.Net.AddressHRP
	out := AuctionView{Auction: auctionJSON(a, hrp), Phase: a.Phase(height + 1), Height: height}
	if withBids {
		bids, err := auction.BidsOfAuction(v, a)
		if err != nil {
			return out, err
		}
		for _, b := range bids {
			out.BidList = append(out.BidList, bidJSON(b, hrp))
		}
	}
	d, err := auction.GetDelivery(v, a.ID)
	out.Delivery = deliveryJSON(d, hrp)
	return out, err
}

// GetAuction returns an auction with its bids and delivery, or null.
func (s *Service) GetAuction(_ context.Context, p AuctionIDParams) (*AuctionView, error) {
	var out *AuctionView
	err := s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		a, err := auction.GetAuction(v, p.ID)
		if err != nil || a == nil {
			return err
		}
		av, err := s.auctionView(v, a, tip.Height, true)
		out = &av
		return err
	})
	return out, err
}

// AuctionsOfDevice lists a device's auctions, oldest first.
func (s *Service) AuctionsOfDevice(_ context.Context, p DeviceParams) ([]AuctionView, error) {
	dev, err := parsePubKeyParam("device", p.Device)
	if err != nil {
		return nil, err
	}
	out := []AuctionView{}
	err = s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		list, err := auction.AuctionsOfDevice(v, dev)
		if err != nil {
			return err
		}
		for _, a := range list {
			av, err := s.auctionView(v, a, tip.Height, false)
			if err != nil {
				return err
			}
			out = append(out, av)
		}
		return nil
	})
	return out, err
}

// AuctionsOfBidder lists the auctions an address bid in, oldest first.
func (s *Service) AuctionsOfBidder(_ context.Context, p AddressParams) ([]BidderAuction, error) {
	addr, err := s.address(p.Address)
	if err != nil {
		return nil, err
	}
	out := []BidderAuction{}
	err = s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		ids, err := auction.BidsOfBidder(v, addr)
		if err != nil {
			return err
		}
		for _, id := range ids {
			a, err := auction.GetAuction(v, id)
			if err != nil || a == nil {
				return err
			}
			av, err := s.auctionView(v, a, tip.Height, false)
			if err != nil {
				return err
			}
			bid, err := auction.GetBid(v, id, addr)
			if err != nil {
				return err
			}
			out = append(out, BidderAuction{AuctionView: av, Bid: bidJSON(bid, s.b.Net.AddressHRP)})
		}
		return nil
	})
	return out, err
}

// NextAuction tells a bidder which auction a bid on a device would join
// (or open) now, and on what terms.
func (s *Service) NextAuction(_ context.Context, p DeviceParams) (NextAuctionResult, error) {
	dev, err := parsePubKeyParam("device", p.Device)
	if err != nil {
		return NextAuctionResult{}, err
	}
	out := NextAuctionResult{Device: p.Device, BondPermille: s.b.Net.Auctions.BondPermille}
	err = s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		var open, ok bool
		var err error
		out.Seq, open, ok, err = auction.NextAuction(v, dev, tip.Height+1)
		if err != nil {
			return err
		}
		if out.Strikes, err = auction.Strikes(v, dev); err != nil {
			return err
		}
		out.ID = auction.AuctionID(dev, out.Seq)
		if !ok {
			out.Reason = "an auction of this device is in its reveal phase"
			return nil
		}
		if open {
			a, err := auction.GetAuction(v, out.ID)
			if err != nil || a == nil {
				return err
			}
			out.Biddable, out.Terms = true, termsJSON(a.Terms)
			return nil
		}
		out.Opens = true
		anchor, err := auction.LastAnchor(v)
		if err != nil {
			return err
		}
		if s.b.DeviceAt == nil {
			return errors.New("this node cannot read the metadata chain")
		}
		info, found, err := s.b.DeviceAt(dev, anchor.Height)
		if err != nil {
			return err
		}
		switch {
		case !found:
			out.Reason = "the device is not attested at the anchored metadata height"
		case !info.Auctionable:
			out.Reason = "the device is not enabled (or its OEM is revoked) at the anchored metadata height"
		default:
			out.Biddable, out.Terms = true, termsJSON(info.Terms)
		}
		return nil
	})
	return out, err
}

// GetAuctionInfo returns escrow, the metadata miners' pool, the anchor
// and the auction parameters.
func (s *Service) GetAuctionInfo(context.Context) (AuctionInfo, error) {
	out := AuctionInfo{Params: auctionParamsJSON(s.b.Net.Auctions)}
	err := s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		var err error
		out.Height = tip.Height
		if out.Escrow, err = auction.Escrow(v); err != nil {
			return err
		}
		if out.MetadataPool, err = auction.MetadataPool(v); err != nil {
			return err
		}
		anchor, err := auction.LastAnchor(v)
		out.Anchor = apitypes.Anchor{Height: anchor.Height, Hash: anchor.Hash}
		return err
	})
	return out, err
}
