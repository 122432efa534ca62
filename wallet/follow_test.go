package wallet_test

import (
	"context"
	"crypto/rand"
	"github.com/thingchain/thingchain/api/apitypes"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/wallet"
)

// follower runs Bidder.Follow in the background and lets the test mine
// one block at a time, each only after the follower has handled the
// previous head (no sleeps: the test waits on the follower's events).
type follower struct {
	events chan wallet.FollowEvent
	done   chan error
	cancel context.CancelFunc
}

func startFollow(t *testing.T, r *regtest, b *wallet.Bidder, key *keys.PrivateKey, stopWhen func(wallet.FollowEvent) bool) *follower {
	t.Helper()
	ws, err := rpc.Dial(r.ctx, "ws"+strings.TrimPrefix(r.n.RPCURL, "http"), rpc.WithToken(r.n.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	f := &follower{events: make(chan wallet.FollowEvent, 64), done: make(chan error, 1), cancel: cancel}
	go func() {
		defer ws.Close()
		f.done <- b.Follow(ctx, ws, key, 1000, 100*time.Millisecond, nil, false, func(ev wallet.FollowEvent) bool {
			f.events <- ev
			return stopWhen != nil && stopWhen(ev)
		})
		close(f.events)
	}()
	t.Cleanup(cancel)
	return f
}

// next waits for the follower's event at or above height (or its end).
func (f *follower) next(t *testing.T, height uint64) (wallet.FollowEvent, bool) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-f.events:
			if !ok {
				return ev, false
			}
			if ev.Err != nil {
				t.Logf("follower at height %d: %v", ev.Height, ev.Err)
			}
			if ev.Height >= height {
				return ev, true
			}
		case <-timeout:
			t.Fatalf("no follower event for height %d in 30 s", height)
		}
	}
}

func tipHeight(r *regtest) uint64 {
	var info api.ChainInfoResult
	r.call("chain.info", nil, &info)
	return info.Auction.Height
}

