package p2p

import (
	"sync"

	"github.com/thingchain/thingchain/chain/wire"
)

// recentSet remembers up to max hashes, forgetting the oldest first.
type recentSet struct {
	mu    sync.Mutex
	max   int
	set   map[wire.Hash]struct{}
	order []wire.Hash
	next  int
}

func newRecentSet(max int) *recentSet {
	return &recentSet{max: max, set: make(map[wire.Hash]struct{})}
}

func (r *recentSet) add(h wire.Hash) { r.addNew(h) }

// addNew adds h and reports whether it was not there yet.
func (r *recentSet) addNew(h wire.Hash) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[h]; ok {
		return false
	}
	if len(r.order) < r.max {
		r.order = append(r.order, h)
	} else {
		delete(r.set, r.order[r.next])
		r.order[r.next] = h
		r.next = (r.next + 1) % r.max
	}
	r.set[h] = struct{}{}
	return true
}

func (r *recentSet) has(h wire.Hash) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[h]
	return ok
}

// remove forgets h (its slot in the ring is reused in turn).
func (r *recentSet) remove(h wire.Hash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.set, h)
}
