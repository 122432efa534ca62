package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// Following open bids incrementally. Watch keeps every bid of the book
// that has not ended in memory (the tracker) with the last view of its
// auction, and at each new head reads only the auctions whose stage may
// have changed, in one auction.getMany call:
//
//   - a bid whose commit has not been seen on chain: every head;
//   - a sealed bid: not at all during the commit phase (its reveal phase
//     is known from the auction's commit_end), and at every head of the
//     reveal phase, to see the reveal land;
//   - a revealed bid: from its auction's close on, until the bid ends
//     (payment, delivery or refund);
//   - every bid after a reorganisation.
//
// A reveal goes out at the first head after which the next block is in
// the reveal phase, before anything is read; if a later head still shows
// the bid sealed (the block that carried the reveal was reorganised away,
// or the reveal did not make it into a block yet) the same signed
// transaction is sent again, or one with a fresh nonce when its nonce was
// used meanwhile. The salt and every state change are in the bid book,
// so a restarted watcher resumes from the book and the chain.

// trackedBid is one open bid the tracker follows.
type trackedBid struct {
	rec      BidRecord
	view     *apitypes.BidderAuction // last read; nil until the auction is seen
	since    uint64                  // head height tracking began at (0 until the first step)
	reveal   *wire.Tx                // last reveal transaction sent
	revealAt uint64                  // head height it was sent at
	pay      *wire.Tx                // last payment sent (bond-only wins)
	payAt    uint64
}

// tracker is a Bidder's in-memory state of its open bids.
type tracker struct {
	mu       sync.Mutex
	loaded   bool
	stamp    bookStamp // the book file as last merged
	bids     map[wire.Hash]*trackedBid
	lastHash wire.Hash
	lastH    uint64
}

// bookStamp identifies one state of the bid book file.
type bookStamp struct {
	size int64
	mod  time.Time
}

func stampOf(path string) bookStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return bookStamp{}
	}
	return bookStamp{size: fi.Size(), mod: fi.ModTime()}
}

// track adds saved records to the tracker (when it runs), keeping the
// state of bids it already follows.
func (b *Bidder) track(recs ...BidRecord) {
	t := &b.tracker
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loaded {
		return // the first step loads the book
	}
	for _, r := range recs {
		if r.Outcome != "" || r.State == BidStateRejected {
			continue
		}
		if _, ok := t.bids[r.Auction]; !ok {
			t.bids[r.Auction] = &trackedBid{rec: r, since: t.lastH}
		}
	}
	t.stamp = b.Book.writtenStamp()
}

// untrack drops bids the node refused.
func (b *Bidder) untrack(ids []wire.Hash) {
	t := &b.tracker
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		delete(t.bids, id)
	}
}

// syncBook loads the book at the first step, and again whenever another
// process changed it (a `wallet bid` next to a running `wallet watch`):
// bids not yet followed join the tracker.
func (b *Bidder) syncBook() error {
	t := &b.tracker
	t.mu.Lock()
	loaded, stamp := t.loaded, t.stamp
	t.mu.Unlock()
	cur := stampOf(b.Book.Path())
	if loaded && (cur == stamp || cur == b.Book.writtenStamp()) {
		t.mu.Lock()
		t.stamp = cur
		t.mu.Unlock()
		return nil
	}
	saved, err := b.Book.Load()
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bids == nil {
		t.bids = map[wire.Hash]*trackedBid{}
	}
	for _, r := range saved {
		if r.Outcome != "" || r.State == BidStateRejected {
			continue
		}
		if _, ok := t.bids[r.Auction]; !ok {
			t.bids[r.Auction] = &trackedBid{rec: r, since: t.lastH}
		}
	}
	t.loaded, t.stamp = true, cur
	return nil
}

