package chain

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// importBatch verifies and processes blocks as one batch into h's chain.
func importBatch(t testing.TB, h *harness, blocks []*wire.Block) (BatchResult, error) {
	t.Helper()
	raws := make([][]byte, len(blocks))
	for i, b := range blocks {
		raws[i] = b.Encode()
	}
	vs, err := h.c.VerifyBlocks(context.Background(), raws)
	if err != nil {
		return BatchResult{}, err
	}
	return h.c.ProcessBlocks(context.Background(), vs)
}

// TestProcessBlocksMatchesOneByOne imports a chain in batches larger than
// one commit holds and requires the same tip, state and events (the same
// blocks, in order) as the source that processed them one by one.
func TestProcessBlocksMatchesOneByOne(t *testing.T) {
	src, dst := newHarness(t, consensus.RegTest()), newHarness(t, consensus.RegTest())
	user := crashUser(t)
	var blocks []*wire.Block
	for range maxBlocksPerCommit + 150 {
		blocks = append(blocks, mineOneWithTx(src, user))
	}
	syncClocks(src, dst)
	events := subscribe(dst.c)
	split := maxBlocksPerCommit + 100 // the first batch needs two commits
	for _, part := range [][]*wire.Block{blocks[:split], blocks[split:]} {
		res, err := importBatch(t, dst, part)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "stored", res.Stored, len(part))
		mustEqual(t, "main tip", res.MainTip, true)
	}
	sameChain(t, "batch import vs one by one", src.c, dst.c)
	mustEqual(t, "events (one per batch)", len(*events), 2)
	var applied []wire.Hash
	for i, ev := range *events {
		mustEqual(t, fmt.Sprintf("event %d seq", i), ev.Seq, uint64(i+1))
		mustEqual(t, fmt.Sprintf("event %d reverted", i), len(ev.Reverted), 0)
		applied = append(applied, hashes(ev.Applied)...)
	}
	want := hashes(blocks)
	mustEqual(t, "applied blocks", len(applied), len(want))
	for i := range want {
		mustEqual(t, fmt.Sprintf("applied block %d", i), applied[i], want[i])
	}
	// Again: every block is a duplicate, nothing changes.
	res, err := importBatch(t, dst, blocks[:10])
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "stored duplicates", res.Stored, 0)
	mustEqual(t, "events after duplicates", len(*events), 2)
	// Reopened, the chain is where the last commit left it.
	dst.reopen()
	sameChain(t, "after reopening", src.c, dst.c)
}

// TestProcessBlocksRuleErrors: a batch stops at the first block that
// breaks a rule, with a *BatchError naming it and unwrapping to its rule
// error; the blocks before it are connected, the ones after it are not.
func TestProcessBlocksRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(h *harness, blk *wire.Block)
		kind   consensus.ErrorKind
		verify bool // VerifyBlocks catches it (context-free)
	}{
		{"bad state root (connect)", func(h *harness, blk *wire.Block) {
			blk.Header.StateRoot[0] ^= 1
			h.resolve(blk)
		}, consensus.ErrBadStateRoot, false},
		{"bad height (header context)", func(h *harness, blk *wire.Block) {
			blk.Header.Height++
			h.resolve(blk)
		}, consensus.ErrBadHeight, false},
		{"bad tx root (sanity)", func(h *harness, blk *wire.Block) {
			blk.Header.TxRoot[0] ^= 1
			h.resolve(blk)
		}, consensus.ErrBadTxRoot, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := newHarness(t, consensus.RegTest()), newHarness(t, consensus.RegTest())
			user := crashUser(t)
			var blocks []*wire.Block
			for range 6 {
				blocks = append(blocks, mineOneWithTx(src, user))
			}
			bad := blocks[3]
			tc.break_(src, bad)
			syncClocks(src, dst)
			_, err := importBatch(t, dst, blocks)
			var berr *BatchError
			if !errors.As(err, &berr) {
				t.Fatalf("error %v is not a BatchError", err)
			}
			mustEqual(t, "failing index", berr.Index, 3)
			mustEqual(t, "failing hash", berr.Hash, bad.Hash())
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %v is not %s", err, tc.kind)
			}
			if tc.verify {
				mustEqual(t, "tip (nothing processed when verification fails)", dst.c.Tip().Height, uint64(0))
			} else {
				mustEqual(t, "tip after the batch", dst.c.Tip().Hash, blocks[2].Hash())
			}
			if info, ok := dst.c.BlockInfo(blocks[4].Hash()); ok && info.MainChain {
				t.Fatal("a block after the bad one is on the main chain")
			}
		})
	}
}

