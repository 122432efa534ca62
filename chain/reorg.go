package chain

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/lthash"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// bestCandidate is the block with the most cumulative work whose whole
// branch has its data, is not known to be invalid, is not pending and
// contains the pinned block (Config.Pinned). Ties keep the current tip
// (first seen wins), so equal-work forks do not flap. When the tip itself
// lacks the pinned block, the best branch containing it wins even with
// less work than the tip. Only the candidate set is searched
// (candidates.go), not the whole block index.
func (c *Chain) bestCandidate() *blockNode {
	pin := c.pinNode()
	var best *blockNode
	if tip := c.tipNode(); pin == nil || descends(tip, pin) {
		best = tip
	}
	for n := range c.candidates {
		if !c.candidateLive(n) || (best != nil && n.work.Cmp(best.work) <= 0) {
			continue
		}
		if n.status&statusInvalid != 0 || n.pending != nil || (pin != nil && !descends(n, pin)) || !c.branchConnectable(n) {
			continue
		}
		best = n
	}
	if best == nil {
		return c.tipNode() // no known branch holds the pin: stay
	}
	return best
}

// branchConnectable reports whether every block from n back to the main
// chain has its data and none is invalid or pending.
func (c *Chain) branchConnectable(n *blockNode) bool {
	for it := n; it != nil && !c.onMainChain(it); it = it.parent {
		if it.status&statusHaveData == 0 || it.status&statusInvalid != 0 || it.pending != nil {
			return false
		}
	}
	return true
}

// pinNode is the block Config.Pinned names, or nil when there is none or
// this chain does not have it (a pin it cannot honour).
func (c *Chain) pinNode() *blockNode {
	if c.pinned == nil {
		return nil
	}
	h := c.pinned()
	if h == (wire.Hash{}) {
		return nil
	}
	n := c.index[h]
	if n == nil || n.status&(statusHaveData|statusInvalid) != statusHaveData {
		return nil
	}
	return n
}

// tipHoldsPin reports whether the main chain contains the pinned block
// (or nothing is pinned).
func (c *Chain) tipHoldsPin() bool {
	pin := c.pinNode()
	return pin == nil || c.onMainChain(pin)
}

// descends reports whether n is p or a descendant of p.
func descends(n, p *blockNode) bool {
	return n.height() >= p.height() && n.ancestor(p.height()) == p
}

func (c *Chain) onMainChain(n *blockNode) bool {
	h := n.height()
	return h < uint64(len(c.main)) && c.main[h] == n
}

// activateBestChain reorganises onto the best candidate branch. If a block
// on it fails to connect, that block and its descendants are marked
// invalid (a rule error) or pending (ErrPending) and the search repeats,
// so the chain always ends on the best valid branch it can connect now.
// Called with c.mu held.
func (c *Chain) activateBestChain() ([]Event, error) {
	var events []Event
	for attempt := 0; ; attempt++ {
		target := c.bestCandidate()
		if target == c.tipNode() {
			return events, nil
		}
		if attempt > len(c.index) {
			return events, consensus.AssertError("fork choice did not converge")
		}
		ev, err := c.reorganize(target)
		if ev != nil {
			events = append(events, *ev)
		}
		var rerr consensus.RuleError
		if err != nil && !errors.As(err, &rerr) && !errors.Is(err, ErrPending) {
			c.retryPending = true
			return events, err
		}
	}
}

// reorganize moves the main chain to target: disconnect back to the fork
// point, then connect target's branch (connectBranch: several blocks per
// atomic Badger transaction, each ending on a whole block), so a crash
// leaves the tip on a consistent block of either branch, and Open finishes the switch. A rule violation
// while connecting marks the block invalid and returns its RuleError with
// the tip wherever the last good block left it.
func (c *Chain) reorganize(target *blockNode) (*Event, error) {
	tip := c.tipNode()
	fork := findFork(tip, target)
	if fork == nil {
		return nil, consensus.AssertError("branch does not share genesis with the main chain")
	}
	ev := &Event{}
	for n := tip; n != fork; n = n.parent {
		blk, err := c.disconnectTip()
		if err != nil {
			return c.finishEvent(ev), err
		}
		ev.Reverted = append(ev.Reverted, blk)
	}
	var attach []*blockNode
	for n := target; n != fork; n = n.parent {
		attach = append(attach, n)
	}
	slices.Reverse(attach)
	if n, err := c.connectBranch(attach, ev); err != nil {
		var rerr consensus.RuleError
		switch {
		case errors.As(err, &rerr):
			c.markInvalid(n, err)
			c.log.Warn("block failed to connect", "hash", n.hash, "height", n.height(), "err", err)
		case errors.Is(err, ErrPending):
			c.markPending(n, err)
		}
		return c.finishEvent(ev), err
	}
	if len(ev.Reverted) > 0 {
		c.log.Info("reorganized", "fork_height", fork.height(), "reverted", len(ev.Reverted), "applied", len(ev.Applied), "tip", target.hash)
	}
	return c.finishEvent(ev), nil
}