// needsRead reports whether a bid's auction must be read at head h.
func (tb *trackedBid) needsRead(h uint64, self string) bool {
	bid := bidOf(tb.view, self)
	switch {
	case bid == nil:
		return true // the commit is not on chain yet
	case tb.view.Status != apitypes.StatusOpen:
		return true // settled, not ended: payment or delivery runs
	case bid.Status == apitypes.BidSealed:
		return h+1 >= tb.view.CommitEnd // the reveal phase: watch the reveal land
	default:
		return h >= tb.view.CloseHeight // revealed: settled at the end of the close block
	}
}

// revealPhase reports whether the block after head h is in the reveal
// phase of a view's auction.
func revealPhase(v *apitypes.BidderAuction, h uint64) bool {
	return v != nil && v.Status == apitypes.StatusOpen && h+1 >= v.CommitEnd && h+1 <= v.CloseHeight
}

// step is what Watch does at each auction-chain head: send the reveals
// that became due (from what it already knows), read the auctions whose
// stage may have changed, re-send reveals that did not land, pay won
// bond-only bids, collect delivered keys and record ended bids.
func (b *Bidder) step(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, fee uint64, h uint64, hash wire.Hash, reorg bool) WatchEvent {
	ev := WatchEvent{Height: h, Reveal: &RevealResult{Revealed: []wire.Hash{}, TxIDs: []wire.Hash{}, Missed: []wire.Hash{}},
		Pay: &PayResult{Paid: []wire.Hash{}, TxIDs: []wire.Hash{}}}
	self := key.PubKey().Address().Encode(b.Net.AddressHRP)
	if err := b.syncBook(); err != nil {
		ev.Err = err
		return ev
	}
	t := &b.tracker
	t.mu.Lock()
	if t.lastH != 0 && h <= t.lastH {
		reorg = true
	}
	t.lastH, t.lastHash = h, hash
	// Reveals due from what is known: no read stands between a head and
	// the reveals it makes due.
	var fresh []*trackedBid
	for _, tb := range t.bids {
		if tb.reveal == nil && revealPhase(tb.view, h) {
			if bid := bidOf(tb.view, self); bid != nil && bid.Status == apitypes.BidSealed && tb.rec.State != BidStateRevealing {
				fresh = append(fresh, tb)
			}
		}
	}
	t.mu.Unlock()
	var errs []error
	changed := map[wire.Hash]func(*BidRecord){}
	if len(fresh) > 0 {
		if err := b.sendReveals(ctx, client, key, fee, h, fresh, ev.Reveal, changed); err != nil {
			errs = append(errs, err)
		}
	}

	t.mu.Lock()
	var ids []wire.Hash
	for id, tb := range t.bids {
		if reorg || tb.needsRead(h, self) {
			ids = append(ids, id)
		}
	}
	t.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return string(ids[i][:]) < string(ids[j][:]) })
	views, err := readAuctions(ctx, client, ids, self)
	if err != nil {
		ev.Err = errors.Join(append(errs, err)...)
		b.saveChanges(changed)
		return ev
	}

	var resend, due, payDue []*trackedBid
	var pendingCheck []*trackedBid
	t.mu.Lock()
	for i, id := range ids {
		if tb := t.bids[id]; tb != nil {
			tb.view = views[i]
		}
	}
	order := make([]*trackedBid, 0, len(t.bids))
	for _, tb := range t.bids {
		order = append(order, tb)
	}
	sort.Slice(order, func(i, j int) bool {
		if !order[i].rec.Created.Equal(order[j].rec.Created) {
			return order[i].rec.Created.Before(order[j].rec.Created)
		}
		return string(order[i].rec.Auction[:]) < string(order[j].rec.Auction[:])
	})
	for _, tb := range order {
		if tb.since == 0 {
			tb.since = h // the first head this bid is followed at
		}
		v := tb.view
		if v != nil && v.Status == apitypes.StatusOpen {
			// The phase as of this head, for a view read earlier.
			v.Height = h
			if h+1 < v.CommitEnd {
				v.Phase = "commit"
			} else {
				v.Phase = "reveal"
			}
		}
		bid := bidOf(v, self)
		id := tb.rec.Auction
		switch {
		case bid == nil && tb.rec.State != BidStateLost:
			commitOver := v != nil && (v.Status != apitypes.StatusOpen || h+1 >= v.CommitEnd)
			switch {
			case commitOver:
				// The commit phase ended without our commitment.
				ev.Reveal.Missed = append(ev.Reveal.Missed, id)
				tb.rec.State = BidStateLost
				changed[id] = setState(BidStateLost, 0)
			case v == nil && h > tb.since+b.Net.Auctions.CommitBlocks+1:
				pendingCheck = append(pendingCheck, tb) // an opening commit that may never be mined
				ev.Reveal.Waiting++
			default:
				ev.Reveal.Waiting++
			}
		case bid == nil:
		case bid.Status == apitypes.BidSealed && v.Status == apitypes.StatusOpen:
			switch {
			case h+1 < v.CommitEnd:
				ev.Reveal.Waiting++
			case h+1 > v.CloseHeight:
			case tb.reveal == nil && tb.rec.State != BidStateRevealing:
				due = append(due, tb) // first seen in its reveal phase now
			case tb.revealAt < h:
				resend = append(resend, tb) // sent, not on chain one block later
			}
		case bid.Status != apitypes.BidSealed && tb.rec.State != BidStateRevealed && bid.Status != apitypes.BidForfeited:
			tb.rec.State, tb.rec.CommitHeight = BidStateRevealed, bid.Height
			changed[id] = setState(BidStateRevealed, bid.Height)
		}
		if bid != nil && v.Status == apitypes.StatusAwaitingPayment && v.Winner == self && bid.Status == apitypes.BidRevealed && v.PayDeadline >= h+1 {
			if tb.pay == nil || tb.payAt < h {
				payDue = append(payDue, tb)
			}
		}
	}
	t.mu.Unlock()

	for _, tb := range pendingCheck {
		if !txPending(ctx, client, tb.rec.CommitTx) {
			t.mu.Lock()
			tb.rec.State = BidStateLost
			t.mu.Unlock()
			ev.Reveal.Missed = append(ev.Reveal.Missed, tb.rec.Auction)
			changed[tb.rec.Auction] = setState(BidStateLost, 0)
		}
	}
	if len(due) > 0 {
		if err := b.sendReveals(ctx, client, key, fee, h, due, ev.Reveal, changed); err != nil {
			errs = append(errs, err)
		}
	}
	if len(resend) > 0 {
		if err := b.resendReveals(ctx, client, key, fee, h, resend, ev.Reveal, changed); err != nil {
			errs = append(errs, err)
		}
	}
	if len(payDue) > 0 {
		if err := b.sendPayments(ctx, client, key, fee, h, payDue, ev.Pay, changed); err != nil {
			errs = append(errs, err)
		}
	}

	// Progress, keys delivered, and bids that ended.
	t.mu.Lock()
	for _, tb := range order {
		p := progressOf(&tb.rec, tb.view, self)
		ev.Progress = append(ev.Progress, p)
		if tb.rec.Pending() {
			ev.Pending++
		}
		if p.Outcome == OutcomeDelivered && tb.view != nil && tb.view.Delivery != nil {
			ev.Keys = append(ev.Keys, openKey(tb.view.Delivery, key, b.now()))
		}
		if p.Done {
			out := p.Outcome
			prev := changed[tb.rec.Auction]
			changed[tb.rec.Auction] = func(r *BidRecord) {
				if prev != nil {
					prev(r)
				}
				if r.Outcome == "" {
					r.Outcome = out
				}
			}
			delete(t.bids, tb.rec.Auction)
		}
	}
	t.mu.Unlock()
	if err := b.saveChanges(changed); err != nil {
		errs = append(errs, err)
	}
	ev.Err = errors.Join(errs...)
	return ev
}

