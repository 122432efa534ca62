package chain

import (
	"context"
	"errors"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

func feed(t *testing.T, c *Chain, blocks ...*wire.Block) {
	t.Helper()
	for _, b := range blocks {
		if _, err := c.ProcessBlock(context.Background(), b); err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
			t.Fatalf("feed block %d: %v", b.Header.Height, err)
		}
	}
}

// TestReorgToHeavierBranch builds two branches from a common ancestor on
// two nodes, then shows node A the heavier branch B: A must switch, undo
// exactly what its own branch did and end with state identical to B's.
func TestReorgToHeavierBranch(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	user, _ := newKey(t)
	common := []*wire.Block{a.mine(signTx(a.c, user, txSet, 0, 0, "shared=1")), a.mine()}
	feed(t, b.c, common...)
	b.clock = a.clock

	var events []Event
	a.c.Subscribe(func(ev Event) { events = append(events, ev) })

	txA := signTx(a.c, user, txSet, 1, 3, "onlyA=x")
	branchA := []*wire.Block{a.mine(txA), a.mine()}
	txB := signTx(b.c, user, txSet, 1, 5, "onlyB=y")
	branchB := []*wire.Block{b.mine(txB), b.mine(), b.mine()}

	if v, ok := a.state("kv/onlyA"); !ok || v != "x" {
		t.Fatal("branch A's state missing before the reorg")
	}
	events = nil
	feed(t, a.c, branchB...)

	mustEqual(t, "tip after reorg", a.c.Tip().Hash, b.c.Tip().Hash)
	if len(events) == 0 {
		t.Fatal("no event for the reorganisation")
	}
	ev := events[len(events)-1]
	if len(ev.Reverted) != 2 || ev.Reverted[0].Hash() != branchA[1].Hash() || ev.Reverted[1].Hash() != branchA[0].Hash() {
		t.Fatalf("reverted list wrong: %d blocks", len(ev.Reverted))
	}
	if len(ev.Applied) != 3 || ev.Applied[0].Hash() != branchB[0].Hash() || ev.Applied[2].Hash() != branchB[2].Hash() {
		t.Fatalf("applied list wrong: %d blocks", len(ev.Applied))
	}
	if _, ok := a.state("kv/onlyA"); ok {
		t.Fatal("state written only on the losing branch survived the reorg")
	}
	if v, ok := a.state("kv/onlyB"); !ok || v != "y" {
		t.Fatal("state of the winning branch missing")
	}
	mustEqual(t, "shared state", mustState(t, a, "kv/shared"), "1")
	// Reward counters are a replay of the winning branch on both nodes.
	mustEqual(t, "A's reward after reorg", a.reward(a.key.PubKey().Address()), uint64(2))
	mustEqual(t, "B's reward seen by A", a.reward(b.key.PubKey().Address()), uint64(3+5))
	mustEqual(t, "state commitment", a.c.TipHeader().StateRoot, b.c.TipHeader().StateRoot)
	if _, _, err := a.c.TxLocation(txA.ID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("losing-branch tx still indexed: %v", err)
	}
	if bh, _, err := a.c.TxLocation(txB.ID()); err != nil || bh != branchB[0].Hash() {
		t.Fatalf("winning-branch tx not indexed: %v", err)
	}
	a.reopen()
	mustEqual(t, "tip after restart", a.c.Tip().Hash, b.c.Tip().Hash)
	mustEqual(t, "state after restart", mustState(t, a, "kv/onlyB"), "y")
}

func mustState(t *testing.T, h *harness, key string) string {
	t.Helper()
	v, ok := h.state(key)
	if !ok {
		t.Fatalf("state %q missing", key)
	}
	return v
}

func TestEqualWorkKeepsFirstSeen(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	mine := a.mine()
	other := b.mine()
	feed(t, a.c, other)
	mustEqual(t, "tip", a.c.Tip().Hash, mine.Hash())
	if a.c.IsMainChain(other.Hash()) {
		t.Fatal("equal-work side block became main chain")
	}
}

// TestReorgStopsAtInvalidBlock: a heavier branch whose middle block breaks
// a state rule must not be adopted past that block, and its descendants
// are marked invalid.
func TestReorgStopsAtInvalidBlock(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	user, _ := newKey(t)
	a.mine()
	a.mine()
	good := b.mine()
	bad := b.template()
	bad.Txs = []*wire.Tx{signTx(b.c, user, txReject, 0, 0, "x=1")}
	fixRoot(bad)
	b.resolve(bad) // state root is that of an empty block: wrong after txReject fails
	child := &wire.Block{Header: bad.Header}
	child.Header.Height++
	child.Header.PrevHash = bad.Hash()
	child.Header.Timestamp += 1000
	child.Header.TxRoot = wire.Hash{}
	b.resolve(child)

	feed(t, a.c, good)
	// Equal work to A's tip: stored as a side branch, not yet checked
	// against state (that happens only if it would become the best chain).
	if res, err := a.c.ProcessBlock(context.Background(), bad); err != nil || res.MainTip {
		t.Fatalf("side-branch block: %+v %v", res, err)
	}
	_, err := a.c.ProcessBlock(context.Background(), child)
	if !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("child of invalid block: got %v", err)
	}
	mustEqual(t, "tip stays on the valid chain", a.c.Tip().Height, uint64(2))
	if a.c.IsMainChain(good.Hash()) {
		t.Fatal("the valid prefix of the failed branch must not displace the heavier original chain")
	}
}

// TestOrphansResolveAndStayBounded delivers a branch in reverse order and
// then floods the pool with unconnectable blocks.
func TestOrphansResolveAndStayBounded(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	var blocks []*wire.Block
	for i := 0; i < 6; i++ {
		blocks = append(blocks, b.mine())
	}
	for i := len(blocks) - 1; i > 0; i-- {
		res, err := a.c.ProcessBlock(context.Background(), blocks[i])
		if err != nil || !res.Orphan {
			t.Fatalf("block %d out of order: res %+v err %v", i, res, err)
		}
	}
	mustEqual(t, "orphan root", a.c.OrphanRoot(blocks[5].Hash()), blocks[0].Hash())
	feed(t, a.c, blocks[0])
	mustEqual(t, "tip after the parent arrived", a.c.Tip().Hash, blocks[5].Hash())
	mustEqual(t, "orphans left", a.c.OrphanCount(), 0)

	limit := net.Metadata.OrphanLimit
	for i := 0; i < 10*limit; i++ {
		blk := b.template()
		blk.Header.PrevHash = wire.DoubleSHA256([]byte{byte(i), byte(i >> 8)})
		b.resolve(blk)
		if res, err := a.c.ProcessBlock(context.Background(), blk); err != nil || !res.Orphan {
			t.Fatalf("flood block %d: %+v %v", i, res, err)
		}
		if n := a.c.OrphanCount(); n > limit {
			t.Fatalf("orphan pool grew to %d, limit %d", n, limit)
		}
	}
	mustEqual(t, "tip unchanged by the flood", a.c.Tip().Hash, blocks[5].Hash())
}
