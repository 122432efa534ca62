package auction

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// snapshot renders everything the auction state says about some auctions
// and addresses, for comparing nodes.
func (n *tnode) snapshot(ids []wire.Hash, addrs map[keys.Address]bool, devs []keys.PubKey) string {
	n.t.Helper()
	out := ""
	n.view(func(v *chain.View) error {
		for _, id := range ids {
			a, err := GetAuction(v, id)
			if err != nil {
				return err
			}
			out += fmt.Sprintf("auction %+v\n", a)
			if a == nil {
				continue
			}
			bids, err := BidsOfAuction(v, a)
			if err != nil {
				return err
			}
			for _, b := range bids {
				out += fmt.Sprintf("  bid %+v\n", *b)
			}
			d, err := GetDelivery(v, id)
			if err != nil {
				return err
			}
			out += fmt.Sprintf("  delivery %+v\n", d)
		}
		sorted := slices.SortedFunc(maps.Keys(addrs), func(a, b keys.Address) int { return slices.Compare(a[:], b[:]) })
		for _, a := range sorted {
			acct, err := ledger.GetAccount(v, a)
			if err != nil {
				return err
			}
			out += fmt.Sprintf("acct %x %+v\n", a, acct)
		}
		for _, d := range devs {
			s, err := Strikes(v, d)
			if err != nil {
				return err
			}
			c, err := AuctionCount(v, d)
			if err != nil {
				return err
			}
			out += fmt.Sprintf("device %s strikes %d auctions %d\n", d, s, c)
		}
		e, err := Escrow(v)
		if err != nil {
			return err
		}
		p, err := MetadataPool(v)
		if err != nil {
			return err
		}
		la, err := LastAnchor(v)
		out += fmt.Sprintf("escrow %d pool %d anchor %v\n", e, p, la)
		return err
	})
	return out
}

func feed(t testing.TB, c *chain.Chain, blocks ...*wire.Block) {
	t.Helper()
	for _, b := range blocks {
		if _, err := c.ProcessBlock(context.Background(), b); err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
			t.Fatalf("feed block %d: %v", b.Header.Height, err)
		}
	}
}

// TestReorgAcrossSettlement: two branches settle the same auction
// differently (on one, a bid is revealed in the close block and the key
// delivered; on the other, that bid is forfeited). A node reorganises from
// the first to the second and back; each time its state equals, entry by
// entry as the read helpers see it and by state root, that of a node that
// only ever saw the winning branch; and before the fork it equals its own
// snapshot from before.
func TestReorgAcrossSettlement(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	net := w.net
	us := w.users(2, 1_000_000)
	alice, bob := us[0], us[1]
	dev, owner := w.device()
	w.step()
	aAddr, bAddr := alice.PubKey().Address(), bob.PubKey().Address()
	sa := SealBid(aAddr, dev.PubKey(), 0, 30, 3000, NewSalt())
	sb := SealBid(bAddr, dev.PubKey(), 0, 50, 5000, NewSalt())
	w.step(NewCommitTx(net, alice, 0, 0, sa), NewCommitTx(net, bob, 0, 0, sb))
	au := w.auction(sa.Auction)
	w.stepTo(au.CommitEnd - 1)
	w.step(NewRevealTx(net, alice, 1, 0, sa))
	w.stepTo(au.CloseHeight - 1)
	ids := []wire.Hash{sa.Auction}
	devs := []keys.PubKey{dev.PubKey()}
	_ = owner

	// Node B and C share the prefix.
	var prefix []*wire.Block
	for h := uint64(1); h <= w.c.Tip().Height; h++ {
		blk, err := w.c.BlockByHeight(h)
		if err != nil {
			t.Fatal(err)
		}
		prefix = append(prefix, blk)
	}
	nb := newTNode(t, net, w.fm)
	nc := newTNode(t, net, w.fm)
	nb.miner, nc.miner = mustKey(t), w.miner
	w.track(nb.miner.PubKey().Address())
	feed(t, nb.c, prefix...)
	feed(t, nc.c, prefix...)
	atFork := w.snapshot(ids, w.addrs, devs)

	// Branch A (on w): bob reveals in the close block, wins, key delivered.
	closeA := w.step(NewRevealTx(net, bob, 1, 0, sb))
	if a := w.auction(sa.Auction); a.Winner != bAddr || a.Status != StatusPaid {
		t.Fatalf("branch A settlement: %+v", a)
	}
	dtx, err := NewDeliverKeyTx(net, dev, 0, 0, sa.Auction, bob.PubKey(), []byte("key"), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	delivA := w.step(dtx)
	feed(t, nc.c, closeA, delivA)

	// Branch B: no reveal from bob; it is forfeited and alice wins. Longer.
	var branchB []*wire.Block
	for i := 0; i < 3; i++ {
		branchB = append(branchB, nb.mine())
	}
	if a := nb.auction(sa.Auction); a.Winner != aAddr || a.Status != StatusPaid {
		t.Fatalf("branch B settlement: %+v", a)
	}
	feed(t, w.c, branchB...)
	if w.c.Tip().Hash != nb.c.Tip().Hash {
		t.Fatal("A did not reorganise onto B's branch")
	}
	w.check("after reorg to B")
	if got, want := w.snapshot(ids, w.addrs, devs), nb.snapshot(ids, w.addrs, devs); got != want {
		t.Fatalf("after reorg to B:\n%s\nnode B:\n%s", got, want)
	}
	if w.c.TipHeader().StateRoot != nb.c.TipHeader().StateRoot {
		t.Fatal("state roots differ")
	}

	// C extends branch A past B; A reorganises back across the settlement.
	var branchC []*wire.Block
	for i := 0; i < 3; i++ {
		branchC = append(branchC, nc.mine())
	}
	feed(t, w.c, branchC...)
	if w.c.Tip().Hash != nc.c.Tip().Hash {
		t.Fatal("A did not reorganise back")
	}
	w.check("after reorg back")
	if got, want := w.snapshot(ids, w.addrs, devs), nc.snapshot(ids, w.addrs, devs); got != want {
		t.Fatalf("after reorg back:\n%s\nnode C:\n%s", got, want)
	}
	// Unwinding to the fork point restores the pre-settlement state exactly:
	// a fresh node fed only the prefix agrees with the snapshot taken then.
	nd := newTNode(t, net, w.fm)
	feed(t, nd.c, prefix...)
	if got := nd.snapshot(ids, w.addrs, devs); got != atFork {
		t.Fatalf("prefix state differs:\n%s\nvs\n%s", got, atFork)
	}
}
