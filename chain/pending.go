package chain

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ErrPending is wrapped by a state machine's error when a block cannot be
// connected yet for a reason outside this chain's rules: the auction chain
// anchoring a metadata block this node does not have on its metadata main
// chain (k deep) yet. Such a block is not invalid and its sender is not at
// fault: the engine keeps it, with its descendants, out of fork choice
// until RetryPending, and ProcessBlock reports Result.Pending.
var ErrPending = errors.New("block waits for data outside its chain")

// markPending flags n as pending (memory only). Called with c.mu held.
func (c *Chain) markPending(n *blockNode, reason error) {
	if n.pending == nil {
		c.pendingN++
	}
	n.pending = reason
	c.log.Debug("block pending", "hash", n.hash, "height", n.height(), "reason", reason)
}

// pendingCause is the pending block nearest the main chain on n's branch,
// or nil when the branch has no pending block, or cannot connect anyway
// (missing data, invalid). Called with c.mu held.
func (c *Chain) pendingCause(n *blockNode) *blockNode {
	var cause *blockNode
	for it := n; it != nil && !c.onMainChain(it); it = it.parent {
		if it.status&statusHaveData == 0 || it.status&statusInvalid != 0 {
			return nil
		}
		if it.pending != nil {
			cause = it
		}
	}
	return cause
}

// RetryPending clears every pending flag and re-runs fork choice, after
// the reason blocks were pending may have gone (the node calls it when the
// metadata chain moves), or after a connect failed for a local reason (a
// storage error). It does nothing, cheaply, when nothing is pending.
func (c *Chain) RetryPending() error {
	c.mu.Lock()
	if c.pendingN == 0 && !c.retryPending {
		c.mu.Unlock()
		return nil
	}
	c.clearPendingLocked()
	c.retryPending = false
	events, err := c.activateBestChain()
	c.mu.Unlock()
	c.deliver(events)
	return err
}

func (c *Chain) clearPendingLocked() {
	if c.pendingN == 0 {
		return
	}
	for _, n := range c.index {
		n.pending = nil
	}
	c.pendingN = 0
}

// PinChanged re-runs fork choice after the block Config.Pinned names
// changed (it may now allow, or require, another branch).
func (c *Chain) PinChanged() error {
	c.mu.Lock()
	events, err := c.activateBestChain()
	c.mu.Unlock()
	c.deliver(events)
	return err
}

// PendingBlock describes the pending block that holds back the heaviest
// branch this chain cannot connect yet.
type PendingBlock struct {
	Header wire.Header // the pending block nearest the main chain
	Reason error       // why it is pending
	// BranchTip is the heaviest block of a branch it holds back, which
	// has more work than the main chain.
	BranchTip wire.Hash
}

// HeaviestPending reports the pending block that holds back the branch
// with the most work, when that branch has more work than the main
// chain; ok=false otherwise.
func (c *Chain) HeaviestPending() (PendingBlock, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.pendingN == 0 {
		return PendingBlock{}, false
	}
	var best, cause *blockNode
	tip := c.tipNode()
	for _, n := range c.index {
		if n.work.Cmp(tip.work) <= 0 || (best != nil && n.work.Cmp(best.work) <= 0) {
			continue
		}
		if p := c.pendingCause(n); p != nil {
			best, cause = n, p
		}
	}
	if best == nil {
		return PendingBlock{}, false
	}
	return PendingBlock{Header: cause.header, Reason: cause.pending, BranchTip: best.hash}, true
}

