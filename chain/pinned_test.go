package chain

import (
	"sync/atomic"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestPinnedBlockNeverAbandoned: with the main chain pinned at a height
// (an auction block anchored it), a heavier branch forking below that
// height is stored but not adopted; once the pin moves below the fork
// point, fork choice on the next block adopts it.
func TestPinnedBlockNeverAbandoned(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	var pin atomic.Uint64
	a.close()
	a.config.Pinned = pin.Load
	a.open()

	common := a.mine()
	feed(t, b.c, common)
	syncClocks(a, b)
	ownA := []*wire.Block{a.mine(), a.mine()}
	pin.Store(2) // A's block at height 2 is anchored
	branchB := []*wire.Block{b.mine(), b.mine(), b.mine()}
	feed(t, a.c, branchB...)
	if a.c.Tip().Hash != ownA[1].Hash() {
		t.Fatalf("A abandoned its pinned block for a branch forking at height 1: tip %s", a.c.Tip().Hash)
	}
	pin.Store(1) // the anchor is now only at the fork point
	extra := b.mine()
	feed(t, a.c, extra)
	if a.c.Tip().Hash != extra.Hash() {
		t.Fatalf("with the pin at the fork point A must adopt the heavier branch; tip %s", a.c.Tip().Hash)
	}
}
