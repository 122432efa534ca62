package chain

import (
	"time"

	"github.com/thingchain/thingchain/chain/wire"
)

// orphanTTL is how long a block whose parent is unknown is kept.
const orphanTTL = 10 * time.Minute

type orphan struct {
	blk     *wire.Block
	size    int
	expires time.Time
}

// orphanPool holds blocks that arrived before their parent, bounded in
// count and bytes so a peer flooding unconnectable blocks cannot exhaust
// memory. When full, expired orphans go first, then arbitrary ones (map
// order), so an attacker cannot pin a particular victim.
type orphanPool struct {
	maxCount, maxBytes int
	bytes              int
	byHash             map[wire.Hash]*orphan
	byParent           map[wire.Hash][]wire.Hash
}

func newOrphanPool(maxCount, maxBytes int) *orphanPool {
	return &orphanPool{maxCount: maxCount, maxBytes: maxBytes, byHash: map[wire.Hash]*orphan{}, byParent: map[wire.Hash][]wire.Hash{}}
}

func (p *orphanPool) has(h wire.Hash) bool { _, ok := p.byHash[h]; return ok }

func (p *orphanPool) len() int { return len(p.byHash) }

func (p *orphanPool) add(blk *wire.Block, size int, now time.Time) {
	h := blk.Hash()
	// maxCount <= 0 means no pool; without this check the eviction loop
	// below spins forever on an empty map.
	if p.has(h) || size > p.maxBytes || p.maxCount <= 0 {
		return
	}
	for hash, o := range p.byHash {
		if now.After(o.expires) {
			p.remove(hash)
		}
	}
	for len(p.byHash) >= p.maxCount || p.bytes+size > p.maxBytes {
		for hash := range p.byHash {
			p.remove(hash)
			break
		}
	}
	p.byHash[h] = &orphan{blk: blk, size: size, expires: now.Add(orphanTTL)}
	p.bytes += size
	parent := blk.Header.PrevHash
	p.byParent[parent] = append(p.byParent[parent], h)
}

func (p *orphanPool) remove(h wire.Hash) {
	o, ok := p.byHash[h]
	if !ok {
		return
	}
	delete(p.byHash, h)
	p.bytes -= o.size
	parent := o.blk.Header.PrevHash
	kids := p.byParent[parent]
	for i, k := range kids {
		if k == h {
			kids = append(kids[:i], kids[i+1:]...)
			break
		}
	}
	if len(kids) == 0 {
		delete(p.byParent, parent)
	} else {
		p.byParent[parent] = kids
	}
}

// takeChildren removes and returns the orphans whose parent is h.
func (p *orphanPool) takeChildren(h wire.Hash) []*wire.Block {
	var out []*wire.Block
	for _, k := range append([]wire.Hash(nil), p.byParent[h]...) {
		out = append(out, p.byHash[k].blk)
		p.remove(k)
	}
	return out
}

// root walks back from h through orphans to the first missing ancestor,
// which is what a syncing node should ask its peers for.
func (p *orphanPool) root(h wire.Hash) wire.Hash {
	for {
		o, ok := p.byHash[h]
		if !ok {
			return h
		}
		h = o.blk.Header.PrevHash
	}
}