// Reconsider clears the invalid marks of a block, its ancestors and its
// descendants (bitcoind's reconsiderblock), in memory and on disk, then
// re-runs fork choice: a block that really breaks a rule is marked again
// when fork choice next tries it. It returns how many blocks lost a mark.
// Use it when blocks were marked invalid wrongly (by an older version, or
// for a reason that depended on another chain's state).
func (c *Chain) Reconsider(h wire.Hash) (int, error) {
	c.mu.Lock()
	n := c.index[h]
	if n == nil {
		c.mu.Unlock()
		return 0, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	var cleared []*blockNode
	for it := n; it != nil; it = it.parent {
		if it.status&statusInvalid != 0 {
			cleared = append(cleared, it)
		}
	}
	cleared = append(cleared, c.invalidDescendants(n)...)
	if err := c.clearInvalid(cleared); err != nil {
		c.mu.Unlock()
		return 0, err
	}
	c.clearPendingLocked()
	if len(cleared) > 0 {
		c.log.Info("reconsidering blocks marked invalid", "hash", h, "cleared", len(cleared))
	}
	events, err := c.activateBestChain()
	c.mu.Unlock()
	c.deliver(events)
	return len(cleared), err
}

// invalidDescendants lists the invalid strict descendants of n.
func (c *Chain) invalidDescendants(n *blockNode) []*blockNode {
	var out []*blockNode
	for _, d := range c.index {
		if d != n && d.status&statusInvalid != 0 && d.height() > n.height() && d.ancestor(n.height()) == n {
			out = append(out, d)
		}
	}
	return out
}

// clearInvalid removes the invalid flag (and any recorded reason) of the
// given blocks in one transaction, then in memory. Called with c.mu held.
func (c *Chain) clearInvalid(nodes []*blockNode) error {
	if len(nodes) == 0 {
		return nil
	}
	err := c.db.Update(func(txn *badger.Txn) error {
		for _, d := range nodes {
			if err := txn.Set(headerKey(d.hash), encodeHeaderRecord(&d.header, d.status&^statusInvalid)); err != nil {
				return err
			}
			if err := txn.Delete(reasonKey(d.hash)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear invalid marks: %w", err)
	}
	for _, d := range nodes {
		d.status &^= statusInvalid
		d.invalidErr = nil
		c.addCandidate(d)
	}
	return nil
}

// recheckInvalidAtOpen clears the invalid marks whose recorded kind is in
// Config.RecheckKinds, or that carry no kind (written before kinds were
// recorded, when an anchor this node could not check yet was wrongly a
// rule error), with their descendants' marks; fork choice validates them
// again. Called from load, before fork choice.
func (c *Chain) recheckInvalidAtOpen() error {
	var roots []*blockNode
	for _, n := range c.index {
		if n.status&statusInvalid != 0 && (n.parent == nil || n.parent.status&statusInvalid == 0) {
			roots = append(roots, n)
		}
	}
	if len(roots) == 0 {
		return nil
	}
	var clear []*blockNode
	err := c.db.View(func(txn *badger.Txn) error {
		for _, r := range roots {
			kind, err := getValue(txn, reasonKey(r.hash))
			switch {
			case errors.Is(err, badger.ErrKeyNotFound):
			case err != nil:
				return err
			case !slices.Contains(c.recheckKinds, consensus.ErrorKind(kind)):
				continue
			}
			clear = append(append(clear, r), c.invalidDescendants(r)...)
			c.log.Info("re-checking a block marked invalid", "hash", r.hash, "height", r.height(), "kind", string(kind))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read invalid-block reasons: %w", err)
	}
	return c.clearInvalid(clear)
}

// BlockInfo is what the chain knows of one block.
type BlockInfo struct {
	Height    uint64
	HaveData  bool // the full block is stored
	Invalid   bool // it or an ancestor broke a rule
	MainChain bool // on the main chain
	TipHeight uint64
}

// BlockInfo reports what the chain knows of block h; ok=false when it has
// never seen its header (orphans are not in the block tree).
func (c *Chain) BlockInfo(h wire.Hash) (BlockInfo, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index[h]
	if n == nil {
		return BlockInfo{}, false
	}
	return BlockInfo{
		Height: n.height(), HaveData: n.status&statusHaveData != 0, Invalid: n.status&statusInvalid != 0,
		MainChain: c.onMainChain(n), TipHeight: c.tipNode().height(),
	}, true
}

// AncestorAt returns the header of block h's ancestor at height on h's
// own branch (h itself at its height); ok=false when h is unknown or
// lower than height.
func (c *Chain) AncestorAt(h wire.Hash, height uint64) (wire.Header, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index[h]
	if n == nil {
		return wire.Header{}, false
	}
	a := n.ancestor(height)
	if a == nil {
		return wire.Header{}, false
	}
	return a.header, true
}

// ErrNotOnMainChain is returned by ViewStateOnMain when the block is not
// on the main chain at that moment.
var ErrNotOnMainChain = errors.New("block is not on the main chain")

// ViewStateOnMain runs fn on a consistent snapshot of the tip state taken
// while block h is on the main chain, so history read through it (state
// kept by height) is h's own branch; else ErrNotOnMainChain.
func (c *Chain) ViewStateOnMain(h wire.Hash, fn func(view *View) error) error {
	c.mu.RLock()
	n := c.index[h]
	if n == nil || !c.onMainChain(n) {
		c.mu.RUnlock()
		return fmt.Errorf("block %s: %w", h, ErrNotOnMainChain)
	}
	txn := c.db.NewTransaction(false)
	c.mu.RUnlock()
	defer txn.Discard()
	return fn(newView(txnReader{txn}))
}
