package wallet_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/ledger/ledgertx"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
	"github.com/thingchain/thingchain/wallet"
)

// watchEvents runs b.Watch on its own WebSocket connection until the test
// ends and forwards every event, tagged with who, to events.
func watchEvents(t *testing.T, r *regtest, ctx context.Context, b *wallet.Bidder, key *keys.PrivateKey, who int, events chan<- taggedEvent) (stop func()) {
	t.Helper()
	ws, err := rpc.Dial(r.ctx, "ws"+strings.TrimPrefix(r.n.RPCURL, "http"), rpc.WithToken(r.n.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer ws.Close()
		b.Watch(ctx, ws, key, 1000, 100*time.Millisecond, func(ev wallet.WatchEvent) bool {
			select {
			case events <- taggedEvent{who, ev}:
			case <-ctx.Done():
			}
			return false
		})
	}()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

type taggedEvent struct {
	who int
	ev  wallet.WatchEvent
}

// settledStage: the bid's auction has closed (won and paid from the
// full deposit, or lost), or the bid ended otherwise.
func settledStage(stage string) bool {
	switch stage {
	case "committing", "committed", "revealing", "revealed", "payment_due", "fallback":
		return false
	}
	return true
}

// TestWatchRevealsEveryBidWhileBlocksComeFast: six bidders, each with its
// own Watch over WebSocket, bid on every one of twelve devices in three
// rounds while the node mines an auction block every 500 ms — regtest's
// 3-block reveal window is then 1.5 s. Every bid that reached
// the chain is revealed in its window (none forfeited), and every auction
// with a bid settles with a sale. The test waits on the watchers' events,
// with a timeout; the ticker only paces the block production.
func TestWatchRevealsEveryBidWhileBlocksComeFast(t *testing.T) {
	const (
		nDevices = 12
		nBidders = 6
		rounds   = 3
	)
	r := startRegtest(t)
	net := r.n.Net
	devs, _ := r.auctionableDevices(nDevices)
	var devHex []string
	for _, d := range devs {
		devHex = append(devHex, d.PubKey().String())
	}
	keysOf := make([]*keys.PrivateKey, nBidders)
	bidders := make([]*wallet.Bidder, nBidders)
	for i := range keysOf {
		keysOf[i] = mustKey(t)
		r.fund(keysOf[i].PubKey().Address(), 100*ledger.Coin)
		bidders[i] = newBidder(t, net, keysOf[i])
	}
	r.generate("auction", 1)

	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	events := make(chan taggedEvent, 256)
	for i := range bidders {
		watchEvents(t, r, ctx, bidders[i], keysOf[i], i, events)
	}
	// The block clock.
	var mined sync.WaitGroup
	mined.Add(1)
	go func() {
		defer mined.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := r.n.Generate(ctx, consensus.AuctionChain, 1); err != nil && ctx.Err() == nil {
					t.Errorf("generate: %v", err)
					return
				}
			}
		}
	}()
	defer mined.Wait()
	defer cancel()

	stage := make([]map[wire.Hash]string, nBidders) // bidder → auction → stage
	for i := range stage {
		stage[i] = map[wire.Hash]string{}
	}
	auctions := map[wire.Hash]bool{}
	reveals := 0
	for round := 0; round < rounds; round++ {
		placed := 0
		for i, b := range bidders {
			res, err := b.Bid(r.ctx, r.c, keysOf[i], devHex, uint64(10+i), 1000)
			switch {
			case err == nil:
			case errors.Is(err, wallet.ErrNothingToBid) || strings.Contains(err.Error(), "ErrBadPhase"):
				// The auctions' commit phases ended before this
				// bidder's turn (a slow machine): nothing escrowed.
				t.Logf("round %d, bidder %d: %v", round, i, err)
			default:
				t.Fatalf("round %d, bidder %d: %v", round, i, err)
			}
			for _, pb := range res.Bids {
				stage[i][pb.Auction] = "committing"
				auctions[pb.Auction] = true
			}
			placed += len(res.Bids)
		}
		if placed < nDevices {
			t.Fatalf("round %d: %d bids placed, want at least one per device", round, placed)
		}
		// Wait until every bid's auction has closed.
		timeout := time.NewTimer(60 * time.Second)
		for open := true; open; {
			select {
			case te := <-events:
				if te.ev.Err != nil {
					t.Logf("bidder %d at height %d: %v", te.who, te.ev.Height, te.ev.Err)
				}
				if te.ev.Reveal != nil {
					reveals += len(te.ev.Reveal.Revealed)
				}
				for _, p := range te.ev.Progress {
					if p.Outcome == wallet.OutcomeForfeited {
						t.Fatalf("bidder %d forfeited in auction %s: %s", te.who, p.Auction, p.Detail)
					}
					stage[te.who][p.Auction] = p.Stage
				}
				open = false
				for i := range stage {
					for _, s := range stage[i] {
						if !settledStage(s) {
							open = true
						}
					}
				}
			case <-timeout.C:
				t.Fatalf("round %d: bids not settled in 60 s: %v", round, stage)
			}
		}
		timeout.Stop()
	}
	cancel()

	sold, withBids := 0, 0
	for id := range auctions {
		var a api.AuctionView
		r.call("auction.get", api.AuctionIDParams{ID: id}, &a)
		for _, b := range a.BidList {
			if b.Status == apitypes.BidForfeited || b.Status == apitypes.BidSealed {
				t.Errorf("auction %s: bid of %s is %s", id, b.Bidder, b.Status)
			}
		}
		if a.Bids == 0 {
			continue
		}
		withBids++
		if a.Status == apitypes.StatusNoSale || a.Status == apitypes.StatusOpen {
			t.Errorf("auction %s with %d bids: %s", id, a.Bids, a.Status)
		} else {
			sold++
		}
	}
	if withBids < rounds*nDevices || sold != withBids {
		t.Fatalf("%d of %d auctions with bids sold (want all, at least %d)", sold, withBids, rounds*nDevices)
	}
	if reveals == 0 {
		t.Fatal("no reveal was reported")
	}
	t.Logf("%d auctions with bids, all sold; %d reveals", withBids, reveals)
}

