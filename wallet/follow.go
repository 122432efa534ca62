package wallet

import (
	"context"
	"fmt"
	"github.com/thingchain/thingchain/api/apitypes"
	"time"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/ledger/ledgertx"
)

// Following bids to their end: Progress reads where every unfinished bid
// of the book stands (one auction.ofBidder call), records final outcomes
// in the book, and Follow runs Watch (reveals, payments of bond-only
// wins) until every bid it follows has ended. Everything it needs is in
// the bid book and on chain, so a follower stopped at any moment (Ctrl-C,
// a crash, a reboot) resumes where it was: `thingchain wallet watch`.

// Outcome is how a bid ended, as the bid book records it.
type Outcome string

const (
	// OutcomeDelivered: won, paid, and the device delivered the access key.
	OutcomeDelivered Outcome = "key_delivered"
	// OutcomeLost: outbid, below the reserve, or the auction did not
	// sell to this bid; the whole deposit came back.
	OutcomeLost Outcome = "lost_refunded"
	// OutcomeUndelivered: won and paid, but the device missed its delivery
	// deadline; the price came back.
	OutcomeUndelivered Outcome = "undelivered_refunded"
	// OutcomeForfeited: the bid was not revealed in time, or a bond-only
	// win was not paid in its window; (part of) the deposit was forfeited.
	OutcomeForfeited Outcome = "forfeited"
	// OutcomeRejected: the node refused the commit, or it was not mined
	// in time; nothing was escrowed.
	OutcomeRejected Outcome = "rejected"
)

// BidProgress is where one saved bid stands.
type BidProgress struct {
	Auction wire.Hash `json:"auction"`
	Device  string    `json:"device"`
	Full    bool      `json:"full_deposit"`
	// Stage is a short machine-readable name: committing, committed,
	// revealing, revealed, payment_due, fallback, awaiting_key, or the
	// Outcome once the bid has ended.
	Stage string `json:"stage"`
	// Detail says the same for people, with heights and amounts.
	Detail  string  `json:"detail"`
	Outcome Outcome `json:"outcome,omitempty"`
	Done    bool    `json:"done"`
}

