package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
)

// TestLateJoinerSyncsAnchoredChains: a node that joins after both chains
// have grown — auction blocks anchoring metadata blocks — syncs both from
// genesis. Auction blocks whose anchor it has not synced yet wait (not
// invalid) and connect once the metadata chain catches up.
func TestLateJoinerSyncsAnchoredChains(t *testing.T) {
	n0 := nodetest.Start(t, node.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for range 5 {
		if _, err := n0.Generate(ctx, consensus.MetadataChain, 3); err != nil {
			t.Fatal(err)
		}
		if _, err := n0.Generate(ctx, consensus.AuctionChain, 2); err != nil {
			t.Fatal(err)
		}
	}
	var anchor wire.Anchor
	if err := n0.Auction.ReadState(func(v *chain.View, _ chain.TipInfo) (err error) { anchor, err = auction.LastAnchor(v); return err }); err != nil || anchor.Height < 10 {
		t.Fatalf("the auction chain anchors metadata height %d (%v), want at least 10", anchor.Height, err)
	}
	n1 := nodetest.Start(t, node.Config{Bootstrap: n0.P2PAddrs()[:1]})
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n1.Metadata.Tip().Hash != n0.Metadata.Tip().Hash || n1.Auction.Tip().Hash != n0.Auction.Tip().Hash {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("late joiner at metadata %d / auction %d, want %d / %d", n1.Metadata.Tip().Height, n1.Auction.Tip().Height, n0.Metadata.Tip().Height, n0.Auction.Tip().Height)
		}
	}
}
