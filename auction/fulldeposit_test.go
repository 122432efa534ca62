package auction

import (
	"crypto/rand"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/consensus"
)

// TestFullDepositRules checks the rules of full-deposit bids
// (TxCommitFullBids) phase by phase, valid and invalid cases, each
// asserting its error kind (nil: accepted). The world's terms are a
// reserve of 10 per point × 100 points: a reserve total of 1000, a bond of
// 10 %.
func TestFullDepositRules(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	net := w.net
	us := w.users(4, 1_000_000)
	alice, bob, carol, dave := us[0], us[1], us[2], us[3]
	poor := w.users(1, 500)[0]
	dev, _ := w.device()
	dev2, _ := w.device()
	w.step()
	aAddr, bAddr, cAddr, dAddr := alice.PubKey().Address(), bob.PubKey().Address(), carol.PubKey().Address(), dave.PubKey().Address()

	fullOf := func(seal SealedBid) SealedBid { seal.Full = true; return seal }
	sA := SealFullBid(aAddr, dev.PubKey(), 0, 50, 5000, NewSalt())
	sC := SealFullBid(cAddr, dev.PubKey(), 0, 50, 4000, NewSalt()) // covers the reserve, not its own 5000
	sB := SealBid(bAddr, dev.PubKey(), 0, 50, 500, NewSalt())      // bond-only: its bond suffices
	w.step(NewCommitTx(net, alice, 0, 0, sA), NewCommitTx(net, carol, 0, 0, sC), NewCommitTx(net, bob, 0, 0, sB))
	au := w.auction(sA.Auction)
	if b := w.bid(sA.Auction, aAddr); !b.Full || b.Deposit != 5000 || b.Status != BidSealed {
		t.Fatalf("alice's full bid on chain: %+v", b)
	}
	if b := w.bid(sA.Auction, bAddr); b.Full {
		t.Fatalf("bob's bond-only bid recorded as full: %+v", b)
	}
	if tx := NewCommitTx(net, alice, 0, 0, sA); tx.Type != TxCommitFullBids {
		t.Fatalf("full bids built as type %d", tx.Type)
	}

	dBid := func(dep uint64) SealedBid { return SealFullBid(dAddr, dev.PubKey(), 0, 10, dep, NewSalt()) }
	runCases(t, w, "commit phase", []errCase{
		{"full deposit below the reserve's total", NewCommitTx(net, dave, 0, 0, dBid(999)), ErrInsufficientDeposit},
		{"full deposit of the reserve's bond only", NewCommitTx(net, dave, 0, 0, dBid(100)), ErrInsufficientDeposit},
		{"full deposit at the reserve's total", NewCommitTx(net, dave, 0, 0, dBid(1000)), nil},
		{"full deposit above the bid's total", NewCommitTx(net, dave, 0, 0, dBid(7777)), nil},
		{"bond-only deposit of the reserve's bond", NewCommitTx(net, dave, 0, 0, SealBid(dAddr, dev.PubKey(), 0, 10, 100, NewSalt())), nil},
		{"full bid without funds", NewCommitTx(net, poor, 0, 0, SealFullBid(poor.PubKey().Address(), dev.PubKey(), 0, 10, 1000, NewSalt())), ErrNoFunds},
		{"full bid with no deposit", NewCommitTx(net, dave, 0, 0, dBid(0)), ErrZeroDeposit},
		{"full bid after a bid in the same auction", NewCommitTx(net, alice, 1, 0, fullOf(SealBid(aAddr, dev.PubKey(), 0, 60, 6000, NewSalt()))), ErrDuplicateBid},
		{"one auction twice in a full batch", NewCommitTx(net, dave, 0, 0, SealFullBid(dAddr, dev2.PubKey(), 0, 10, 1000, NewSalt()), SealFullBid(dAddr, dev2.PubKey(), 0, 20, 2000, NewSalt())), ErrDuplicateBid},
		{"full bid to an auction number from the future", NewCommitTx(net, dave, 0, 0, SealFullBid(dAddr, dev.PubKey(), 3, 10, 1000, NewSalt())), ErrNoSuchAuction},
	})

	w.stepTo(au.CommitEnd - 1)
	runCases(t, w, "reveal phase", []errCase{
		{"full bid whose deposit does not cover its total", NewRevealTx(net, carol, 1, 0, sC), ErrInsufficientDeposit},
		{"full bid covered by its deposit", NewRevealTx(net, alice, 1, 0, sA), nil},
		{"bond-only bid covered by its bond", NewRevealTx(net, bob, 1, 0, sB), nil},
		{"full commit after the commit phase", NewCommitTx(net, dave, 0, 0, dBid(1000)), ErrBadPhase},
	})
}

