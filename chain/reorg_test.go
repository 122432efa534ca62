package chain

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

func mustHashes(t testing.TB, what string, got []*wire.Block, want []*wire.Block) {
	t.Helper()
	if !slices.Equal(hashes(got), hashes(want)) {
		t.Fatalf("%s: got %d blocks %v, want %d blocks %v", what, len(got), hashes(got), len(want), hashes(want))
	}
}

// blockStatus reads a block's index status (0 if unknown).
func blockStatus(c *Chain, h wire.Hash) uint8 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if n := c.index[h]; n != nil {
		return n.status
	}
	return 0
}

// TestReorgToHeavierBranch builds two branches from a common ancestor on
// two nodes sharing genesis, then shows node A the heavier branch B: A
// must wait while B is only as heavy (first seen wins), then switch in one
// Event, undo exactly what its own branch did, and end with a state
// identical, entry by entry, to B's and to a fresh replay of B's chain,
// also after a restart.
func TestReorgToHeavierBranch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		lenA, lenB int
	}{{"short", 3, 4}, {"deep", 12, 15}} {
		t.Run(tc.name, func(t *testing.T) {
			net := consensus.RegTest()
			a, b := newHarness(t, net), newHarness(t, net)
			user, _ := newKey(t)
			user2, _ := newKey(t)
			user3, _ := newKey(t)
			common := []*wire.Block{a.mine(signTx(a.c, user, txSet, 0, 0, "shared=1")), a.mine()}
			feed(t, b.c, common...)
			syncClocks(a, b)
			events := subscribe(a.c)

			// Branch A: its own keys, a key both branches write, and a tx
			// (inBoth) that both branches include in different blocks.
			inBoth := signTx(a.c, user3, txSet, 0, 0, "inboth=1")
			txA := signTx(a.c, user, txSet, 1, 3, "onlyA=x")
			branchA := []*wire.Block{a.mine(txA, inBoth), a.mine(signTx(a.c, user2, txSet, 0, 0, "both=fromA"))}
			for len(branchA) < tc.lenA {
				branchA = append(branchA, a.mine(signTx(a.c, user2, txSet, uint64(len(branchA)-1), 1, "a/"+string(rune('a'+len(branchA)))+"=1")))
			}
			txB := signTx(b.c, user, txSet, 1, 5, "onlyB=y")
			branchB := []*wire.Block{b.mine(txB), b.mine(signTx(b.c, user2, txSet, 0, 0, "both=fromB"), inBoth)}
			for len(branchB) < tc.lenB {
				branchB = append(branchB, b.mine())
			}
			syncClocks(a, b)

			mustEqual(t, "A's own state before the reorg", mustState(t, a, "kv/onlyA"), "x")
			mustEqual(t, "events before the reorg", len(*events), tc.lenA)
			*events = nil

			// As heavy as A's branch: stored, not adopted.
			for _, blk := range branchB[:tc.lenA] {
				res, err := a.c.ProcessBlock(context.Background(), blk)
				if err != nil || !res.Accepted || res.MainTip {
					t.Fatalf("side block %d: %+v %v", blk.Header.Height, res, err)
				}
			}
			mustEqual(t, "tip while B is not heavier", a.c.Tip().Hash, branchA[len(branchA)-1].Hash())
			mustEqual(t, "events while B is not heavier", len(*events), 0)
			if a.c.IsMainChain(branchB[0].Hash()) {
				t.Fatal("side block on the main chain")
			}
			feed(t, a.c, branchB[tc.lenA:]...)

			bTip := branchB[len(branchB)-1]
			mustEqual(t, "tip after reorg", a.c.Tip().Hash, bTip.Hash())
			mustEqual(t, "height after reorg", a.c.Tip().Height, uint64(2+tc.lenB))
			// One Event for the switch, then one per further block.
			evs := *events
			mustEqual(t, "events", len(evs), 1+tc.lenB-tc.lenA-1)
			reverted := slices.Clone(branchA)
			slices.Reverse(reverted)
			mustHashes(t, "reverted (tip first)", evs[0].Reverted, reverted)
			mustHashes(t, "applied (oldest first)", evs[0].Applied, branchB[:tc.lenA+1])
			mustEqual(t, "event tip", evs[0].Tip.Hash, branchB[tc.lenA].Hash())
			for i, ev := range evs[1:] {
				mustHashes(t, "extension applied", ev.Applied, branchB[tc.lenA+1+i:tc.lenA+2+i])
				mustEqual(t, "extension reverted", len(ev.Reverted), 0)
			}

			if _, ok := a.state("kv/onlyA"); ok {
				t.Fatal("state written only on the losing branch survived the reorg")
			}
			if _, ok := a.state("kv/a/c"); ok && tc.lenA > 2 {
				t.Fatal("losing branch's later state survived")
			}
			mustEqual(t, "winning branch state", mustState(t, a, "kv/onlyB"), "y")
			mustEqual(t, "key both branches wrote", mustState(t, a, "kv/both"), "fromB")
			mustEqual(t, "shared state", mustState(t, a, "kv/shared"), "1")
			mustEqual(t, "A's reward is the common blocks only", a.reward(a.key.PubKey().Address()), uint64(2))
			mustEqual(t, "B's reward", a.reward(b.key.PubKey().Address()), uint64(tc.lenB+5))

			// The whole state equals B's and a fresh replay of B's chain.
			sameChain(t, "A vs B", a.c, b.c)
			fresh := newHarness(t, net)
			fresh.clock = a.clock
			feed(t, fresh.c, common...)
			feed(t, fresh.c, branchB...)
			sameChain(t, "A vs fresh replay", a.c, fresh.c)

			// Transaction index: the losing branch's own txs are gone, the
			// winner's are found, and a tx in both points at the winner.
			if _, _, err := a.c.TxLocation(txA.ID()); !errors.Is(err, ErrNotFound) {
				t.Fatalf("losing-branch tx still indexed: %v", err)
			}
			for _, blk := range branchA[1:] {
				for _, tx := range blk.Txs {
					if _, _, err := a.c.TxLocation(tx.ID()); !errors.Is(err, ErrNotFound) {
						t.Fatalf("losing-branch tx %s still indexed: %v", tx.ID(), err)
					}
				}
			}
			if bh, idx, err := a.c.TxLocation(txB.ID()); err != nil || bh != branchB[0].Hash() || idx != 0 {
				t.Fatalf("winning-branch tx: %s %d %v", bh, idx, err)
			}
			if bh, idx, err := a.c.TxLocation(inBoth.ID()); err != nil || bh != branchB[1].Hash() || idx != 1 {
				t.Fatalf("tx in both branches: %s %d %v, want block %s index 1", bh, idx, err, branchB[1].Hash())
			}
			for i, blk := range append(slices.Clone(common), branchB...) {
				got, err := a.c.HashAtHeight(uint64(i + 1))
				if err != nil || got != blk.Hash() {
					t.Fatalf("HashAtHeight(%d): %s %v", i+1, got, err)
				}
			}
			if _, err := a.c.HashAtHeight(uint64(3 + tc.lenB)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("height above the tip: %v", err)
			}
			// The losing blocks stay stored (a later reorg back needs them).
			for _, blk := range branchA {
				if !a.c.HaveBlock(blk.Hash()) || a.c.IsMainChain(blk.Hash()) {
					t.Fatalf("losing block %d: have %v main %v", blk.Header.Height, a.c.HaveBlock(blk.Hash()), a.c.IsMainChain(blk.Hash()))
				}
			}

			a.reopen()
			sameChain(t, "A after restart vs fresh replay", a.c, fresh.c)
			if _, _, err := a.c.TxLocation(txA.ID()); !errors.Is(err, ErrNotFound) {
				t.Fatalf("losing-branch tx indexed after restart: %v", err)
			}

		})
	}
}

