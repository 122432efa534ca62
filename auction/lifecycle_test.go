package auction

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

func (w *world) step(txs ...*wire.Tx) *wire.Block {
	w.t.Helper()
	b := w.mine(txs...)
	w.check("block " + string(rune('0'+b.Header.Height%10)))
	return b
}

func (w *world) stepTo(h uint64) {
	w.t.Helper()
	for w.c.Tip().Height < h {
		w.step()
	}
}

// TestLifecycle runs two auctions end to end on a real chain: a batch
// commit opens both, four bidders commit, three reveal, the close settles
// by itself (second price, excess and losers refunded, the unrevealed
// deposit forfeited), one winner's deposit covers the price and the device
// delivers the key, which the winner decrypts; in the other auction the
// winner tops up with a Pay transaction and the device misses its
// deadline, so the winner is refunded and the device struck. Balances are
// checked exactly and coin conservation after every block.
func TestLifecycle(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	p := w.net.Auctions
	us := w.users(4, 1_000_000)
	alice, bob, carol, dave := us[0], us[1], us[2], us[3]
	dev1, owner1 := w.device()
	dev2, owner2 := w.device()
	w.step() // the anchor reaches both devices

	aAddr, bAddr, cAddr, dAddr := alice.PubKey().Address(), bob.PubKey().Address(), carol.PubKey().Address(), dave.PubKey().Address()
	a1 := SealBid(aAddr, dev1.PubKey(), 0, 50, 5000, NewSalt())
	a2 := SealBid(aAddr, dev2.PubKey(), 0, 20, 200, NewSalt())
	b1 := SealBid(bAddr, dev1.PubKey(), 0, 40, 400, NewSalt())
	c1 := SealBid(cAddr, dev1.PubKey(), 0, 30, 300, NewSalt())
	d1 := SealBid(dAddr, dev1.PubKey(), 0, 20, 200, NewSalt())
	before := map[string]uint64{"a": w.balance(aAddr), "b": w.balance(bAddr), "c": w.balance(cAddr), "d": w.balance(dAddr)}
	open := w.step(
		NewCommitTx(w.net, alice, 0, 0, a1, a2),
		NewCommitTx(w.net, bob, 0, 0, b1),
		NewCommitTx(w.net, carol, 0, 0, c1),
		NewCommitTx(w.net, dave, 0, 0, d1),
	)
	O := open.Header.Height
	au1 := w.auction(a1.Auction)
	if au1.OpenHeight != O || au1.CommitEnd != O+p.CommitBlocks || au1.CloseHeight != O+p.CommitBlocks+p.RevealBlocks-1 || au1.Bids != 4 || au1.Owner != owner1.PubKey().Address() {
		t.Fatalf("auction 1 after commits: %+v", au1)
	}
	if got := w.balance(aAddr); got != before["a"]-5200 {
		t.Fatalf("alice escrowed %d, want 5200", before["a"]-got)
	}
	var esc uint64
	w.view(func(v *chain.View) (err error) { esc, err = Escrow(v); return })
	if esc != 5000+200+400+300+200 {
		t.Fatalf("escrow %d", esc)
	}
	var mine []wire.Hash
	w.view(func(v *chain.View) (err error) { mine, err = BidsOfBidder(v, aAddr); return })
	if len(mine) != 2 || mine[0] != a1.Auction || mine[1] != a2.Auction {
		t.Fatalf("alice's bids: %v", mine)
	}

	w.stepTo(au1.CommitEnd - 1)
	w.step(NewRevealTx(w.net, alice, 1, 0, a1, a2), NewRevealTx(w.net, bob, 1, 0, b1), NewRevealTx(w.net, carol, 1, 0, c1))
	w.stepTo(au1.CloseHeight - 1)
	minerBefore, ownerBefore := w.balance(w.miner.PubKey().Address()), w.balance(owner1.PubKey().Address())
	closeBlk := w.step()

	// Auction 1: alice wins at bob's 40 per point; her 5000 deposit covers
	// the 4000 price and 1000 comes back; bob and carol are refunded; dave
	// did not reveal and forfeits 200, half to the owner, half to the miner.
	au1 = w.auction(a1.Auction)
	if au1.Status != StatusPaid || au1.Winner != aAddr || au1.PricePerPoint != 40 || au1.Price != 4000 || au1.DeliveryDeadline != closeBlk.Header.Height+p.DeliveryBlocks {
		t.Fatalf("auction 1 at close: %+v", au1)
	}
	for who, want := range map[string]BidStatus{"a": BidWon, "b": BidRefunded, "c": BidRefunded, "d": BidForfeited} {
		addr := map[string][20]byte{"a": aAddr, "b": bAddr, "c": cAddr, "d": dAddr}[who]
		if got := w.bid(a1.Auction, addr).Status; got != want {
			t.Fatalf("bid %s: %s, want %s", who, got, want)
		}
	}
	if got := w.balance(bAddr); got != before["b"] {
		t.Fatalf("bob not refunded: %d vs %d", got, before["b"])
	}
	if got := w.balance(cAddr); got != before["c"] {
		t.Fatalf("carol not refunded")
	}
	if got := w.balance(dAddr); got != before["d"]-200 {
		t.Fatalf("dave: %d, want %d", got, before["d"]-200)
	}
	if got := w.balance(owner1.PubKey().Address()) - ownerBefore; got != 100 {
		t.Fatalf("owner got %d of the forfeit, want 100", got)
	}
	if got := w.balance(w.miner.PubKey().Address()) - minerBefore; got != 100 {
		t.Fatalf("miner got %d of the forfeit, want 100", got)
	}
	// Auction 2: alice alone at 20 pays the reserve 10 × 100 = 1000; her
	// deposit of 200 is short, so her payment window opens.
	au2 := w.auction(a2.Auction)
	if au2.Status != StatusAwaitingPayment || au2.Price != 1000 || au2.PayDeadline != closeBlk.Header.Height+p.PaymentBlocks {
		t.Fatalf("auction 2 at close: %+v", au2)
	}
	if got := w.balance(aAddr); got != before["a"]-5200+1000 {
		t.Fatalf("alice after close: %d", got)
	}

	// Delivery of auction 1 and payment of auction 2 in one block.
	accessKey := []byte("access key for alice, device 1")
	winKey := w.bid(a1.Auction, aAddr).BidderKey
	dtx, err := NewDeliverKeyTx(w.net, dev1, 0, 0, a1.Auction, winKey, accessKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	minerBefore, ownerBefore = w.balance(w.miner.PubKey().Address()), w.balance(owner1.PubKey().Address())
	dblk := w.step(dtx, NewPayTx(w.net, alice, 2, 0, a2.Auction))
	if got := w.balance(owner1.PubKey().Address()) - ownerBefore; got != 3920 {
		t.Fatalf("owner proceeds %d, want 4000 less 2%% = 3920", got)
	}
	if got := w.balance(w.miner.PubKey().Address()) - minerBefore; got != 80 {
		t.Fatalf("protocol fee to miner %d, want 80", got)
	}
	var dl *Delivery
	w.view(func(v *chain.View) (err error) { dl, err = GetDelivery(v, a1.Auction); return })
	if dl == nil || dl.Height != dblk.Header.Height || dl.Time != dblk.Header.Timestamp || dl.Expires != dblk.Header.Timestamp+60_000 || dl.Winner != aAddr {
		t.Fatalf("delivery: %+v", dl)
	}
	got, err := OpenDelivery(alice, dl)
	if err != nil || !bytes.Equal(got, accessKey) {
		t.Fatalf("winner decrypts %q, %v", got, err)
	}
	if _, err := OpenDelivery(bob, dl); err == nil {
		t.Fatal("a loser decrypted the key")
	}
	if !dl.ValidAt(dl.Time) || dl.ValidAt(dl.Expires) {
		t.Fatal("access period bounds")
	}
	if w.auction(a1.Auction).Status != StatusDelivered {
		t.Fatal("auction 1 not delivered")
	}
	au2 = w.auction(a2.Auction)
	if au2.Status != StatusPaid || au2.DeliveryDeadline != dblk.Header.Height+p.DeliveryBlocks {
		t.Fatalf("auction 2 after payment: %+v", au2)
	}
	if gotBal := w.balance(aAddr); gotBal != before["a"]-5200+1000-800 {
		t.Fatalf("alice after paying: %d", gotBal)
	}
	again, err := NewDeliverKeyTx(w.net, dev1, 1, 0, a1.Auction, winKey, accessKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "second delivery", w.apply(again), ErrAlreadyDelivered)

	// Device 2 misses its deadline: alice gets the 1000 back, the device a strike.
	w.stepTo(au2.DeliveryDeadline)
	au2 = w.auction(a2.Auction)
	if au2.Status != StatusUndelivered {
		t.Fatalf("auction 2 after the deadline: %s", au2.Status)
	}
	if gotBal := w.balance(aAddr); gotBal != before["a"]-5200+1000-800+1000 {
		t.Fatalf("alice after refund: %d", gotBal)
	}
	var strikes uint64
	w.view(func(v *chain.View) (err error) { strikes, err = Strikes(v, dev2.PubKey()); return })
	if strikes != 1 {
		t.Fatalf("strikes %d", strikes)
	}
	late, err := NewDeliverKeyTx(w.net, dev2, 0, 0, a2.Auction, winKey, accessKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, "late delivery", w.apply(late), ErrDeliveryLate)
	_ = owner2

	// A new auction of device 1 opens with the next sequence number.
	var seq uint64
	var isOpen, ok bool
	w.view(func(v *chain.View) (err error) {
		seq, isOpen, ok, err = NextAuction(v, dev1.PubKey(), w.c.Tip().Height+1)
		return
	})
	if seq != 1 || isOpen || !ok {
		t.Fatalf("next auction of device 1: %d %v %v", seq, isOpen, ok)
	}
	w.step(NewOpenAuctionTx(w.net, owner1, 0, 0, dev1.PubKey(), 1))
	var list []*Auction
	w.view(func(v *chain.View) (err error) { list, err = AuctionsOfDevice(v, dev1.PubKey()); return })
	if len(list) != 2 || list[1].Status != StatusOpen || list[1].Bids != 0 {
		t.Fatalf("auctions of device 1: %d", len(list))
	}
}

// TestWinnerDoesNotPay: the winner's deposit is short and it never pays;
// when the window lapses its bond is forfeited and the next bidder wins at
// its own second price, paid from its deposit; the third is refunded only
// then. The first winner's late payment is refused.
func TestWinnerDoesNotPay(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	p := w.net.Auctions
	us := w.users(3, 1_000_000)
	alice, bob, carol := us[0], us[1], us[2]
	dev, owner := w.device()
	w.step()
	aAddr, bAddr, cAddr := alice.PubKey().Address(), bob.PubKey().Address(), carol.PubKey().Address()
	a := SealBid(aAddr, dev.PubKey(), 0, 50, 500, NewSalt())  // bond only
	b := SealBid(bAddr, dev.PubKey(), 0, 40, 4000, NewSalt()) // covers any price up to 40
	c := SealBid(cAddr, dev.PubKey(), 0, 30, 300, NewSalt())
	w.step(NewCommitTx(w.net, alice, 0, 0, a), NewCommitTx(w.net, bob, 0, 0, b), NewCommitTx(w.net, carol, 0, 0, c))
	au := w.auction(a.Auction)
	w.stepTo(au.CommitEnd - 1)
	w.step(NewRevealTx(w.net, alice, 1, 0, a), NewRevealTx(w.net, bob, 1, 0, b), NewRevealTx(w.net, carol, 1, 0, c))
	w.stepTo(au.CloseHeight)
	au = w.auction(a.Auction)
	if au.Status != StatusAwaitingPayment || au.Winner != aAddr || au.Price != 4000 {
		t.Fatalf("at close: %+v", au)
	}
	if w.bid(a.Auction, cAddr).Deposit != 300 || w.bid(a.Auction, bAddr).Deposit != 4000 {
		t.Fatal("fallback deposits must stay in escrow during the payment window")
	}
	wantKind(t, "bob pays for alice", w.apply(NewPayTx(w.net, bob, 2, 0, a.Auction)), ErrNotWinner)
	ownerBefore, bobBefore, carolBefore := w.balance(owner.PubKey().Address()), w.balance(bAddr), w.balance(cAddr)
	w.stepTo(au.PayDeadline)
	au = w.auction(a.Auction)
	if au.Status != StatusPaid || au.Winner != bAddr || au.PricePerPoint != 30 || au.Price != 3000 || au.WinnerRank != 1 {
		t.Fatalf("after the lapse: %+v", au)
	}
	if w.bid(a.Auction, aAddr).Status != BidForfeited {
		t.Fatal("alice's bond not forfeited")
	}
	if got := w.balance(owner.PubKey().Address()) - ownerBefore; got != 250 {
		t.Fatalf("owner's share of the forfeited bond: %d", got)
	}
	if got := w.balance(bAddr) - bobBefore; got != 1000 {
		t.Fatalf("bob's excess refund: %d", got)
	}
	if got := w.balance(cAddr) - carolBefore; got != 300 {
		t.Fatalf("carol's refund: %d", got)
	}
	wantKind(t, "alice pays late", w.apply(NewPayTx(w.net, alice, 2, 0, a.Auction)), ErrPaymentLate)
	if au.DeliveryDeadline != au.PayDeadline+p.DeliveryBlocks {
		t.Fatalf("delivery deadline %d", au.DeliveryDeadline)
	}
}

// TestNoSale: only a bid below reserve is revealed: it is refunded and the
// auction ends without a sale, and a new one may open at once.
func TestNoSale(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	us := w.users(1, 1_000_000)
	dev, _ := w.device()
	w.step()
	addr := us[0].PubKey().Address()
	// Deposit covers the reserve bond (100) but the bid is 5 per point.
	s := SealBid(addr, dev.PubKey(), 0, 5, 100, NewSalt())
	before := w.balance(addr)
	w.step(NewCommitTx(w.net, us[0], 0, 0, s))
	au := w.auction(s.Auction)
	w.stepTo(au.CommitEnd - 1)
	w.step(NewRevealTx(w.net, us[0], 1, 0, s))
	w.stepTo(au.CloseHeight)
	if au = w.auction(s.Auction); au.Status != StatusNoSale {
		t.Fatalf("status %s", au.Status)
	}
	if w.balance(addr) != before {
		t.Fatal("below-reserve bid not refunded")
	}
	w.step(NewCommitTx(w.net, us[0], 2, 0, SealBid(addr, dev.PubKey(), 1, 10, 100, NewSalt())))
}
