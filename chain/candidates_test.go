package chain

import (
	"testing"

	"github.com/thingchain/thingchain/consensus"
)

func candidateCount(c *Chain) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bestCandidate() // prunes
	return len(c.candidates)
}

// TestForkChoiceCandidatesAreSideBranches holds fork choice to what
// candidates.go promises: it searches the blocks off the main chain, not
// the block index. A long main chain leaves no candidate; a side branch
// leaves its blocks; after a reorg onto it the old branch's blocks are the
// candidates, also after a restart.
func TestForkChoiceCandidatesAreSideBranches(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	for range 20 {
		feed(t, b.c, a.mine())
	}
	if n := candidateCount(a.c); n != 0 {
		t.Fatalf("a main chain of 20 blocks leaves %d candidates, want 0", n)
	}
	syncClocks(a, b)
	a1, a2 := a.mine(), a.mine() // A's branch, which B does not see
	b1, b2, b3 := b.mine(), b.mine(), b.mine()
	feed(t, a.c, b1, b2)
	if n := candidateCount(a.c); n != 2 {
		t.Fatalf("a side branch of 2 blocks: %d candidates, want 2", n)
	}
	feed(t, a.c, b3) // heavier: A reorganises onto B's branch
	if a.c.Tip().Hash != b3.Hash() {
		t.Fatal("no reorg onto the heavier branch")
	}
	if n := candidateCount(a.c); n != 2 {
		t.Fatalf("after the reorg: %d candidates (want A's 2 old blocks %s %s)", n, a1.Hash(), a2.Hash())
	}
	a.reopen()
	if n := candidateCount(a.c); n != 2 {
		t.Fatalf("after a restart: %d candidates, want 2", n)
	}
}
