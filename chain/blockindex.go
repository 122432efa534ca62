package chain

import (
	"math/big"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// blockNode is one entry of the in-memory block tree: every header the
// chain has accepted, on any branch.
type blockNode struct {
	hash   wire.Hash
	header wire.Header
	parent *blockNode
	work   *big.Int // cumulative work up to and including this block
	status uint8
	// anchorTime is the timestamp of block 1 on this node's branch, the
	// ASERT anchor; carried down so NextBits needs no ancestor walk.
	anchorTime int64
	// invalidErr is why this block failed to connect (memory only; after a
	// restart the status flag alone says it is invalid).
	invalidErr error
	// pending is why this block could not be connected yet for a reason
	// outside its chain's rules (ErrPending); memory only. A pending
	// block and its descendants are not fork-choice candidates until
	// RetryPending clears the flag.
	pending error
}

func (n *blockNode) height() uint64 { return n.header.Height }

func newBlockNode(h *wire.Header, parent *blockNode) *blockNode {
	n := &blockNode{hash: h.Hash(), header: *h, parent: parent, work: consensus.CalcWork(h.Bits)}
	if parent != nil {
		n.work.Add(n.work, parent.work)
		n.anchorTime = parent.anchorTime
		if parent.status&statusInvalid != 0 {
			n.status |= statusInvalid
		}
	}
	if h.Height == 1 {
		n.anchorTime = h.Timestamp
	}
	return n
}

// medianTimePast of the blocks up to and including n.
func (n *blockNode) medianTimePast() int64 {
	times := make([]int64, 0, consensus.MedianTimeBlocks)
	for it := n; it != nil && len(times) < consensus.MedianTimeBlocks; it = it.parent {
		times = append(times, it.header.Timestamp)
	}
	return consensus.MedianTime(times)
}

// ancestor returns n's ancestor at height, or nil.
func (n *blockNode) ancestor(height uint64) *blockNode {
	it := n
	for it != nil && it.height() > height {
		it = it.parent
	}
	if it != nil && it.height() == height {
		return it
	}
	return nil
}

// findFork returns the last common ancestor of a and b.
func findFork(a, b *blockNode) *blockNode {
	for a != nil && b != nil && a != b {
		switch {
		case a.height() > b.height():
			a = a.parent
		case b.height() > a.height():
			b = b.parent
		default:
			a, b = a.parent, b.parent
		}
	}
	if a == b {
		return a
	}
	return nil
}
