package api

import (
	"context"
	"errors"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// AuctionView is one auction with its bids and delivery, as of the tip.
type AuctionView struct {
	*auction.Auction
	Phase    string            `json:"phase"`
	Height   uint64            `json:"height"` // auction-chain tip the view was read at
	BidList  []*auction.Bid    `json:"bid_list,omitempty"`
	Delivery *auction.Delivery `json:"delivery,omitempty"`
}

func (s *Service) readAuctions(fn func(v *chain.View, tip chain.TipInfo) error) error {
	c := s.b.Chains[consensus.AuctionChain]
	if c == nil {
		return errors.New("this node has no auction chain")
	}
	return c.ReadState(fn)
}

func auctionView(v *chain.View, a *auction.Auction, height uint64, withBids bool) (AuctionView, error) {
	out := AuctionView{Auction: a, Phase: a.Phase(height + 1), Height: height}
	var err error
	if withBids {
		if out.BidList, err = auction.BidsOfAuction(v, a); err != nil {
			return out, err
		}
	}
	out.Delivery, err = auction.GetDelivery(v, a.ID)
	return out, err
}

// AuctionIDParams names an auction.
type AuctionIDParams struct {
	ID wire.Hash `json:"id"`
}

// GetAuction returns an auction with its bids and delivery, or null.
func (s *Service) GetAuction(_ context.Context, p AuctionIDParams) (*AuctionView, error) {
	var out *AuctionView
	err := s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		a, err := auction.GetAuction(v, p.ID)
		if err != nil || a == nil {
			return err
		}
		av, err := auctionView(v, a, tip.Height, true)
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
			av, err := auctionView(v, a, tip.Height, false)
			if err != nil {
				return err
			}
			out = append(out, av)
		}
		return nil
	})
	return out, err
}

// BidderAuction is an auction a bidder took part in, with the bidder's bid.
type BidderAuction struct {
	AuctionView
	Bid *auction.Bid `json:"bid"`
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
			av, err := auctionView(v, a, tip.Height, false)
			if err != nil {
				return err
			}
			bid, err := auction.GetBid(v, id, addr)
			if err != nil {
				return err
			}
			out = append(out, BidderAuction{AuctionView: av, Bid: bid})
		}
		return nil
	})
	return out, err
}

// NextAuctionResult says where a bid on a device would go.
type NextAuctionResult struct {
	Device string `json:"device"`
	// Biddable is false while an auction of the device is in its reveal
	// phase (no bid possible until it closes) or when the device is not
	// auctionable at the tip's anchor.
	Biddable bool      `json:"biddable"`
	Reason   string    `json:"reason,omitempty"`
	Seq      uint64    `json:"seq"`
	ID       wire.Hash `json:"id"`
	// Opens is true when the bid opens a new auction on the anchored terms.
	Opens bool          `json:"opens"`
	Terms auction.Terms `json:"terms"`
	// MinDepositPerPoint: a bid of B per point needs a deposit of at
	// least ceil(B × points × bond).
	BondPermille uint64 `json:"bond_permille"`
	Strikes      uint64 `json:"strikes"`
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
			out.Biddable, out.Terms = true, a.Terms
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
			out.Biddable, out.Terms = true, info.Terms
		}
		return nil
	})
	return out, err
}

// AuctionInfo summarises the auction chain's market.
type AuctionInfo struct {
	Height       uint64                  `json:"height"`
	Escrow       uint64                  `json:"escrow"`
	MetadataPool uint64                  `json:"metadata_pool"`
	Anchor       wire.Anchor             `json:"anchor"`
	Params       consensus.AuctionParams `json:"params"`
}

// GetAuctionInfo returns escrow, the metadata miners' pool, the anchor
// and the auction parameters.
func (s *Service) GetAuctionInfo(context.Context) (AuctionInfo, error) {
	out := AuctionInfo{Params: s.b.Net.Auctions}
	err := s.readAuctions(func(v *chain.View, tip chain.TipInfo) error {
		var err error
		out.Height = tip.Height
		if out.Escrow, err = auction.Escrow(v); err != nil {
			return err
		}
		if out.MetadataPool, err = auction.MetadataPool(v); err != nil {
			return err
		}
		out.Anchor, err = auction.LastAnchor(v)
		return err
	})
	return out, err
}