// TestWatchRevealsAgainAfterReorg: a reveal mined in a block that a
// reorganisation takes away, on a branch where the bidder's nonce went to
// another transaction (so the node cannot take the old reveal back into
// its pool), is revealed again in the window with a fresh nonce, and the
// auction sells. Once by the watcher that sent it (from memory), once by
// a new watcher started after the reorg from the bid book alone (a
// restart).
func TestWatchRevealsAgainAfterReorg(t *testing.T) {
	for _, restart := range []bool{false, true} {
		name := "same watcher"
		if restart {
			name = "restarted watcher"
		}
		t.Run(name, func(t *testing.T) { revealAgainAfterReorg(t, restart) })
	}
}

func revealAgainAfterReorg(t *testing.T, restart bool) {
	r := startRegtest(t)
	net := r.n.Net
	devs, _ := r.auctionableDevices(1)
	alice := mustKey(t)
	aAddr := alice.PubKey().Address()
	r.fund(aAddr, 10*ledger.Coin)
	r.generate("auction", 1)
	bookDir := t.TempDir()
	openBidder := func() *wallet.Bidder {
		book, err := wallet.OpenBidBook(bookDir, aAddr.Encode(net.AddressHRP))
		if err != nil {
			t.Fatal(err)
		}
		return wallet.NewBidder(net, book)
	}
	ab := openBidder()
	res, err := ab.Bid(r.ctx, r.c, alice, []string{devs[0].PubKey().String()}, 10, 1000)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Bids[0].Auction

	events := make(chan taggedEvent, 64)
	stopWatch := watchEvents(t, r, r.ctx, ab, alice, 0, events)
	// next mines a block (unless mine is false) and waits for the
	// watcher's event at the new tip; sent collects the reveal
	// transactions of every event on the way.
	var sent []wire.Hash
	next := func(mine bool) wallet.WatchEvent {
		t.Helper()
		if mine {
			r.generate("auction", 1)
		}
		h := tipHeight(r)
		timeout := time.After(30 * time.Second)
		for {
			select {
			case te := <-events:
				if te.ev.Err != nil {
					t.Logf("watcher at height %d: %v", te.ev.Height, te.ev.Err)
				}
				sent = append(sent, te.ev.Reveal.TxIDs...)
				if te.ev.Height >= h {
					return te.ev
				}
			case <-timeout:
				t.Fatalf("no watcher event for height %d in 30 s", h)
			}
		}
	}
	next(false)
	var revealTx wire.Hash
	for i := 0; revealTx.IsZero(); i++ {
		if i > 10 {
			t.Fatal("no reveal sent")
		}
		if next(true); len(sent) > 0 {
			revealTx = sent[0]
		}
	}
	fork := r.n.Auction.TipHeight()

	// Node B shares the chains up to the fork.
	b := nodetest.Start(t, node.Config{})
	copyBlocks(t, r.n.Metadata, b.Metadata, 1, r.n.Metadata.TipHeight())
	copyBlocks(t, r.n.Auction, b.Auction, 1, fork)

	// A mines the reveal; the watcher sees the bid revealed.
	next(true)
	var a api.AuctionView
	r.call("auction.get", api.AuctionIDParams{ID: id}, &a)
	if len(a.BidList) != 1 || a.BidList[0].Status != apitypes.BidRevealed {
		t.Fatalf("after the reveal block: %+v", a.BidList)
	}
	if restart {
		stopWatch()
	}

	// B's branch, one block longer, spends the reveal's nonce on a
	// transfer instead.
	var n uint64
	r.call("account.nextNonce", api.NonceParams{PubKey: alice.PubKey().String(), Chain: "auction"}, &n)
	tr := ledgertx.NewTransfer(net, alice, mustKey(t).PubKey().Address(), 1, 1000, n-1)
	if err := b.AuctionPool.Add(tr); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Generate(r.ctx, consensus.AuctionChain, 2); err != nil {
		t.Fatal(err)
	}
	copyBlocks(t, b.Auction, r.n.Auction, fork+1, b.Auction.TipHeight())
	if r.n.Auction.Tip().Hash != b.Auction.Tip().Hash {
		t.Fatal("node A did not reorganise to B's branch")
	}
	r.call("auction.get", api.AuctionIDParams{ID: id}, &a)
	if a.BidList[0].Status != apitypes.BidSealed || a.Status != apitypes.StatusOpen || a.CloseHeight != r.n.Auction.TipHeight()+1 {
		t.Fatalf("after the reorg: bid %s, auction %s closing at %d (tip %d)", a.BidList[0].Status, a.Status, a.CloseHeight, r.n.Auction.TipHeight())
	}

	if restart {
		events = make(chan taggedEvent, 64)
		watchEvents(t, r, r.ctx, openBidder(), alice, 0, events)
	}
	sent = nil
	next(false)
	if len(sent) != 1 || sent[0] == revealTx {
		t.Fatalf("after the reorg the watcher sent %v (first reveal %s)", sent, revealTx)
	}
	next(true)
	r.call("auction.get", api.AuctionIDParams{ID: id}, &a)
	if a.Status != apitypes.StatusPaid || a.BidList[0].Status != apitypes.BidWon {
		t.Fatalf("at the close: auction %s, bid %s", a.Status, a.BidList[0].Status)
	}
}

// copyBlocks feeds dst the main-chain blocks of src at heights from..to.
func copyBlocks(t *testing.T, src, dst *chain.Chain, from, to uint64) {
	t.Helper()
	for h := from; h <= to; h++ {
		blk, err := src.BlockByHeight(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dst.ProcessBlock(context.Background(), blk); err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
			t.Fatalf("block %d: %v", h, err)
		}
	}
}