func setState(s BidState, height uint64) func(*BidRecord) {
	return func(r *BidRecord) {
		if r.Pending() || s == BidStateRevealed && r.State == BidStateRevealed {
			r.State = s
			if height != 0 {
				r.CommitHeight = height
			}
		}
	}
}

// saveChanges writes a step's changes to the book in one update.
func (b *Bidder) saveChanges(changed map[wire.Hash]func(*BidRecord)) error {
	if len(changed) == 0 {
		return nil
	}
	err := b.Book.Update(func(bids []BidRecord) ([]BidRecord, error) {
		for i := range bids {
			if fn := changed[bids[i].Auction]; fn != nil && bids[i].State != BidStateRejected {
				fn(&bids[i])
			}
		}
		return bids, nil
	})
	b.tracker.mu.Lock()
	b.tracker.stamp = b.Book.writtenStamp()
	b.tracker.mu.Unlock()
	return err
}

// readAuctions reads auctions with the bidder's own bid, in calls of up
// to apitypes.MaxAuctionsPerCall.
func readAuctions(ctx context.Context, client *rpc.Client, ids []wire.Hash, self string) ([]*apitypes.BidderAuction, error) {
	out := make([]*apitypes.BidderAuction, 0, len(ids))
	for start := 0; start < len(ids); start += apitypes.MaxAuctionsPerCall {
		part, err := apiclient.New(client).AuctionsOf(ctx, ids[start:min(start+apitypes.MaxAuctionsPerCall, len(ids))], self)
		if err != nil {
			return nil, fmt.Errorf("auction.getMany: %w", err)
		}
		if len(part) != min(apitypes.MaxAuctionsPerCall, len(ids)-start) {
			return nil, fmt.Errorf("auction.getMany: %d auctions for %d ids", len(part), len(ids)-start)
		}
		out = append(out, part...)
	}
	return out, nil
}

