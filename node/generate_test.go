package node

import (
	"context"
	"testing"

	"github.com/thingchain/thingchain/consensus"
)

// TestGenerateOnMiningNode: admin.generate (Node.Generate) on a node whose
// own miner runs never fails with ErrDuplicateBlock or a lost tip race:
// the miner is paused while the blocks are generated, and each generated
// block is on the main chain afterwards.
func TestGenerateOnMiningNode(t *testing.T) {
	n, stop := runNodeConfig(t, Config{DataDir: t.TempDir(), Mine: true, MineThreads: 2})
	defer stop()
	for round := 0; round < 8; round++ {
		for _, kind := range []consensus.ChainKind{consensus.MetadataChain, consensus.AuctionChain} {
			hashes, err := n.Generate(context.Background(), kind, 3)
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, kind, err)
			}
			c := n.Metadata
			if kind == consensus.AuctionChain {
				c = n.Auction
			}
			for _, h := range hashes {
				hdr, err := c.HeaderByHash(h)
				if err != nil {
					t.Fatal(err)
				}
				if at, err := c.HashAtHeight(hdr.Height); err != nil || at != h {
					t.Fatalf("round %d, %s: generated block %s at height %d is not on the main chain", round, kind, h, hdr.Height)
				}
			}
		}
	}
}
