package node

import (
	"context"
	"testing"

	"github.com/thingchain/thingchain/consensus"
)

// TestAuctionBlocksAnchorMetadata: blocks mined by the node anchor the
// metadata block AnchorDepth below the metadata tip; the anchor only moves
// forward, and the metadata chain is pinned at it (by hash).
func TestAuctionBlocksAnchorMetadata(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	k := n.Net.Auction.AnchorDepth
	if _, err := n.Generate(ctx, consensus.MetadataChain, int(k)+3); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Generate(ctx, consensus.AuctionChain, 1); err != nil {
		t.Fatal(err)
	}
	hdr := n.Auction.TipHeader()
	want := n.Metadata.Tip().Height - k
	if hdr.Anchor.Height != want {
		t.Fatalf("anchor height %d, want metadata tip %d - k %d", hdr.Anchor.Height, n.Metadata.Tip().Height, k)
	}
	if h, err := n.Metadata.HashAtHeight(want); err != nil || h != hdr.Anchor.Hash {
		t.Fatalf("anchor hash %s is not the metadata main-chain block at %d (%s, %v)", hdr.Anchor.Hash, want, h, err)
	}
	if got := n.link.Pinned(); got != hdr.Anchor.Hash {
		t.Fatalf("metadata pinned at %s, want the anchor %s", got, hdr.Anchor.Hash)
	}
	// No new metadata blocks: the next auction block keeps the anchor.
	if _, err := n.Generate(ctx, consensus.AuctionChain, 1); err != nil {
		t.Fatal(err)
	}
	a, err := lastAnchor(n.Auction)
	if err != nil || a.Height != want {
		t.Fatalf("effective anchor after an auction block without new metadata: %+v %v", a, err)
	}
}