// TestFollowFullDepositBids: full-deposit bids (the default) on two
// devices are followed to their end without any payment: the contested
// win is paid from escrow at the second price and its key delivered, the
// other device misses its delivery deadline and the price comes back;
// the other bidder's lower bid is refunded. The follower is stopped after
// the reveal (a person's Ctrl-C) and a new one, reading only the saved
// bid book, carries on to the end; the book records every outcome.
func TestFollowFullDepositBids(t *testing.T) {
	r := startRegtest(t)
	net := r.n.Net
	devs, _ := r.auctionableDevices(2)
	devHex := []string{devs[0].PubKey().String(), devs[1].PubKey().String()}
	alice, bob := mustKey(t), mustKey(t)
	aAddr, bAddr := alice.PubKey().Address(), bob.PubKey().Address()
	const start = 10 * ledger.Coin
	r.fund(aAddr, start)
	r.fund(bAddr, start)
	r.fund(devs[0].PubKey().Address(), ledger.Coin)
	r.generate("auction", 1)

	bookDir := t.TempDir()
	openBidder := func() *wallet.Bidder {
		book, err := wallet.OpenBidBook(bookDir, aAddr.Encode(net.AddressHRP))
		if err != nil {
			t.Fatal(err)
		}
		return wallet.NewBidder(net, book)
	}
	ab, bb := openBidder(), newBidder(t, net, bob)
	res, err := ab.Bid(r.ctx, r.c, alice, devHex, 10, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bids) != 2 || !res.Bids[0].FullDeposit || res.Bids[0].Deposit != 1000 || res.Deposit != 2000 { // 10 × 100 points
		t.Fatalf("full-deposit bids: %+v", res)
	}
	if _, err := bb.Bid(r.ctx, r.c, bob, devHex[:1], 7, 1000); err != nil {
		t.Fatal(err)
	}
	ids := [2]wire.Hash{res.Bids[0].Auction, res.Bids[1].Auction}

	// First follower: stops once its reveal is sent, as a person pressing
	// Ctrl-C would.
	f := startFollow(t, r, ab, alice, func(ev wallet.FollowEvent) bool { return ev.Reveal != nil && len(ev.Reveal.TxIDs) > 0 })
	fb := startFollow(t, r, bb, bob, nil)
	bobRunning := true
	syncBob := func(h uint64) { // bob's follower too handles every head before the next
		if bobRunning {
			_, bobRunning = fb.next(t, h)
		}
	}
	for stopped := false; !stopped; {
		r.generate("auction", 1)
		h := tipHeight(r)
		if _, ok := f.next(t, h); !ok {
			stopped = true
		}
		syncBob(h)
	}
	if err := <-f.done; err != nil {
		t.Fatalf("first follower: %v", err)
	}

	// A new follower from the saved book alone carries on.
	f = startFollow(t, r, openBidder(), alice, nil)
	var last wallet.FollowEvent
	delivered := false
	for i := 0; ; i++ {
		if i > 40 {
			t.Fatalf("bids did not end: %+v", last.Bids)
		}
		r.generate("auction", 1)
		h := tipHeight(r)
		syncBob(h)
		ev, ok := f.next(t, h)
		if !ok {
			break
		}
		last = ev
		if ev.Pay != nil && len(ev.Pay.TxIDs) > 0 {
			t.Fatalf("a full-deposit win was paid separately: %+v", ev.Pay)
		}
		var a0 api.AuctionView
		r.call("auction.get", api.AuctionIDParams{ID: res.Bids[0].Auction}, &a0)
		if a0.Status == apitypes.StatusAwaitingPayment {
			t.Fatalf("full-deposit winner awaits payment: %+v", a0.Auction)
		}
		if a0.Status == apitypes.StatusPaid && !delivered {
			tx, err := auction.NewDeliverKeyTx(net, devs[0], r.nonce(devs[0], "auction"), 1000, a0.ID, alice.PubKey(), []byte("access key"), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			r.submit(tx)
			delivered = true
		}
	}
	if err := <-f.done; err != nil {
		t.Fatalf("second follower: %v", err)
	}
	if last.Ended != 2 || last.Total != 2 {
		t.Fatalf("last event: %d of %d ended: %+v", last.Ended, last.Total, last.Bids)
	}
	saved, err := openBidder().Book.Load()
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[wire.Hash]wallet.Outcome{}
	for _, s := range saved {
		outcomes[s.Auction] = s.Outcome
	}
	if outcomes[ids[0]] != wallet.OutcomeDelivered || outcomes[ids[1]] != wallet.OutcomeUndelivered {
		t.Fatalf("outcomes in the book: %v", outcomes)
	}
	// Alice paid Bob's 7 × 100 on the first device, got the reserve back
	// on the second, and paid only commit and reveal fees.
	if got, want := r.balance(aAddr), uint64(start-700-2*1000); got != want {
		t.Fatalf("alice's balance %d, want %d", got, want)
	}
	if err := <-fb.done; err != nil {
		t.Fatalf("bob's follower: %v", err)
	}
	bobs, err := bb.Progress(r.ctx, r.c, bAddr, map[wire.Hash]bool{ids[0]: true})
	if err != nil || len(bobs) != 1 || bobs[0].Outcome != wallet.OutcomeLost || !bobs[0].Done {
		t.Fatalf("bob's bid: %+v %v", bobs, err)
	}
	if got := r.balance(bAddr); got != start-2*1000 {
		t.Fatalf("bob's balance %d, want his two fees off %d", got, start)
	}
}

// TestFollowPaysBondOnlyWin: a bond-only bid that wins is paid by the
// follower inside its payment window (one Pay transaction for the price
// less the bond), and followed to its end (here the device never
// delivers, so the price comes back): nothing is forfeited.
func TestFollowPaysBondOnlyWin(t *testing.T) {
	r := startRegtest(t)
	net := r.n.Net
	devs, _ := r.auctionableDevices(1)
	alice := mustKey(t)
	aAddr := alice.PubKey().Address()
	const start = 10 * ledger.Coin
	r.fund(aAddr, start)
	r.generate("auction", 1)
	ab := newBidder(t, net, alice)
	ab.BondOnly = true
	res, err := ab.Bid(r.ctx, r.c, alice, []string{devs[0].PubKey().String()}, 10, 1000)
	if err != nil || res.Bids[0].FullDeposit || res.Deposit != 100 {
		t.Fatalf("bond-only bid: %+v %v", res, err)
	}
	f := startFollow(t, r, ab, alice, nil)
	paid, sawDue := 0, false
	for i := 0; ; i++ {
		if i > 40 {
			t.Fatal("the bid did not end")
		}
		r.generate("auction", 1)
		ev, ok := f.next(t, tipHeight(r))
		if !ok {
			break
		}
		if ev.Pay != nil {
			paid += len(ev.Pay.TxIDs)
		}
		for _, p := range ev.Bids {
			sawDue = sawDue || p.Stage == "payment_due"
			if p.Outcome == wallet.OutcomeForfeited {
				t.Fatalf("bond forfeited: %+v", p)
			}
		}
	}
	if err := <-f.done; err != nil {
		t.Fatal(err)
	}
	saved, _ := ab.Book.Load()
	if paid != 1 || !sawDue || len(saved) != 1 || saved[0].Outcome != wallet.OutcomeUndelivered {
		t.Fatalf("paid %d times, saw payment_due %v, book %+v", paid, sawDue, saved)
	}
	// Commit, reveal and pay fees; the price (reserve 5 × 100) came back.
	if got := r.balance(aAddr); got != start-3*1000 {
		t.Fatalf("balance %d, want %d", got, start-3*1000)
	}
}
