package mempool

import (
	"container/heap"

	"github.com/thingchain/thingchain/chain/wire"
)

// Candidates returns pending transactions for a block, highest fee rate
// first across senders while keeping each sender's nonce order (a heap of
// sender heads), up to maxBytes of encoded transactions (0: no limit).
// When a sender's next transaction does not fit, that sender's later ones
// cannot go first, so the sender is skipped and smaller ones from others
// may still fill the space.
func (p *Pool) Candidates(maxBytes int) []*wire.Tx {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := &headHeap{}
	for _, q := range p.senders {
		if run := q.run(); len(run) > 0 {
			*h = append(*h, run)
		}
	}
	heap.Init(h)
	var out []*wire.Tx
	size := 0
	for h.Len() > 0 {
		run := (*h)[0]
		e := run[0]
		if maxBytes > 0 && size+e.size > maxBytes {
			heap.Pop(h)
			continue
		}
		out = append(out, e.tx)
		size += e.size
		if len(run) == 1 {
			heap.Pop(h)
		} else {
			(*h)[0] = run[1:]
			heap.Fix(h, 0)
		}
	}
	return out
}

// headHeap orders senders' pending runs by the fee rate of their next
// transaction, earliest arrival first among equals (so free transactions
// stay first-come first-served).
type headHeap [][]*entry

func (h headHeap) Len() int { return len(h) }
func (h headHeap) Less(i, j int) bool {
	a, b := h[i][0], h[j][0]
	if a.feeRate != b.feeRate {
		return a.feeRate > b.feeRate
	}
	return a.seq < b.seq
}
func (h headHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *headHeap) Push(x any)   { *h = append(*h, x.([]*entry)) }
func (h *headHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