// Progress reports every saved bid of the book that has not ended (and,
// when only is non-nil, only the bids of those auctions), and records in
// the book the outcome of those that ended since the last call.
func (b *Bidder) Progress(ctx context.Context, client *rpc.Client, addr keys.Address, only map[wire.Hash]bool) ([]BidProgress, error) {
	saved, err := b.Book.Load()
	if err != nil {
		return nil, err
	}
	list, err := auctionsOfBidder(ctx, client, addr.Encode(b.Net.AddressHRP))
	if err != nil {
		return nil, err
	}
	chainView := make(map[wire.Hash]*apitypes.BidderAuction, len(list))
	for i := range list {
		chainView[list[i].ID] = &list[i]
	}
	var out []BidProgress
	ended := map[wire.Hash]Outcome{}
	for _, r := range saved {
		if only != nil && !only[r.Auction] {
			continue
		}
		if only == nil && r.Outcome != "" {
			continue
		}
		p := progressOf(&r, chainView[r.Auction], addr.Encode(b.Net.AddressHRP))
		if p.Done && r.Outcome == "" {
			ended[r.Auction] = p.Outcome
		}
		out = append(out, p)
	}
	if len(ended) > 0 {
		ids := make([]wire.Hash, 0, len(ended))
		for id := range ended {
			ids = append(ids, id)
		}
		if err := b.Book.Modify(ids, func(r *BidRecord) {
			if r.Outcome == "" {
				r.Outcome = ended[r.Auction]
			}
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// progressOf reads one saved bid's stage from the chain's view of its
// auction (nil while the commit has not landed).
func progressOf(r *BidRecord, a *apitypes.BidderAuction, addr string) BidProgress {
	p := BidProgress{Auction: r.Auction, Device: r.Device.String(), Full: r.Full}
	set := func(stage, format string, args ...any) {
		p.Stage, p.Detail = stage, fmt.Sprintf(format, args...)
	}
	end := func(o Outcome, format string, args ...any) {
		set(string(o), format, args...)
		p.Outcome, p.Done = o, true
	}
	if r.Outcome != "" {
		end(r.Outcome, "ended: %s", r.Outcome)
		return p
	}
	var bid *apitypes.Bid
	if a != nil {
		bid = bidOf(a, addr)
	}
	switch {
	case r.State == BidStateRejected:
		end(OutcomeRejected, "the node refused the commit: %s", r.Error)
		return p
	case bid == nil && r.State == BidStateLost:
		end(OutcomeRejected, "the commit was not mined in its auction's commit phase: nothing was escrowed")
		return p
	case bid == nil:
		set("committing", "commit transaction %s waits to be mined", short(r.CommitTx.String()))
		return p
	}
	switch bid.Status {
	case apitypes.BidSealed:
		if a.Phase == "commit" {
			set("committed", "sealed bid on chain; reveal phase from height %d", a.CommitEnd)
		} else {
			set("revealing", "reveal phase until height %d", a.CloseHeight)
		}
	case apitypes.BidRevealed:
		switch {
		case a.Status == apitypes.StatusOpen:
			set("revealed", "revealed %s per point; the auction closes at height %d", ledgertx.FormatAmount(bid.AmountPerPoint), a.CloseHeight)
		case a.Status == apitypes.StatusAwaitingPayment && a.Winner == addr:
			set("payment_due", "won at %s: pay %s more by height %d (bond-only bid; the watcher pays it)",
				wonPrice(a), ledgertx.FormatAmount(a.Price-min(a.Price, bid.Deposit)), a.PayDeadline)
		default:
			set("fallback", "next in line if the winner does not pay by height %d", a.PayDeadline)
		}
	case apitypes.BidWon:
		switch a.Status {
		case apitypes.StatusDelivered:
			end(OutcomeDelivered, "won at %s; access key delivered", wonPrice(a))
		case apitypes.StatusUndelivered:
			end(OutcomeUndelivered, "won at %s, the device missed its delivery deadline: price refunded", wonPrice(a))
		default:
			set("awaiting_key", "won at %s, paid from the deposit; the device delivers the key by height %d", wonPrice(a), a.DeliveryDeadline)
		}
	case apitypes.BidRefunded:
		if a.Status == apitypes.StatusUndelivered && a.Winner == addr {
			end(OutcomeUndelivered, "the device missed its delivery deadline: price refunded")
		} else if a.Status == apitypes.StatusNoSale || a.Status == apitypes.StatusOpen {
			end(OutcomeLost, "below the reserve or no sale: deposit refunded")
		} else {
			end(OutcomeLost, "outbid (price %s): deposit refunded", ledgertx.FormatAmount(a.Price))
		}
	case apitypes.BidForfeited:
		if bid.AmountPerPoint != 0 {
			end(OutcomeForfeited, "won but not paid in the payment window: bond forfeited")
		} else {
			end(OutcomeForfeited, "not revealed in the reveal phase: deposit (of a full-deposit bid: its bond) forfeited")
		}
	default:
		set(string(bid.Status), "bid %s", bid.Status)
	}
	return p
}

func short(s string) string {
	if len(s) > 16 {
		return s[:8] + "…" + s[len(s)-6:]
	}
	return s
}

// FollowEvent is what Follow reports after each auction-chain head.
type FollowEvent struct {
	WatchEvent
	Bids []BidProgress
	// Ended counts the followed bids that ended; Total all followed bids.
	Ended, Total int
}

// Follow runs Watch (reveals due bids, pays bond-only wins) and reports
// after every head the progress of the followed bids: those of the
// auctions in only, or with only nil every bid of the book that has not
// ended (including bids another process adds meanwhile). The progress
// comes from Watch's own reads, so following costs no call beyond
// Watch's one per head. It returns nil once every followed bid has ended
// (at once when there is none), unless forever is set, or fn returns
// true; ctx's error when ctx ends first.
func (b *Bidder) Follow(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, fee uint64, poll time.Duration, only map[wire.Hash]bool, forever bool, fn func(FollowEvent) bool) error {
	self := key.PubKey().Address().Encode(b.Net.AddressHRP)
	done := false
	latest := map[wire.Hash]BidProgress{}
	var order []wire.Hash // followed bids, in the book's order
	if only != nil {
		// Bids of only that ended before this call are reported as
		// they ended; the others as the book has them until the first
		// head.
		saved, err := b.Book.Load()
		if err != nil {
			return err
		}
		for i := range saved {
			r := &saved[i]
			if only[r.Auction] {
				if _, ok := latest[r.Auction]; !ok {
					order = append(order, r.Auction)
				}
				latest[r.Auction] = progressOf(r, nil, self)
			}
		}
	}
	err := b.Watch(ctx, client, key, fee, poll, func(ev WatchEvent) bool {
		fe := FollowEvent{WatchEvent: ev}
		for _, p := range ev.Progress {
			if only != nil && !only[p.Auction] {
				continue
			}
			if _, ok := latest[p.Auction]; !ok {
				order = append(order, p.Auction)
			}
			latest[p.Auction] = p
		}
		for _, id := range order {
			p := latest[id]
			fe.Bids = append(fe.Bids, p)
			if p.Done {
				fe.Ended++
			}
		}
		fe.Total = len(fe.Bids)
		if fn(fe) {
			return true
		}
		// Every followed bid ended (an error elsewhere in the book does
		// not hold this up; an empty list counts only when read without
		// error).
		if fe.Ended == fe.Total && !forever && (fe.Total > 0 || ev.Err == nil) {
			done = true
			return true
		}
		return false
	})
	if done {
		return nil
	}
	return err
}

// wonPrice is an auction's price as a bidder reads it: the total, and the
// second price per point it comes from (bids are stated per point).
func wonPrice(a *apitypes.BidderAuction) string {
	if a.PricePerPoint == 0 || a.Price == a.PricePerPoint {
		return ledgertx.FormatAmount(a.Price)
	}
	return fmt.Sprintf("%s (%s per point)", ledgertx.FormatAmount(a.Price), ledgertx.FormatAmount(a.PricePerPoint))
}