func (c *Chain) finishEvent(ev *Event) *Event {
	if len(ev.Reverted) == 0 && len(ev.Applied) == 0 {
		return nil
	}
	ev.Tip = c.tipInfoLocked()
	ev.Seq = c.nextSeq // numbered under c.mu: the order the main chain changed
	c.nextSeq++
	c.events.park(*ev)
	return ev
}

// markInvalid flags n and every known descendant invalid, in memory and on
// disk, so neither is ever tried again.
func (c *Chain) markInvalid(n *blockNode, reason error) {
	n.invalidErr = reason
	var marked []*blockNode
	for _, d := range c.index {
		if d.height() >= n.height() && d.ancestor(n.height()) == n {
			d.status |= statusInvalid
			marked = append(marked, d)
		}
	}
	err := c.db.Update(func(txn *badger.Txn) error {
		var rerr consensus.RuleError
		if errors.As(reason, &rerr) {
			if err := txn.Set(reasonKey(n.hash), []byte(rerr.Kind)); err != nil {
				return err
			}
		}
		for _, d := range marked {
			if err := txn.Set(headerKey(d.hash), encodeHeaderRecord(&d.header, d.status)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The flag is advisory on disk: a restart would re-validate and
		// reject the block again, so losing it costs time, not safety.
		c.log.Error("could not persist invalid block status", "hash", n.hash, "err", err)
	}
}

func (c *Chain) loadBlock(txn *badger.Txn, h wire.Hash) (*wire.Block, error) {
	b, err := getValue(txn, blockKey(h))
	if err != nil {
		return nil, fmt.Errorf("read block %s: %w", h, err)
	}
	blk, err := wire.DecodeBlock(b)
	if err != nil {
		return nil, fmt.Errorf("stored block %s is corrupt: %w", h, err)
	}
	return blk, nil
}

// connectBlock applies n's block to the tip state and commits block
// effects, undo data, indexes, the tip pointer and the new commitment in
// one transaction. n's parent must be the tip. Called with c.mu held.
func (c *Chain) connectBlock(n *blockNode) (*wire.Block, error) {
	txn := c.db.NewTransaction(true)
	defer txn.Discard()
	var blk *wire.Block
	var err error
	if a := c.arriving; a != nil && a.hash == n.hash {
		if blk = a.blk; blk == nil {
			if blk, err = wire.DecodeBlock(a.raw); err != nil {
				return nil, fmt.Errorf("block %s: %w", n.hash, err)
			}
		}
	} else if blk, err = c.loadBlock(txn, n.hash); err != nil {
		return nil, err
	}
	view := newView(txnReader{txn})
	bctx := &BlockContext{Params: c.params, Net: c.net, Height: n.height(), Time: n.header.Timestamp, Header: &n.header}
	if err := c.applyBlock(view, blk, bctx); err != nil {
		return nil, err
	}
	changes, acc, err := c.commitmentAfter(view)
	if err != nil {
		return nil, err
	}
	if root := wire.Hash(acc.Sum()); root != n.header.StateRoot {
		return nil, consensus.RuleErrorf(consensus.ErrBadStateRoot, "header state root %s, state after the block commits to %s", n.header.StateRoot, root)
	}
	n.status |= statusValid
	if err := c.writeConnect(txn, n, blk, changes, acc); err != nil {
		return nil, err
	}
	if err := txn.Commit(); err != nil {
		return nil, fmt.Errorf("commit block %s: %w", n.hash, err)
	}
	c.commitment = acc
	c.main = append(c.main, n)
	return blk, nil
}

// applyBlock runs the state machine over a block in a view: expiry, each
// transaction (in parallel where the state machine allows,
// parallelapply.go, with the result of applying them in order), then the
// block's own effects.
func (c *Chain) applyBlock(view *View, blk *wire.Block, bctx *BlockContext) error {
	if err := c.applyTxs(view, blk.Txs, bctx); err != nil {
		return err
	}
	return c.sm.FinishBlock(view, blk, bctx)
}

func (c *Chain) writeConnect(txn *badger.Txn, n *blockNode, blk *wire.Block, changes []stateChange, acc *lthash.Hash) error {
	set := func(k, v []byte) error { return txn.Set(k, v) }
	for _, ch := range changes {
		var err error
		if ch.hasNew {
			err = set(stateKey(ch.key), ch.new)
		} else {
			err = txn.Delete(stateKey(ch.key))
		}
		if err != nil {
			return err
		}
	}
	loc := make([]byte, wire.HashSize+4)
	copy(loc, n.hash[:])
	for i, tx := range blk.Txs {
		loc[wire.HashSize], loc[wire.HashSize+1], loc[wire.HashSize+2], loc[wire.HashSize+3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		if err := set(txKey(tx.ID()), append([]byte(nil), loc...)); err != nil {
			return err
		}
	}
	for _, kv := range [][2][]byte{
		{undoKey(n.hash), encodeUndo(changes)},
		{heightKey(n.height()), n.hash[:]},
		{headerKey(n.hash), encodeHeaderRecord(&n.header, n.status)},
		{keyTip, n.hash[:]},
		{keyCommitment, acc.Bytes()},
	} {
		if err := set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// disconnectTip undoes the tip block through its undo data and moves the
// tip to its parent in one transaction. Called with c.mu held.
func (c *Chain) disconnectTip() (*wire.Block, error) {
	n := c.tipNode()
	if n.parent == nil {
		return nil, consensus.AssertError("cannot disconnect genesis")
	}
	txn := c.db.NewTransaction(true)
	defer txn.Discard()
	blk, err := c.loadBlock(txn, n.hash)
	if err != nil {
		return nil, err
	}
	raw, err := getValue(txn, undoKey(n.hash))
	if err != nil {
		return nil, fmt.Errorf("undo data of block %s: %w", n.hash, err)
	}
	undo, err := decodeUndo(raw)
	if err != nil {
		return nil, fmt.Errorf("undo data of block %s: %w", n.hash, err)
	}
	reader := txnReader{txn}
	changes := make([]stateChange, 0, len(undo))
	for _, u := range undo {
		cur, has, err := reader.getState([]byte(u.key))
		if err != nil {
			return nil, err
		}
		changes = append(changes, stateChange{key: u.key, old: cur, hadOld: has, new: u.old, hasNew: u.hadOld})
		if u.hadOld {
			err = txn.Set(stateKey(u.key), u.old)
		} else {
			err = txn.Delete(stateKey(u.key))
		}
		if err != nil {
			return nil, err
		}
	}
	acc := *c.commitment
	applyToCommitment(&acc, changes, true)
	if wire.Hash(acc.Sum()) != n.parent.header.StateRoot {
		return nil, consensus.AssertError(fmt.Sprintf("undo of block %s does not restore the parent's state root", n.hash))
	}
	for _, tx := range blk.Txs {
		if err := txn.Delete(txKey(tx.ID())); err != nil {
			return nil, err
		}
	}
	for _, k := range [][]byte{undoKey(n.hash), heightKey(n.height())} {
		if err := txn.Delete(k); err != nil {
			return nil, err
		}
	}
	if err := txn.Set(keyTip, n.parent.hash[:]); err != nil {
		return nil, err
	}
	if err := txn.Set(keyCommitment, acc.Bytes()); err != nil {
		return nil, err
	}
	if err := txn.Commit(); err != nil {
		return nil, fmt.Errorf("commit disconnect of %s: %w", n.hash, err)
	}
	c.commitment = &acc
	c.main = c.main[:len(c.main)-1]
	c.addCandidate(n)
	return blk, nil
}
