package chain

import (
	"context"
	"math/big"

	"github.com/thingchain/thingchain/chain/wire"
)

// This file holds what the network layer needs of the chain to judge a
// peer before anything is stored: the context-free block checks, the
// cumulative work of a block it already knows (to prove a header branch's
// work without storing it), and the size of the block tree (to watch
// that a peer could not make the node store anything). None of it changes the chain.

// CheckBlockSanity runs every context-free rule on a block (header, size,
// transaction count, Merkle root, duplicate and malformed transactions,
// all signatures), exactly as ProcessBlock does before it looks at the
// parent. encodedSize is the block's encoded length. Gossip validators
// call it before relaying.
func (c *Chain) CheckBlockSanity(ctx context.Context, blk *wire.Block, encodedSize int) error {
	return c.checkBlockSanity(ctx, blk, encodedSize)
}

// BlockWork is the cumulative work of a block in the block tree up to and
// including it, and whether the block is known and not known to be
// invalid. Header sync adds a branch's header work to it to learn whether
// the branch beats the tip before fetching any block of it.
func (c *Chain) BlockWork(h wire.Hash) (*big.Int, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	if !ok || n.status&statusInvalid != 0 {
		return nil, false
	}
	return new(big.Int).Set(n.work), true
}

// BlockIndexSize is the number of blocks in the block tree (every branch),
// the figure "blocks_known" logs; tests watch it to prove that a peer
// could not make the node store anything.
func (c *Chain) BlockIndexSize() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.index)
}
