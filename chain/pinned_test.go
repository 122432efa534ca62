package chain

import (
	"sync/atomic"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestPinnedBlockNeverAbandoned: with a main-chain block pinned (an
// auction block anchored it), a heavier branch forking below it is stored
// but not adopted; once the pin names the fork point, fork choice on the
// next block adopts it.
func TestPinnedBlockNeverAbandoned(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	var pin atomic.Value
	pin.Store(wire.Hash{})
	a.close()
	a.config.Pinned = func() wire.Hash { return pin.Load().(wire.Hash) }
	a.open()

	common := a.mine()
	feed(t, b.c, common)
	syncClocks(a, b)
	ownA := []*wire.Block{a.mine(), a.mine()}
	pin.Store(ownA[0].Hash()) // A's block at height 2 is anchored
	branchB := []*wire.Block{b.mine(), b.mine(), b.mine()}
	feed(t, a.c, branchB...)
	if a.c.Tip().Hash != ownA[1].Hash() {
		t.Fatalf("A abandoned its pinned block for a branch forking at height 1: tip %s", a.c.Tip().Hash)
	}
	pin.Store(common.Hash()) // the anchor is now only at the fork point
	extra := b.mine()
	feed(t, a.c, extra)
	if a.c.Tip().Hash != extra.Hash() {
		t.Fatalf("with the pin at the fork point A must adopt the heavier branch; tip %s", a.c.Tip().Hash)
	}
}

// TestPinOnSideBranchMovesChain: when the pin names a block on a side
// branch (a heavier auction branch anchors it), fork choice moves to the
// best branch containing it even though that branch has less work, keeps
// it while the pin holds, and returns to the heaviest branch once the pin
// names a common block again.
func TestPinOnSideBranchMovesChain(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	var pin atomic.Value
	pin.Store(wire.Hash{})
	a.close()
	a.config.Pinned = func() wire.Hash { return pin.Load().(wire.Hash) }
	a.open()
	common := a.mine()
	feed(t, b.c, common)
	syncClocks(a, b)
	ownA := []*wire.Block{a.mine(), a.mine(), a.mine()}
	branchB := []*wire.Block{b.mine(), b.mine()}
	feed(t, a.c, branchB...)
	mustEqual(t, "tip with no pin", a.c.Tip().Hash, ownA[2].Hash())
	more := a.template() // on ownA[2], processed later

	pin.Store(branchB[0].Hash())
	if err := a.c.PinChanged(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "tip pinned to the lighter branch", a.c.Tip().Hash, branchB[1].Hash())
	// A block on the heavy branch does not pull the chain off the pin.
	if _, err := a.c.ProcessBlock(t.Context(), more); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "tip still pinned", a.c.Tip().Hash, branchB[1].Hash())

	pin.Store(common.Hash())
	if err := a.c.PinChanged(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "tip back on the heaviest branch", a.c.Tip().Hash, more.Hash())
}
