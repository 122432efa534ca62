package chain

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Parallel state application, optimistic execution with validation in the
// style of Block-STM, simplified to one speculative pass per window:
//
//  1. Every transaction of a window that the state machine allows
//     (ConcurrentApplier) is executed on all cores, each on its own View
//     over the state as it was before the window, recording the keys it
//     reads.
//  2. In block order, a transaction none of whose reads was written by an
//     earlier transaction of the block (since the window began) has its
//     writes merged as they are: it would have read the same values in
//     order, and ApplyTx is deterministic, so it would have written the
//     same. Any other transaction (a conflict, a speculative failure, a
//     type that may not run concurrently) is applied again, in order, on
//     the block's view, exactly as serial application does.
//
// So the state after the block is always the serial one (a test compares
// state roots over random blocks). Speculating and merging cost about as
// much as applying a cheap transaction (a transfer: two accounts), so it
// pays only for transactions whose ApplyTx does real work (a check-in's
// TD and metadata checks): BenchmarkParallelApply measures both, and
// state machines opt in per transaction type accordingly. Windows whose speculation mostly
// conflicted (chains of transfers between the same accounts) switch the
// rest of the block to plain serial application, so conflict-heavy blocks
// pay at most one window of wasted work.

const (
	// parallelApplyMin is the fewest transactions worth speculating on.
	parallelApplyMin = 64
	// applyWindow is how many transactions are speculated at a time: the
	// state they read is at most one window old.
	applyWindow = 512
	// parallelApplyMinProcs is the fewest cores on which blocks are
	// applied in parallel. On two cores speculation was measured slower
	// than applying in order even for costly transactions
	// (BenchmarkParallelApply, docs/performance.md), so two-core machines
	// apply in order: no regression there.
	parallelApplyMinProcs = 4
	// specChunk is how many transactions a speculating worker takes at
	// a time.
	specChunk = 8
)

// speculation is one transaction's optimistic execution.
type speculation struct {
	view  *View
	reads *[]string // keys read from the state before the window
	ok    bool      // executed without error
}

// recordingReader is the base of a speculative View: the block's view as
// it was when the window began, recording every key read through it.
type recordingReader struct {
	base  *View
	reads *[]string
}

func (r recordingReader) getState(key []byte) ([]byte, bool, error) {
	*r.reads = append(*r.reads, string(key))
	return r.base.Get(key)
}

// applyTxs applies txs in order to view, in parallel where the state
// machine allows it and it pays. Errors are serial application's.
func (c *Chain) applyTxs(view *View, txs []*wire.Tx, bctx *BlockContext) error {
	workers := runtime.GOMAXPROCS(0)
	if workers < parallelApplyMinProcs {
		return c.applySerial(view, txs, 0, bctx)
	}
	return c.applyTxsOn(view, txs, bctx, workers)
}

// applyTxsOn is applyTxs speculating on the given number of workers
// whatever the core count (benchmarks measure it below the threshold).
func (c *Chain) applyTxsOn(view *View, txs []*wire.Tx, bctx *BlockContext, workers int) error {
	ca, _ := c.sm.(ConcurrentApplier)
	if ca == nil || workers < 2 || len(txs) < parallelApplyMin {
		return c.applySerial(view, txs, 0, bctx)
	}
	for lo := 0; lo < len(txs); lo += applyWindow {
		hi := min(lo+applyWindow, len(txs))
		conflicts, err := c.applyWindow(view, txs, lo, hi, bctx, ca, workers)
		if err != nil {
			return err
		}
		if 2*conflicts > hi-lo {
			return c.applySerial(view, txs[hi:], hi, bctx)
		}
	}
	return nil
}

// applySerial applies txs (the block's from index first) in order.
func (c *Chain) applySerial(view *View, txs []*wire.Tx, first int, bctx *BlockContext) error {
	for k, tx := range txs {
		if err := c.applyOne(view, tx, first+k, bctx); err != nil {
			return err
		}
	}
	return nil
}

// applyOne is serial application of the block's i-th transaction.
func (c *Chain) applyOne(view *View, tx *wire.Tx, i int, bctx *BlockContext) error {
	if tx.Expiry != 0 && bctx.Height > tx.Expiry {
		return consensus.RuleErrorf(consensus.ErrTxExpired, "transaction %d expired at height %d", i, tx.Expiry)
	}
	if err := c.sm.ApplyTx(view, tx, bctx); err != nil {
		return fmt.Errorf("transaction %d (%s): %w", i, tx.ID(), err)
	}
	return nil
}

// applyWindow speculates txs[lo:hi] on all cores, then validates and
// commits them in order; it returns how many speculations were not used.
func (c *Chain) applyWindow(view *View, txs []*wire.Tx, lo, hi int, bctx *BlockContext, ca ConcurrentApplier, workers int) (conflicts int, err error) {
	specs := make([]speculation, hi-lo)
	// Workers take small chunks as they go, so a worker the OS delays
	// (a busy machine) does not hold the others up.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, (hi-lo+specChunk-1)/specChunk) {
		wg.Go(func() {
			for {
				a := int(next.Add(specChunk)) - specChunk
				if a >= hi-lo {
					return
				}
				for k := a; k < min(a+specChunk, hi-lo); k++ {
					tx := txs[lo+k]
					if (tx.Expiry != 0 && bctx.Height > tx.Expiry) || !ca.ApplyConcurrently(tx) {
						continue
					}
					s := &specs[k]
					s.reads = new([]string)
					s.view = newView(recordingReader{base: view, reads: s.reads})
					s.ok = c.sm.ApplyTx(s.view, tx, bctx) == nil
				}
			}
		})
	}
	wg.Wait()
	written := make(map[string]struct{}, 4*(hi-lo))
	for k := range specs {
		i := lo + k
		s := &specs[k]
		if s.ok && !readsAny(*s.reads, written) {
			// Its final value of each key it wrote (a key written twice
			// is merged twice, harmlessly).
			for _, j := range s.view.journal {
				view.write(j.key, s.view.overlay[j.key])
				written[j.key] = struct{}{}
			}
			continue
		}
		if s.view != nil {
			conflicts++
		}
		cp := view.Checkpoint()
		if err := c.applyOne(view, txs[i], i, bctx); err != nil {
			return conflicts, err
		}
		for _, j := range view.journal[cp:] {
			written[j.key] = struct{}{}
		}
	}
	return conflicts, nil
}

func readsAny(reads []string, written map[string]struct{}) bool {
	for _, k := range reads {
		if _, ok := written[k]; ok {
			return true
		}
	}
	return false
}
