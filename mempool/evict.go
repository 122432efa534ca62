package mempool

import (
	"container/heap"

	"github.com/thingchain/thingchain/chain/wire"
)

// makeRoomLocked evicts transactions until e fits, lowest fee rate first,
// and returns their IDs. Only senders' tails (highest nonces) are victims,
// so an eviction never strands a sender's later transactions behind a new
// gap; e's own sender is never a victim. Nothing paying at least e's fee
// rate is evicted for it: then the pool is full (ErrPoolFull) and nothing
// changes. replacing is the entry e replaces, whose bytes are freed.
func (p *Pool) makeRoomLocked(e, replacing *entry) ([]wire.Hash, error) {
	need := p.bytes + e.size - p.cfg.MaxBytes
	if replacing != nil {
		need -= replacing.size
	}
	if need <= 0 {
		return nil, nil
	}
	// Plan first, on a heap of each other sender's tail, then evict.
	h := &tailHeap{}
	for sender, q := range p.senders {
		if sender == e.sender {
			continue
		}
		if t := q.tail(); t != nil {
			*h = append(*h, t)
		}
	}
	heap.Init(h)
	var victims []*entry
	for need > 0 {
		if h.Len() == 0 || (*h)[0].feeRate >= e.feeRate {
			return nil, policyErrorf(ErrPoolFull, "the pool holds %d bytes paying at least %d units per kB; %d more bytes would be needed for this one", p.bytes, e.feeRate, need)
		}
		v := heap.Pop(h).(*entry)
		victims = append(victims, v)
		need -= v.size
		// The sender's next-highest nonce becomes its tail.
		q := p.senders[v.sender]
		var below *entry
		for _, c := range q.txs {
			if c.tx.Nonce < v.tx.Nonce && (below == nil || c.tx.Nonce > below.tx.Nonce) {
				below = c
			}
		}
		if below != nil {
			heap.Push(h, below)
		}
	}
	ids := make([]wire.Hash, len(victims))
	for i, v := range victims {
		ids[i] = v.id
		p.removeLocked(v)
	}
	p.cfg.Logger.Debug("mempool: evicted for room", "count", len(ids), "for_fee_rate", e.feeRate)
	return ids, nil
}

// tailHeap is a min-heap of entries by fee rate, latest arrival first
// among equals.
type tailHeap []*entry

func (h tailHeap) Len() int { return len(h) }
func (h tailHeap) Less(i, j int) bool {
	if h[i].feeRate != h[j].feeRate {
		return h[i].feeRate < h[j].feeRate
	}
	return h[i].seq > h[j].seq
}
func (h tailHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *tailHeap) Push(x any)   { *h = append(*h, x.(*entry)) }
func (h *tailHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