// TestReorgBackAndForth: two miners that never hear from each other
// extend their own branches in turn; an observer switches each time one
// gets heavier and must always hold exactly that miner's state.
func TestReorgBackAndForth(t *testing.T) {
	net := consensus.RegTest()
	a, b, o := newHarness(t, net), newHarness(t, net), newHarness(t, net)
	userA, _ := newKey(t)
	userB, _ := newKey(t)
	var chainA, chainB []*wire.Block
	events := subscribe(o.c)
	step := func(m *harness, user *keys.PrivateKey, own *[]*wire.Block, rival int, tag string) {
		t.Helper()
		start := len(*own)
		for len(*own) <= rival {
			syncClocks(a, b, o)
			n := uint64(len(*own))
			*own = append(*own, m.mine(signTx(m.c, user, txSet, n, 1, tag+"/"+string(rune('0'+n))+"="+tag)))
		}
		*events = nil
		feed(t, o.c, (*own)[start:]...)
		sameChain(t, tag+" wins", o.c, m.c)
		last := (*events)[len(*events)-1]
		mustEqual(t, "event tip", last.Tip.Hash, (*own)[len(*own)-1].Hash())
	}
	for round := 0; round < 3; round++ {
		step(a, userA, &chainA, len(chainB), "A")
		step(b, userB, &chainB, len(chainA), "B")
	}
	mustEqual(t, "final height", o.c.Tip().Height, uint64(len(chainB)))
}

