package chain

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/lthash"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ErrNotFound is returned by lookups of unknown blocks and transactions.
var ErrNotFound = errors.New("not found")

func (c *Chain) tipInfoLocked() TipInfo {
	n := c.tipNode()
	return TipInfo{
		Hash: n.hash, Height: n.height(), Work: new(big.Int).Set(n.work),
		WorkHex: fmt.Sprintf("%x", n.work), Bits: n.header.Bits,
		Difficulty: Difficulty(c.params, n.header.Bits), Time: n.header.Timestamp,
	}
}

// Difficulty expresses bits as a multiple of the easiest target allowed.
func Difficulty(p *consensus.ChainParams, bits uint32) float64 {
	target, ok := consensus.CompactToBig(bits)
	if !ok || target.Sign() == 0 {
		return 0
	}
	d, _ := new(big.Float).Quo(new(big.Float).SetInt(p.PowLimit), new(big.Float).SetInt(target)).Float64()
	return d
}

// Tip describes the main chain's best block.
func (c *Chain) Tip() TipInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tipInfoLocked()
}

// TipHeight is the main chain's height: Tip without describing the tip
// (no work or difficulty formatting), for hot paths.
func (c *Chain) TipHeight() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tipNode().height()
}

// TipHeader returns the header of the main-chain tip.
func (c *Chain) TipHeader() wire.Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tipNode().header
}

// HeaderByHash returns a header on any branch.
func (c *Chain) HeaderByHash(h wire.Hash) (wire.Header, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	if !ok {
		return wire.Header{}, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	return n.header, nil
}

// HaveBlock reports whether the block is stored or waiting as an orphan.
func (c *Chain) HaveBlock(h wire.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	return (ok && n.status&statusHaveData != 0) || c.orphans.has(h)
}

// IsMainChain reports whether the block is on the main chain.
func (c *Chain) IsMainChain(h wire.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	return ok && c.onMainChain(n)
}

// HashAtHeight returns the main-chain block hash at height.
func (c *Chain) HashAtHeight(height uint64) (wire.Hash, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height >= uint64(len(c.main)) {
		return wire.Hash{}, fmt.Errorf("height %d is above the tip %d: %w", height, len(c.main)-1, ErrNotFound)
	}
	return c.main[height].hash, nil
}

// BlockByHash returns a stored block on any branch.
func (c *Chain) BlockByHash(h wire.Hash) (*wire.Block, error) {
	var blk *wire.Block
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		blk, err = c.loadBlock(txn, h)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	return blk, err
}

// BlockBytes returns a stored block's encoding without decoding it (for
// serving peers).
func (c *Chain) BlockBytes(h wire.Hash) ([]byte, error) {
	var b []byte
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		b, err = getValue(txn, blockKey(h))
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	return b, err
}

// BlockByHeight returns the main-chain block at height.
func (c *Chain) BlockByHeight(height uint64) (*wire.Block, error) {
	h, err := c.HashAtHeight(height)
	if err != nil {
		return nil, err
	}
	return c.BlockByHash(h)
}

// TxLocation finds a main-chain transaction: its block and index.
func (c *Chain) TxLocation(id wire.Hash) (wire.Hash, int, error) {
	var loc []byte
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		loc, err = getValue(txn, txKey(id))
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return wire.Hash{}, 0, fmt.Errorf("transaction %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return wire.Hash{}, 0, err
	}
	if len(loc) != wire.HashSize+4 {
		return wire.Hash{}, 0, fmt.Errorf("transaction index entry for %s is corrupt", id)
	}
	var bh wire.Hash
	copy(bh[:], loc)
	idx := int(loc[32])<<24 | int(loc[33])<<16 | int(loc[34])<<8 | int(loc[35])
	return bh, idx, nil
}

// ReadState runs fn against a consistent read-only view of the committed
// state at the tip, and reports which tip that was. Writes to the view are
// discarded.
// ViewState runs fn on a consistent snapshot of the tip state, like
// ReadState without describing the tip: the cheap form for lookups made
// per transaction (the auction chain's reads of device records).
func (c *Chain) ViewState(fn func(view *View) error) error {
	c.mu.RLock()
	txn := c.db.NewTransaction(false)
	c.mu.RUnlock()
	defer txn.Discard()
	return fn(newView(txnReader{txn}))
}

func (c *Chain) ReadState(fn func(view *View, tip TipInfo) error) error {
	c.mu.RLock()
	tip := c.tipInfoLocked()
	txn := c.db.NewTransaction(false)
	c.mu.RUnlock()
	defer txn.Discard()
	return fn(newView(txnReader{txn}), tip)
}

// Locator returns main-chain hashes from the tip back to genesis at
// exponentially growing distances, for a peer to find the fork point.
func (c *Chain) Locator() []wire.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []wire.Hash
	step := uint64(1)
	h := uint64(len(c.main) - 1)
	for {
		out = append(out, c.main[h].hash)
		if h == 0 {
			return out
		}
		if len(out) >= 10 {
			step *= 2
		}
		if h < step {
			h = 0
		} else {
			h -= step
		}
	}
}

