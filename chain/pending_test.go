package chain

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// gateMode is what gatedMachine does with a block of a reward address.
type gateMode int

const (
	gateOpen    gateMode = iota
	gatePending          // FinishBlock fails with ErrPending
	gateReject           // FinishBlock fails with a rule error (ErrBadAnchor)
)

// gatedMachine is kvMachine whose FinishBlock a test can make pending or
// failing per reward address: the engine's view of a state machine whose
// verdict depends on something outside the chain (the auction chain's
// anchors).
type gatedMachine struct {
	kvMachine
	mu    sync.Mutex
	gates map[keys.Address]gateMode
}

func (g *gatedMachine) set(a keys.Address, m gateMode) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gates[a] = m
}

func (g *gatedMachine) FinishBlock(v *View, blk *wire.Block, ctx *BlockContext) error {
	g.mu.Lock()
	m := g.gates[keys.Address(blk.Header.Reward)]
	g.mu.Unlock()
	switch m {
	case gatePending:
		return fmt.Errorf("test gate closed: %w", ErrPending)
	case gateReject:
		return consensus.RuleErrorf(consensus.ErrBadAnchor, "test gate rejects")
	}
	return g.kvMachine.FinishBlock(v, blk, ctx)
}

// gatedPair is chain A with a gated machine and chain B (plain) that
// mines a competing branch on a common block.
func gatedPair(t *testing.T) (a, b *harness, gate *gatedMachine, common *wire.Block) {
	net := consensus.RegTest()
	a, b = newHarness(t, net), newHarness(t, net)
	gate = &gatedMachine{gates: map[keys.Address]gateMode{}}
	a.close()
	a.config.StateMachine = gate
	a.open()
	common = a.mine()
	feed(t, b.c, common)
	syncClocks(a, b)
	return a, b, gate, common
}

// TestPendingBlockWaitsAndConnects: a heavier branch whose block cannot be
// checked yet (ErrPending) is stored, reported pending (no error, so no
// peer is penalised), not marked invalid, kept out of fork choice so the
// chain keeps extending its own branch, and connects on RetryPending once
// the reason has gone.
func TestPendingBlockWaitsAndConnects(t *testing.T) {
	a, b, gate, _ := gatedPair(t)
	gate.set(b.key.PubKey().Address(), gatePending)
	ownA := a.mine()
	branchB := []*wire.Block{b.mine(), b.mine()}
	res, err := a.c.ProcessBlock(t.Context(), branchB[0])
	if err != nil || !res.Accepted || res.Pending {
		t.Fatalf("lighter side block: res %+v err %v", res, err)
	}
	res, err = a.c.ProcessBlock(t.Context(), branchB[1])
	if err != nil {
		t.Fatalf("a pending block is not an error (peers must not be penalised): %v", err)
	}
	if !res.Accepted || !res.Pending || res.MainTip {
		t.Fatalf("result %+v, want accepted and pending", res)
	}
	mustEqual(t, "tip stays on A's branch", a.c.Tip().Hash, ownA.Hash())
	p, ok := a.c.HeaviestPending()
	if !ok || p.Header.Hash() != branchB[0].Hash() || p.BranchTip != branchB[1].Hash() || !errors.Is(p.Reason, ErrPending) {
		t.Fatalf("HeaviestPending = %+v, %v", p, ok)
	}
	if info, _ := a.c.BlockInfo(branchB[0].Hash()); info.Invalid {
		t.Fatal("pending block marked invalid")
	}
	// The chain keeps following its own branch meanwhile.
	next := a.mine()
	mustEqual(t, "A extends its branch while B's waits", a.c.Tip().Hash, next.Hash())

	// Still gated: retrying changes nothing.
	if err := a.c.RetryPending(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "retry while still pending", a.c.Tip().Hash, next.Hash())
	syncClocks(a, b)
	feed(t, a.c, b.mine()) // B's branch is heavier again
	gate.set(b.key.PubKey().Address(), gateOpen)
	if err := a.c.RetryPending(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "tip after the gate opened", a.c.Tip().Hash, b.c.Tip().Hash)
	if _, ok := a.c.HeaviestPending(); ok {
		t.Fatal("nothing should be pending after the branch connected")
	}
}