// sendReveals reveals bids in one transaction per MaxBidsPerTx.
func (b *Bidder) sendReveals(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, fee, h uint64, bids []*trackedBid, res *RevealResult, changed map[wire.Hash]func(*BidRecord)) error {
	b.txMu.Lock()
	defer b.txMu.Unlock()
	nonce, err := nextNonce(ctx, client, key.PubKey())
	if err != nil {
		return err
	}
	for gi, g := range chunks(bids, b.Net.Auctions.MaxBidsPerTx) {
		sealed := make([]auctiontx.SealedBid, len(g))
		for i, tb := range g {
			sealed[i] = tb.rec.SealedBid
		}
		tx := auctiontx.NewRevealTx(b.Net, key, nonce+uint64(gi), fee, sealed...)
		id, err := submit(ctx, client, tx)
		if err != nil {
			return fmt.Errorf("reveal transaction: %w", err)
		}
		b.tracker.mu.Lock()
		for _, tb := range g {
			tb.reveal, tb.revealAt = tx, h
			tb.rec.State, tb.rec.RevealTx = BidStateRevealing, id
			changed[tb.rec.Auction] = func(r *BidRecord) {
				if r.Pending() {
					r.State, r.RevealTx = BidStateRevealing, id
				}
			}
			res.Revealed = append(res.Revealed, tb.rec.Auction)
		}
		b.tracker.mu.Unlock()
		res.TxIDs = append(res.TxIDs, id)
	}
	return nil
}

