package auction

import (
	"fmt"
	"slices"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// runDue processes every entry due at height, in scheduling order, and
// removes the height's list. Each entry is checked against the auction's
// current state, so an entry made stale (a payment that arrived, a
// delivery that was made) is skipped.
func (m *Machine) runDue(v *chain.View, height uint64, miner keys.Address) error {
	nk := key(prefixDueN, be64(height))
	n, err := v.GetUint64(nk)
	if err != nil || n == 0 {
		return err
	}
	for i := uint64(0); i < n; i++ {
		ek := key(prefixDue, be64(height), be32(uint32(i)))
		e, ok, err := v.Get(ek)
		if err != nil {
			return err
		}
		if !ok || len(e) != wire.HashSize+1 {
			return consensus.AssertError(fmt.Sprintf("due entry %d at height %d missing or malformed", i, height))
		}
		id, kind := wire.Hash(e[:wire.HashSize]), dueKind(e[wire.HashSize])
		v.Delete(ek)
		a, err := GetAuction(v, id)
		if err != nil {
			return err
		}
		if a == nil {
			return consensus.AssertError(fmt.Sprintf("due entry names unknown auction %s", id))
		}
		switch {
		case kind == dueClose && a.Status == StatusOpen && a.CloseHeight == height:
			err = m.settle(v, a, height, miner)
		case kind == duePayment && a.Status == StatusAwaitingPayment && a.PayDeadline == height:
			err = m.lapse(v, a, height, miner)
		case kind == dueDelivery && a.Status == StatusPaid && a.DeliveryDeadline == height:
			err = m.undelivered(v, a)
		default:
			continue
		}
		if err != nil {
			return err
		}
		putAuction(v, a)
	}
	v.Delete(nk)
	return nil
}

// settle closes an auction at its close height: unrevealed deposits are
// forfeited, revealed bids below reserve refunded, and the rest ranked
// (amount, then commit order) for assign.
func (m *Machine) settle(v *chain.View, a *Auction, height uint64, miner keys.Address) error {
	bids, err := BidsOfAuction(v, a)
	if err != nil {
		return err
	}
	var ranked []*Bid
	for _, b := range bids {
		switch {
		case b.Status == BidSealed && b.Full:
			if err := m.forfeitBond(v, a, b, miner); err != nil {
				return err
			}
		case b.Status == BidSealed:
			if err := m.forfeit(v, a, b, miner); err != nil {
				return err
			}
		case b.Status == BidRevealed && b.AmountPerPoint >= a.Terms.ReservePerPoint:
			ranked = append(ranked, b)
		case b.Status == BidRevealed:
			if err := refund(v, b); err != nil {
				return err
			}
		default:
			return consensus.AssertError(fmt.Sprintf("bid %d of open auction %s is %s", b.Index, a.ID, b.Status))
		}
	}
	slices.SortStableFunc(ranked, func(x, y *Bid) int {
		switch {
		case x.AmountPerPoint > y.AmountPerPoint:
			return -1
		case x.AmountPerPoint < y.AmountPerPoint:
			return 1
		}
		return 0
	})
	a.Ranking = make([]uint32, len(ranked))
	for i, b := range ranked {
		a.Ranking[i] = b.Index
	}
	return m.assign(v, a, 0, height, ranked)
}

// assign makes the bid at rank r the winner at its second price (the next
// ranked bid's amount, or the reserve). If its deposit covers the price,
// payment is taken at once (the excess refunded) and every lower-ranked
// deposit refunded; otherwise its payment window opens and lower-ranked
// deposits stay in escrow as the fallbacks. Past the last rank the
// auction ends without a sale. ranked may be nil (it is loaded).
func (m *Machine) assign(v *chain.View, a *Auction, r int, height uint64, ranked []*Bid) error {
	bidAt := func(i int) (*Bid, error) {
		if ranked != nil {
			return ranked[i], nil
		}
		return BidAt(v, a.ID, a.Ranking[i])
	}
	if r >= len(a.Ranking) {
		a.Status = StatusNoSale
		a.Winner = keys.Address{}
		a.PricePerPoint, a.Price = 0, 0
		return nil
	}
	w, err := bidAt(r)
	if err != nil {
		return err
	}
	pp := a.Terms.ReservePerPoint
	if r+1 < len(a.Ranking) {
		next, err := bidAt(r + 1)
		if err != nil {
			return err
		}
		pp = next.AmountPerPoint
	}
	price, err := totalPrice(pp, a.Terms.PointsPerPeriod)
	if err != nil {
		return err
	}
	a.WinnerRank, a.Winner, a.PricePerPoint, a.Price = uint32(r), w.Bidder, pp, price
	if w.Full && w.Deposit < price {
		return consensus.AssertError(fmt.Sprintf("full-deposit bid %d of auction %s holds %d, less than the price %d", w.Index, a.ID, w.Deposit, price))
	}
	if w.Deposit < price {
		a.Status = StatusAwaitingPayment
		a.PayDeadline = height + m.p.PaymentBlocks
		return schedule(v, a.PayDeadline, a.ID, duePayment)
	}
	if err := release(v, w.Bidder, w.Deposit-price); err != nil {
		return err
	}
	w.Deposit, w.Status = 0, BidWon
	putBid(v, w)
	return m.markPaid(v, a, height)
}

// markPaid records that the price is in escrow, starts the delivery
// deadline and refunds the fallback bids ranked below the winner.
func (m *Machine) markPaid(v *chain.View, a *Auction, height uint64) error {
	a.Status = StatusPaid
	a.DeliveryDeadline = height + m.p.DeliveryBlocks
	if err := schedule(v, a.DeliveryDeadline, a.ID, dueDelivery); err != nil {
		return err
	}
	for r := int(a.WinnerRank) + 1; r < len(a.Ranking); r++ {
		b, err := BidAt(v, a.ID, a.Ranking[r])
		if err != nil {
			return err
		}
		if err := refund(v, b); err != nil {
			return err
		}
	}
	return nil
}

// lapse ends a winner's payment window: its bond is forfeited and the
// next-ranked bid wins at its own second price.
func (m *Machine) lapse(v *chain.View, a *Auction, height uint64, miner keys.Address) error {
	w, err := BidAt(v, a.ID, a.Ranking[a.WinnerRank])
	if err != nil {
		return err
	}
	if err := m.forfeit(v, a, w, miner); err != nil {
		return err
	}
	return m.assign(v, a, int(a.WinnerRank)+1, height, nil)
}

// undelivered refunds the winner of an auction whose device missed the
// delivery deadline and records a strike against the device.
func (m *Machine) undelivered(v *chain.View, a *Auction) error {
	if err := release(v, a.Winner, a.Price); err != nil {
		return err
	}
	if err := addU64(v, key(prefixStrike, a.Device[:]), 1); err != nil {
		return err
	}
	a.Status = StatusUndelivered
	return nil
}

// forfeit splits a bid's deposit between the owner (ForfeitOwnerPermille)
// and the miner of the block.
func (m *Machine) forfeit(v *chain.View, a *Auction, b *Bid, miner keys.Address) error {
	owner := mulDivPermille(b.Deposit, m.p.ForfeitOwnerPermille)
	if err := release(v, a.Owner, owner); err != nil {
		return err
	}
	if err := release(v, miner, b.Deposit-owner); err != nil {
		return err
	}
	b.Deposit, b.Status = 0, BidForfeited
	putBid(v, b)
	return nil
}

// forfeitBond settles an unrevealed full-deposit bid: the bond share of
// its deposit (⌈BondPermille × deposit / 1000⌉, at least what a bond-only
// bid of the same total would have lost) is forfeited like a bond-only
// deposit, the rest refunded.
func (m *Machine) forfeitBond(v *chain.View, a *Auction, b *Bid, miner keys.Address) error {
	bond := min(bondOf(b.Deposit, m.p.BondPermille), b.Deposit)
	if err := release(v, b.Bidder, b.Deposit-bond); err != nil {
		return err
	}
	b.Deposit = bond
	return m.forfeit(v, a, b, miner)
}

func refund(v *chain.View, b *Bid) error {
	if err := release(v, b.Bidder, b.Deposit); err != nil {
		return err
	}
	b.Deposit, b.Status = 0, BidRefunded
	putBid(v, b)
	return nil
}