// TestProcessBlocksSideBranchAndGap: a batch forking below the tip with
// more work reorganises once; a batch with a gap stores what links and
// keeps the rest as orphans until the gap is filled.
func TestProcessBlocksSideBranchAndGap(t *testing.T) {
	a, b := newHarness(t, consensus.RegTest()), newHarness(t, consensus.RegTest())
	user := crashUser(t)
	for range 3 {
		a.mine()
	}
	var branch []*wire.Block
	for range 8 {
		branch = append(branch, mineOneWithTx(b, user))
	}
	syncClocks(a, b)
	events := subscribe(a.c)
	// A gap: blocks 1–3 and 6–8 of b's branch.
	res, err := importBatch(t, a, append(append([]*wire.Block{}, branch[:3]...), branch[5:]...))
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "stored before the gap", res.Stored, 3)
	mustEqual(t, "orphans after the gap", res.Orphans, 3)
	mustEqual(t, "tip: equal work keeps the first seen", a.c.Tip().Height, uint64(3))
	res, err = importBatch(t, a, branch[3:5])
	if err != nil {
		t.Fatal(err)
	}
	sameChain(t, "after the gap filled", a.c, b.c)
	if len(*events) == 0 || len((*events)[0].Reverted) != 3 {
		t.Fatalf("first event %+v: want the 3 blocks of a's branch reverted", *events)
	}
}

const batchCrashDirEnv = "THINGCHAIN_CHAIN_BATCH_CRASH_DIR"

// TestHelperBatchProcess is the batch crash child: it imports batches of
// more blocks than one commit holds into the chain in the directory the
// environment names, printing "synced <height> <hash>" after each batch,
// until it is killed.
func TestHelperBatchProcess(t *testing.T) {
	dir := os.Getenv(batchCrashDirEnv)
	if dir == "" {
		t.Skip("crash child; run by TestBatchCrashRecovery")
	}
	dst := newHarnessDir(t, consensus.RegTest(), dir)
	src := newHarness(t, consensus.RegTest())
	src.clock = time.UnixMilli(dst.c.Tip().Time)
	for height := uint64(1); height <= dst.c.Tip().Height; height++ {
		blk, err := dst.c.BlockByHeight(height)
		if err != nil {
			t.Fatal(err)
		}
		feed(t, src.c, blk)
	}
	user := crashUser(t)
	for range 1000 {
		var blocks []*wire.Block
		for range maxBlocksPerCommit + 44 {
			blocks = append(blocks, mineOneWithTx(src, user))
		}
		dst.clock = src.clock
		if _, err := importBatch(t, dst, blocks); err != nil {
			t.Fatal(err)
		}
		last := blocks[len(blocks)-1]
		fmt.Printf("synced %d %s\n", last.Header.Height, last.Hash())
	}
	t.Fatal("crash child was never killed")
}

// TestBatchCrashRecovery kills a process importing batches (several
// blocks per commit, several commits per batch) with SIGKILL at arbitrary
// points: the reopened chain must hold every block reported imported, its
// state must be a replay of its own chain, and it must keep importing.
func TestBatchCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	reported := map[uint64]wire.Hash{}
	var last uint64
	for round := range 3 {
		target := last + 1 + uint64(round)*150 // mid-batch kills land anywhere
		killChildAt(t, "TestHelperBatchProcess", batchCrashDirEnv, dir, "synced", target, reported, &last, round)
		h := newHarnessDir(t, consensus.RegTest(), dir)
		tip := h.c.Tip()
		if tip.Height < last {
			t.Fatalf("round %d: tip %d after the crash, child had reported %d", round, tip.Height, last)
		}
		for height, hash := range reported {
			got, err := h.c.HashAtHeight(height)
			if err != nil || got != hash {
				t.Fatalf("round %d: block %d is %s (%v), child reported %s", round, height, got, err, hash)
			}
		}
		replay := newHarness(t, consensus.RegTest())
		replay.clock = time.UnixMilli(tip.Time)
		for height := uint64(1); height <= tip.Height; height++ {
			blk, err := h.c.BlockByHeight(height)
			if err != nil {
				t.Fatal(err)
			}
			feed(t, replay.c, blk)
		}
		sameChain(t, fmt.Sprintf("round %d: recovered vs replay", round), h.c, replay.c)
		replay.close()
		last = tip.Height
		h.close()
	}
}

// TestProcessBlocksPending: a batch whose blocks wait for something
// outside the chain (ErrPending, as an auction block whose metadata
// anchor is not on the metadata main chain yet) is stored without error,
// reported pending, kept off the main chain and not marked invalid; once
// the wait is over, RetryPending connects the whole branch.
func TestProcessBlocksPending(t *testing.T) {
	a, b, gate, _ := gatedPair(t)
	gate.set(b.key.PubKey().Address(), gatePending)
	own := a.mine()
	var branch []*wire.Block
	for range 6 {
		branch = append(branch, b.mine())
	}
	syncClocks(a, b)
	pendings := 0
	a.c.onPending = func() { pendings++ }
	res, err := importBatch(t, a, branch)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "stored", res.Stored, len(branch))
	mustEqual(t, "pending", res.Pending, true)
	mustEqual(t, "OnPending calls", pendings, 1)
	mustEqual(t, "tip while pending", a.c.Tip().Hash, own.Hash())
	for i, blk := range branch {
		info, ok := a.c.BlockInfo(blk.Hash())
		if !ok || !info.HaveData || info.Invalid || info.MainChain {
			t.Fatalf("pending block %d: %+v (known %v)", i, info, ok)
		}
	}
	gate.set(b.key.PubKey().Address(), gateOpen)
	if err := a.c.RetryPending(); err != nil {
		t.Fatal(err)
	}
	sameChain(t, "after the wait", a.c, b.c)
}