// resendReveals sends again the reveals a later head still shows sealed:
// the same transaction while its nonce is free (the node answers
// ErrAlreadyKnown when it still holds it), else a new one. A reveal known
// only by its id (a restarted watcher) is rebuilt when the node no longer
// holds it.
func (b *Bidder) resendReveals(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, fee, h uint64, bids []*trackedBid, res *RevealResult, changed map[wire.Hash]func(*BidRecord)) error {
	var rebuild []*trackedBid
	sent := map[wire.Hash]bool{}
	for _, tb := range bids {
		if tb.reveal == nil {
			if !txPending(ctx, client, tb.rec.RevealTx) {
				rebuild = append(rebuild, tb)
			}
			continue
		}
		id := tb.reveal.ID()
		if sent[id] {
			continue
		}
		sent[id] = true
		_, err := submit(ctx, client, tb.reveal)
		switch {
		case err == nil || apiclient.HasKind(err, "ErrAlreadyKnown"):
			b.tracker.mu.Lock()
			for _, o := range bids {
				if o.reveal != nil && o.reveal.ID() == id {
					o.revealAt = h
				}
			}
			b.tracker.mu.Unlock()
		case apiclient.HasKind(err, "ErrBadNonce"):
			for _, o := range bids {
				if o.reveal != nil && o.reveal.ID() == id {
					rebuild = append(rebuild, o)
				}
			}
		default:
			return fmt.Errorf("reveal transaction sent again: %w", err)
		}
	}
	if len(rebuild) == 0 {
		return nil
	}
	return b.sendReveals(ctx, client, key, fee, h, rebuild, res, changed)
}

// sendPayments pays won bond-only bids (one transaction each), or sends a
// payment again when a later head still shows it due.
func (b *Bidder) sendPayments(ctx context.Context, client *rpc.Client, key *keys.PrivateKey, fee, h uint64, bids []*trackedBid, res *PayResult, changed map[wire.Hash]func(*BidRecord)) error {
	b.txMu.Lock()
	defer b.txMu.Unlock()
	self := key.PubKey().Address().Encode(b.Net.AddressHRP)
	var nonce uint64
	haveNonce := false
	for _, tb := range bids {
		if tb.pay != nil {
			_, err := submit(ctx, client, tb.pay)
			if err == nil || apiclient.HasKind(err, "ErrAlreadyKnown") {
				tb.payAt = h
				continue
			}
			if !apiclient.HasKind(err, "ErrBadNonce") {
				return fmt.Errorf("payment for auction %s sent again: %w", tb.rec.Auction, err)
			}
		}
		if !haveNonce {
			n, err := nextNonce(ctx, client, key.PubKey())
			if err != nil {
				return err
			}
			nonce, haveNonce = n, true
		}
		tx := auctiontx.NewPayTx(b.Net, key, nonce, fee, tb.rec.Auction)
		id, err := submit(ctx, client, tx)
		if err != nil {
			return fmt.Errorf("payment for auction %s: %w", tb.rec.Auction, err)
		}
		nonce++
		b.tracker.mu.Lock()
		tb.pay, tb.payAt, tb.rec.PayTx = tx, h, id
		v := tb.view
		b.tracker.mu.Unlock()
		if bid := bidOf(v, self); bid != nil && v.Price > bid.Deposit {
			res.Owed += v.Price - bid.Deposit
		}
		res.Paid = append(res.Paid, tb.rec.Auction)
		res.TxIDs = append(res.TxIDs, id)
		prev := changed[tb.rec.Auction]
		changed[tb.rec.Auction] = func(r *BidRecord) {
			if prev != nil {
				prev(r)
			}
			r.PayTx = id
		}
	}
	return nil
}

// openKey decrypts a delivery made to key.
func openKey(d *apitypes.Delivery, key *keys.PrivateKey, now time.Time) AccessKey {
	ms := now.UnixMilli()
	ak := AccessKey{Auction: d.Auction, Device: d.Device, Points: d.Points, Height: d.Height,
		From: time.UnixMilli(d.Time).UTC(), Expires: time.UnixMilli(d.Expires).UTC(), Valid: ms >= d.Time && ms < d.Expires}
	k, err := d.Open(key)
	if err != nil {
		ak.Error, ak.Valid = err.Error(), false
	} else {
		ak.Key, ak.KeyHex = k, hex.EncodeToString(k)
	}
	return ak
}