// TestEqualWorkKeepsFirstSeen: a competing block of equal work is stored
// but does not displace the tip; one more block on it does.
func TestEqualWorkKeepsFirstSeen(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	events := subscribe(a.c)
	mine := a.mine()
	other := b.mine()
	res, err := a.c.ProcessBlock(context.Background(), other)
	if err != nil || !res.Accepted || res.MainTip {
		t.Fatalf("equal-work block: %+v %v", res, err)
	}
	mustEqual(t, "tip", a.c.Tip().Hash, mine.Hash())
	if a.c.IsMainChain(other.Hash()) {
		t.Fatal("equal-work side block became main chain")
	}
	mustEqual(t, "events", len(*events), 1)
	a.reopen() // still first seen after a restart
	mustEqual(t, "tip after restart", a.c.Tip().Hash, mine.Hash())
	events = subscribe(a.c)
	syncClocks(a, b)
	next := b.mine()
	feed(t, a.c, next)
	mustEqual(t, "tip after the side branch got heavier", a.c.Tip().Hash, next.Hash())
	mustEqual(t, "events", len(*events), 1)
	mustHashes(t, "reverted", (*events)[0].Reverted, []*wire.Block{mine})
	mustHashes(t, "applied", (*events)[0].Applied, []*wire.Block{other, next})
	sameChain(t, "A vs B", a.c, b.c)
}

// badChild builds a block on parent (which the chain may not have
// connected) by copying its header: the state root is whatever it is,
// because nothing will get far enough to check it.
func badChild(h *harness, parent *wire.Block) *wire.Block {
	c := &wire.Block{Header: parent.Header}
	c.Header.Height++
	c.Header.PrevHash = parent.Hash()
	c.Header.Timestamp += 1000
	c.Header.TxRoot = wire.Hash{}
	h.resolve(c)
	return c
}

// TestReorgStopsAtInvalidBlock: a heavier branch whose middle block has a
// bad state root is tried, fails at that block, and the chain goes back
// to the original (still heavier than the valid prefix), with the failed
// block and its descendants marked invalid on disk.
func TestReorgStopsAtInvalidBlock(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	var chainA []*wire.Block
	for i := 0; i < 4; i++ {
		chainA = append(chainA, a.mine())
	}
	g1, g2 := b.mine(), b.mine()
	bad := b.template()
	bad.Header.StateRoot[0] ^= 1
	b.resolve(bad)
	c4 := badChild(b, bad)
	c5 := badChild(b, c4)
	syncClocks(a, b)
	stateBefore := dumpState(t, a.c)
	tipBefore := a.c.Tip()
	events := subscribe(a.c)

	for _, blk := range []*wire.Block{g1, g2, bad, c4} { // never heavier than A
		if res, err := a.c.ProcessBlock(context.Background(), blk); err != nil || res.MainTip {
			t.Fatalf("side-branch block %d: %+v %v", blk.Header.Height, res, err)
		}
	}
	res, err := a.c.ProcessBlock(context.Background(), c5)
	if !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("block whose branch fails: got %v, want ErrInvalidAncestor", err)
	}
	if res.MainTip || !res.Accepted {
		t.Fatalf("result %+v", res)
	}
	mustEqual(t, "tip back on the valid chain", a.c.Tip().Hash, tipBefore.Hash)
	// Two events: the attempt up to the bad block, then the way back.
	evs := *events
	mustEqual(t, "events", len(evs), 2)
	revA := slices.Clone(chainA)
	slices.Reverse(revA)
	mustHashes(t, "attempt reverted", evs[0].Reverted, revA)
	mustHashes(t, "attempt applied", evs[0].Applied, []*wire.Block{g1, g2})
	mustHashes(t, "return reverted", evs[1].Reverted, []*wire.Block{g2, g1})
	mustHashes(t, "return applied", evs[1].Applied, chainA)
	mustEqual(t, "last event tip", evs[1].Tip.Hash, tipBefore.Hash)
	after := dumpState(t, a.c)
	if len(after) != len(stateBefore) {
		t.Fatalf("state has %d entries after the failed reorg, had %d", len(after), len(stateBefore))
	}
	for k, v := range stateBefore {
		if after[k] != v {
			t.Fatalf("state %q changed by the failed reorg", k)
		}
	}
	for name, blk := range map[string]*wire.Block{"bad": bad, "child": c4, "grandchild": c5} {
		if blockStatus(a.c, blk.Hash())&statusInvalid == 0 {
			t.Fatalf("%s not marked invalid", name)
		}
	}
	for name, blk := range map[string]*wire.Block{"g1": g1, "g2": g2} {
		if st := blockStatus(a.c, blk.Hash()); st&statusInvalid != 0 || st&statusValid == 0 {
			t.Fatalf("%s (valid prefix) has status %b", name, st)
		}
	}
	c6 := badChild(b, c5)
	if _, err := a.c.ProcessBlock(context.Background(), c6); !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("child of the invalid branch: got %v", err)
	}
	a.reopen()
	mustEqual(t, "tip after restart", a.c.Tip().Hash, tipBefore.Hash)
	if blockStatus(a.c, c5.Hash())&statusInvalid == 0 {
		t.Fatal("invalid flag lost on restart")
	}
	if _, err := a.c.ProcessBlock(context.Background(), c6); !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("child of the invalid branch after restart: got %v", err)
	}
	// The valid prefix can still win if it grows past A.
	syncClocks(a, b)
	var more []*wire.Block
	for i := 0; i < 3; i++ {
		more = append(more, b.mine())
	}
	feed(t, a.c, more...)
	sameChain(t, "A adopts the valid prefix's extension", a.c, b.c)
}

