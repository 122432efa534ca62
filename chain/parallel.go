package chain

import (
	"runtime"
	"sync"
)

// parallelism picks a worker count: one per core, but no more than one per
// minChunk items, so small jobs stay on the calling goroutine.
func parallelism(n, minChunk int) int {
	w := runtime.GOMAXPROCS(0)
	if byItems := (n + minChunk - 1) / minChunk; byItems < w {
		w = byItems
	}
	return max(w, 1)
}

// runParallel splits [0,n) into contiguous ranges, one per worker, and
// waits for all of them.
func runParallel(n, workers int, fn func(worker, lo, hi int)) {
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}