// HeadersAfter returns up to max main-chain headers following the first
// locator hash that is on the main chain (genesis if none is).
func (c *Chain) HeadersAfter(locator []wire.Hash, max int) []wire.Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	start := uint64(0)
	for _, h := range locator {
		if n, ok := c.index[h]; ok && c.onMainChain(n) {
			start = n.height()
			break
		}
	}
	var out []wire.Header
	for h := start + 1; h < uint64(len(c.main)) && len(out) < max; h++ {
		out = append(out, c.main[h].header)
	}
	return out
}

// OrphanRoot returns the first missing ancestor of an orphan block.
func (c *Chain) OrphanRoot(h wire.Hash) wire.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.root(h)
}

// OrphanCount is the number of blocks waiting for their parent.
func (c *Chain) OrphanCount() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.len()
}

// ApplyOnTip applies txs in order to a scratch copy of the tip state, as if
// they were the next block's transactions, and returns each one's error
// (nil for those that applied; a failed one is rolled back and the rest go
// on). Nothing is written. The mempool uses it for stateful validation.
func (c *Chain) ApplyOnTip(txs []*wire.Tx) ([]error, TipInfo, error) {
	s := c.OpenTipState()
	defer s.Close()
	x := s.NewScratch()
	errs := make([]error, len(txs))
	for i, tx := range txs {
		rejected, err := x.Apply(tx)
		if err != nil {
			return nil, s.tip, err
		}
		errs[i] = rejected
	}
	return errs, s.tip, nil
}

// tryApply applies one candidate transaction (expiry, then the state
// machine) and rolls the view back if it fails. A rule violation comes back
// as rejected; anything else is this node's failure.
func (c *Chain) tryApply(view *View, tx *wire.Tx, bctx *BlockContext) (rejected, err error) {
	if tx.Expiry != 0 && bctx.Height > tx.Expiry {
		return consensus.RuleErrorf(consensus.ErrTxExpired, "transaction expired at height %d", tx.Expiry), nil
	}
	cp := view.Checkpoint()
	if err := c.sm.ApplyTx(view, tx, bctx); err != nil {
		view.Rollback(cp)
		var rerr consensus.RuleError
		if !errors.As(err, &rerr) {
			return nil, err
		}
		return err, nil
	}
	return nil, nil
}

// commitmentAfter resolves a view's changes and the state commitment they
// lead to from the tip's.
func (c *Chain) commitmentAfter(view *View) ([]stateChange, *lthash.Hash, error) {
	changes, err := view.changes()
	if err != nil {
		return nil, nil, err
	}
	acc := *c.commitment
	applyToCommitment(&acc, changes, true)
	return changes, &acc, nil
}