// TestReorgPrefixWinsOverInvalidTail: the valid part of a branch is
// heavier than the old chain, a later block runs a tx the state machine
// refuses: the chain ends on the valid prefix, whether the blocks arrive
// in order or in reverse (through the orphan pool).
func TestReorgPrefixWinsOverInvalidTail(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		name := "in order"
		if reverse {
			name = "reverse order"
		}
		t.Run(name, func(t *testing.T) {
			net := consensus.RegTest()
			a, b := newHarness(t, net), newHarness(t, net)
			user, _ := newKey(t)
			a.mine(signTx(a.c, user, txSet, 0, 0, "mine=A"))
			g := []*wire.Block{b.mine(signTx(b.c, user, txSet, 0, 0, "mine=B")), b.mine(), b.mine()}
			bad := b.template(signTx(b.c, user, txSet, 1, 0, "x=1"))
			bad.Txs[0] = signTx(b.c, user, txReject, 1, 0, "x=1")
			fixRoot(bad)
			b.resolve(bad)
			c5 := badChild(b, bad)
			syncClocks(a, b)
			if reverse {
				for _, blk := range []*wire.Block{c5, bad, g[2], g[1]} {
					if res, err := a.c.ProcessBlock(context.Background(), blk); err != nil || !res.Orphan {
						t.Fatalf("orphan %d: %+v %v", blk.Header.Height, res, err)
					}
				}
				feed(t, a.c, g[0])
			} else {
				feed(t, a.c, g...)
				if _, err := a.c.ProcessBlock(context.Background(), bad); !errors.Is(err, errKVRejected) {
					t.Fatalf("block with a refused tx: got %v, want ErrKVRejected", err)
				}
				if _, err := a.c.ProcessBlock(context.Background(), c5); !errors.Is(err, consensus.ErrInvalidAncestor) {
					t.Fatalf("child of the refused block: got %v", err)
				}
			}
			mustEqual(t, "tip on the valid prefix", a.c.Tip().Hash, g[2].Hash())
			if blockStatus(a.c, bad.Hash())&statusInvalid == 0 {
				t.Fatal("refused block not marked invalid")
			}
			sameChain(t, "A vs B (which never connected the bad block)", a.c, b.c)
			a.reopen()
			sameChain(t, "after restart", a.c, b.c)
			if _, err := a.c.ProcessBlock(context.Background(), c5); !errors.Is(err, consensus.ErrInvalidAncestor) {
				t.Fatalf("child of the refused block after restart: got %v, want ErrInvalidAncestor", err)
			}
		})
	}
}