// TestFullDepositSettlesFromEscrow: at the close the winner's price comes
// straight out of its full deposit and the rest is refunded — the auction
// goes to awaiting_delivery in the same block, with no payment window —
// lower bids are refunded, and an unrevealed full-deposit bid forfeits
// only the bond share of its deposit. Balances exact, coin conserved after
// every block.
func TestFullDepositSettlesFromEscrow(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	net := w.net
	p := net.Auctions
	us := w.users(5, 1_000_000)
	alice, bob, carol, dave, erin := us[0], us[1], us[2], us[3], us[4]
	dev, owner := w.device()
	dev2, _ := w.device()
	w.step()
	aAddr, bAddr, cAddr, dAddr, eAddr := alice.PubKey().Address(), bob.PubKey().Address(), carol.PubKey().Address(), dave.PubKey().Address(), erin.PubKey().Address()
	sA := SealFullBid(aAddr, dev.PubKey(), 0, 50, 5000, NewSalt())
	sB := SealFullBid(bAddr, dev.PubKey(), 0, 40, 4000, NewSalt())
	sC := SealBid(cAddr, dev.PubKey(), 0, 30, 300, NewSalt())
	sD := SealFullBid(dAddr, dev.PubKey(), 0, 20, 2000, NewSalt())  // never revealed
	sE := SealFullBid(eAddr, dev2.PubKey(), 0, 30, 3000, NewSalt()) // alone in its auction
	before := map[string]uint64{"a": w.balance(aAddr), "b": w.balance(bAddr), "c": w.balance(cAddr), "d": w.balance(dAddr), "e": w.balance(eAddr)}
	w.step(NewCommitTx(net, alice, 0, 0, sA), NewCommitTx(net, bob, 0, 0, sB), NewCommitTx(net, carol, 0, 0, sC),
		NewCommitTx(net, dave, 0, 0, sD), NewCommitTx(net, erin, 0, 0, sE))
	au := w.auction(sA.Auction)
	w.stepTo(au.CommitEnd - 1)
	w.step(NewRevealTx(net, alice, 1, 0, sA), NewRevealTx(net, bob, 1, 0, sB), NewRevealTx(net, carol, 1, 0, sC), NewRevealTx(net, erin, 1, 0, sE))
	w.stepTo(au.CloseHeight - 1)
	minerBefore, ownerBefore := w.balance(w.miner.PubKey().Address()), w.balance(owner.PubKey().Address())
	closeBlk := w.step()

	au = w.auction(sA.Auction)
	if au.Status != StatusPaid || au.Winner != aAddr || au.Price != 4000 || au.PayDeadline != 0 || au.DeliveryDeadline != closeBlk.Header.Height+p.DeliveryBlocks {
		t.Fatalf("auction at close: %+v", au)
	}
	for who, c := range map[string]struct {
		addr   [20]byte
		status BidStatus
		paid   uint64 // what the bidder is down by after the close
	}{
		"alice": {aAddr, BidWon, 4000},   // the second price, 1000 refunded
		"bob":   {bAddr, BidRefunded, 0}, // outbid: all 4000 back
		"carol": {cAddr, BidRefunded, 0},
		"dave":  {dAddr, BidForfeited, 200}, // bond of 2000; 1800 back
	} {
		b := w.bid(sA.Auction, c.addr)
		if b.Status != c.status || b.Deposit != 0 {
			t.Errorf("%s: bid %s deposit %d, want %s and 0", who, b.Status, b.Deposit, c.status)
		}
		if got := before[who[:1]] - w.balance(c.addr); got != c.paid {
			t.Errorf("%s is down %d, want %d", who, got, c.paid)
		}
	}
	if got := w.balance(owner.PubKey().Address()) - ownerBefore; got != 100 {
		t.Fatalf("owner got %d of dave's forfeited bond, want 100", got)
	}
	if got := w.balance(w.miner.PubKey().Address()) - minerBefore; got != 100 {
		t.Fatalf("miner got %d of dave's forfeited bond, want 100", got)
	}
	// Erin alone pays the reserve total, 1000, from her 3000.
	ae := w.auction(sE.Auction)
	if ae.Status != StatusPaid || ae.Price != 1000 || before["e"]-w.balance(eAddr) != 1000 {
		t.Fatalf("erin's auction: %+v, erin down %d", ae, before["e"]-w.balance(eAddr))
	}
	var esc uint64
	w.view(func(v *chain.View) (err error) { esc, err = Escrow(v); return })
	if esc != 4000+1000 {
		t.Fatalf("escrow after the close holds %d, want the two prices 5000", esc)
	}
	// Nothing to pay: a Pay by the winner is refused.
	wantKind(t, "pay a full-deposit win", w.apply(NewPayTx(net, alice, 2, 0, sA.Auction)), ErrNotWinner)

	// The device delivers; the owner is paid the price less the protocol fee.
	tx, err := NewDeliverKeyTx(net, dev, 0, 0, sA.Auction, alice.PubKey(), []byte("access"), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ownerBefore = w.balance(owner.PubKey().Address())
	w.step(tx)
	if got := w.balance(owner.PubKey().Address()) - ownerBefore; got != 4000-4000*p.ProtocolFeePermille/1000 {
		t.Fatalf("owner paid %d", got)
	}
	if w.auction(sA.Auction).Status != StatusDelivered {
		t.Fatal("not delivered")
	}
}
