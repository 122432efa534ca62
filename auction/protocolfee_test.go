package auction

import (
	"crypto/rand"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/consensus"
)

// TestProtocolFeeMetadataShare: with ProtocolFeeMetadataPermille set, that
// share of a delivered auction's protocol fee reaches the metadata miners
// (through the pool) and only the rest the delivering block's miner; the
// owner's proceeds do not change.
func TestProtocolFeeMetadataShare(t *testing.T) {
	for _, tc := range []struct {
		permille uint64
		toMeta   uint64 // of the protocol fee of 20 (2 % of the reserve price 1000)
	}{{0, 0}, {500, 10}, {1000, 20}} {
		net := consensus.RegTest()
		net.Auctions.ProtocolFeeMetadataPermille = tc.permille
		w := newWorld(t, net)
		alice := w.users(1, 1_000_000)[0]
		dev, owner := w.device()
		w.step()
		bid := SealBid(alice.PubKey().Address(), dev.PubKey(), 0, 40, 4000, NewSalt())
		w.step(NewCommitTx(w.net, alice, 0, 0, bid))
		au := w.auction(bid.Auction)
		w.stepTo(au.CommitEnd - 1)
		w.step(NewRevealTx(w.net, alice, 1, 0, bid))
		w.stepTo(au.CloseHeight)
		if au = w.auction(bid.Auction); au.Status != StatusPaid || au.Price != 1000 {
			t.Fatalf("permille %d: auction at close %+v", tc.permille, au)
		}
		tx, err := NewDeliverKeyTx(w.net, dev, 0, 0, bid.Auction, alice.PubKey(), []byte("key"), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		metaBal := func() uint64 {
			var pool uint64
			w.view(func(v *chain.View) (err error) { pool, err = MetadataPool(v); return })
			return pool + w.balance(w.metaMin)
		}
		minerBefore, ownerBefore, metaBefore := w.balance(w.miner.PubKey().Address()), w.balance(owner.PubKey().Address()), metaBal()
		w.step(tx)
		const fee = 20
		toMeta := tc.toMeta
		if got := w.balance(w.miner.PubKey().Address()) - minerBefore; got != fee-toMeta {
			t.Errorf("permille %d: miner got %d, want %d", tc.permille, got, fee-toMeta)
		}
		if got := metaBal() - metaBefore; got != toMeta {
			t.Errorf("permille %d: metadata miners and pool got %d, want %d", tc.permille, got, toMeta)
		}
		if got := w.balance(owner.PubKey().Address()) - ownerBefore; got != au.Price-fee {
			t.Errorf("permille %d: owner got %d, want %d", tc.permille, got, au.Price-fee)
		}
	}
}