// TestReconsiderClearsInvalidMarks: a branch marked invalid for a reason
// that later proves wrong comes back with Reconsider(hash) (given any
// block of it), and fork choice adopts it; a block that still breaks the
// rule is marked again.
func TestReconsiderClearsInvalidMarks(t *testing.T) {
	a, b, gate, _ := gatedPair(t)
	gate.set(b.key.PubKey().Address(), gateReject)
	a.mine()
	branchB := []*wire.Block{b.mine(), b.mine(), b.mine()}
	if _, err := a.c.ProcessBlock(t.Context(), branchB[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.ProcessBlock(t.Context(), branchB[1]); !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("got %v, want ErrInvalidAncestor (its parent failed the gate's rule)", err)
	}
	if _, err := a.c.ProcessBlock(t.Context(), branchB[2]); !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("descendant: got %v, want ErrInvalidAncestor", err)
	}
	for _, blk := range branchB[:2] { // the third was refused unstored
		if info, _ := a.c.BlockInfo(blk.Hash()); !info.Invalid {
			t.Fatalf("block %d not marked invalid", blk.Header.Height)
		}
	}
	// Still failing: Reconsider clears the marks, fork choice marks again.
	n, err := a.c.Reconsider(branchB[1].Hash())
	if err != nil || n != 2 {
		t.Fatalf("Reconsider = %d, %v; want 2 blocks cleared", n, err)
	}
	if info, _ := a.c.BlockInfo(branchB[1].Hash()); !info.Invalid {
		t.Fatal("a block that still breaks the rule must be marked again")
	}
	gate.set(b.key.PubKey().Address(), gateOpen)
	if _, err := a.c.Reconsider(branchB[0].Hash()); err != nil {
		t.Fatal(err)
	}
	feed(t, a.c, branchB[2])
	mustEqual(t, "tip after reconsider", a.c.Tip().Hash, branchB[2].Hash())
	if _, err := a.c.Reconsider(wire.Hash{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
}

// TestRecheckInvalidAtOpen: at open, invalid marks recorded with a kind in
// RecheckKinds, or with no kind at all (older versions), are cleared and
// the blocks validated again; marks of other kinds stay.
func TestRecheckInvalidAtOpen(t *testing.T) {
	for _, tc := range []struct {
		name     string
		recheck  []consensus.ErrorKind
		dropKind bool // remove the recorded kind (an older version's mark)
		healed   bool
	}{
		{"kind not rechecked", nil, false, false},
		{"kind in RecheckKinds", []consensus.ErrorKind{consensus.ErrBadAnchor}, false, true},
		{"mark without a kind", nil, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, gate, _ := gatedPair(t)
			gate.set(b.key.PubKey().Address(), gateReject)
			a.mine()
			branchB := []*wire.Block{b.mine(), b.mine()}
			feedAll(a.c, branchB...)
			if info, _ := a.c.BlockInfo(branchB[1].Hash()); !info.Invalid {
				t.Fatal("setup: branch not marked invalid")
			}
			a.close()
			if tc.dropKind {
				dropReasons(t, a.dir)
			}
			gate.set(b.key.PubKey().Address(), gateOpen)
			a.config.RecheckKinds = tc.recheck
			a.open()
			onB := a.c.Tip().Hash == branchB[1].Hash()
			if onB != tc.healed {
				t.Fatalf("tip on the once-invalid branch: %v, want %v", onB, tc.healed)
			}
		})
	}
}

// feedAll processes blocks, ignoring errors (the caller checks state).
func feedAll(c *Chain, blocks ...*wire.Block) {
	for _, b := range blocks {
		c.ProcessBlock(context.Background(), b) //nolint:errcheck
	}
}

// dropReasons deletes every recorded invalid-block kind in a closed
// chain's directory, as a data directory of an older version has none.
func dropReasons(t *testing.T, dir string) {
	t.Helper()
	db, err := openBadger(dir, DefaultStoreOptions(), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.DropPrefix([]byte{prefixReason})
	if err != nil {
		t.Fatal(err)
	}
}
