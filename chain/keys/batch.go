package keys

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// VerifyJob is one signature check in a batch.
type VerifyJob struct {
	Pub  PubKey
	Hash [32]byte
	Sig  Signature
}

// batchChunk is small enough that workers rebalance well on two cores and
// that in-flight work after a failure is bounded, yet large enough that the
// shared counter is not contended.
const batchChunk = 32

// VerifyBatch checks every job using workers goroutines (0 or less means
// GOMAXPROCS), consulting and filling cache (which may be nil).
//
// It returns (-1, true) when all signatures are valid. Otherwise ok is false
// and badIndex is the lowest index of an invalid signature: chunks are handed
// out in index order and, once a failure is seen, workers skip every job
// above it but still finish those below it, so the answer does not depend on
// scheduling while most of the remaining work is still skipped. If ctx is
// cancelled first, it returns (-1, false).
func VerifyBatch(ctx context.Context, jobs []VerifyJob, cache *SigCache, workers int) (badIndex int, ok bool) {
	n := len(jobs)
	if n == 0 {
		return -1, ctx.Err() == nil
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, (n+batchChunk-1)/batchChunk)

	var (
		next      atomic.Int64
		lowestBad atomic.Int64
		cancelled atomic.Bool
		wg        sync.WaitGroup
	)
	lowestBad.Store(int64(n))

	markBad := func(i int64) {
		for {
			cur := lowestBad.Load()
			if i >= cur || lowestBad.CompareAndSwap(cur, i) {
				return
			}
		}
	}
	work := func() {
		for {
			if ctx.Err() != nil {
				cancelled.Store(true)
				return
			}
			start := next.Add(batchChunk) - batchChunk
			if start >= lowestBad.Load() {
				return
			}
			end := min(start+batchChunk, int64(n))
			for i := start; i < end && i < lowestBad.Load(); i++ {
				j := &jobs[i]
				if !VerifyCached(cache, j.Pub, j.Hash, j.Sig) {
					markBad(i)
					break
				}
			}
		}
	}
	if workers == 1 {
		work()
	} else {
		for range workers {
			wg.Go(work)
		}
		wg.Wait()
	}
	if bad := lowestBad.Load(); bad < int64(n) {
		return int(bad), false
	}
	if cancelled.Load() {
		return -1, false
	}
	return -1, true
}
