package chain

import (
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/wire"
)

// TipState is a read-only snapshot of the main chain's tip state for
// checking transactions that are not in a block yet: each Scratch applies
// transactions on it, as if they were the next block's, without writing
// anything. The mempool keeps one Scratch per sender holding the state
// after that sender's pending run, so a new transaction is checked by
// applying it alone instead of replaying the run.
//
// The snapshot does not follow the chain: Current reports whether the tip
// has moved since. A TipState and its Scratches are not safe for
// concurrent use; Close releases the snapshot, after which its Scratches
// must not be used.
type TipState struct {
	c      *Chain
	tip    TipInfo
	opened time.Time
	txn    *badger.Txn
	bctx   *BlockContext
}

// OpenTipState snapshots the tip state. The next block's context is the
// tip's child at the current time (as ApplyOnTip uses).
func (c *Chain) OpenTipState() *TipState {
	c.mu.RLock()
	tip := c.tipInfoLocked()
	parent := c.tipNode()
	txn := c.db.NewTransaction(false)
	c.mu.RUnlock()
	now := c.now()
	hdr := &wire.Header{ChainID: c.params.ChainID, Height: parent.height() + 1, PrevHash: parent.hash, Timestamp: max(now.UnixMilli(), parent.header.Timestamp+1)}
	s := &TipState{c: c, tip: tip, opened: now, txn: txn,
		bctx: &BlockContext{Params: c.params, Net: c.net, Height: hdr.Height, Time: hdr.Timestamp, Header: hdr}}
	c.tipStatesMu.Lock()
	if c.tipStates == nil {
		c.tipStates = make(map[*TipState]struct{})
	}
	c.tipStates[s] = struct{}{}
	c.tipStatesMu.Unlock()
	return s
}

// closeTipStates releases the snapshots still open when the chain closes
// (their owners' later Close does nothing).
func (c *Chain) closeTipStates() {
	c.tipStatesMu.Lock()
	defer c.tipStatesMu.Unlock()
	for s := range c.tipStates {
		s.txn.Discard()
	}
	c.tipStates = nil
}

// Tip is the block whose state the snapshot holds.
func (s *TipState) Tip() TipInfo { return s.tip }

// Opened is when the snapshot was taken (the clock of Config.Now).
func (s *TipState) Opened() time.Time { return s.opened }

// Current reports whether the snapshot is still of the main chain's tip.
func (s *TipState) Current() bool {
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	return s.c.tipNode().hash == s.tip.Hash
}

// Close releases the snapshot (safe to call twice, and after the chain
// closed).
func (s *TipState) Close() {
	s.c.tipStatesMu.Lock()
	defer s.c.tipStatesMu.Unlock()
	if _, open := s.c.tipStates[s]; open {
		delete(s.c.tipStates, s)
		s.txn.Discard()
	}
}

// NewScratch returns an empty overlay on the snapshot.
func (s *TipState) NewScratch() *Scratch {
	return &Scratch{s: s, view: newView(txnReader{s.txn})}
}

// Scratch is a writable overlay on a TipState: the transactions applied to
// it so far, on the tip state.
type Scratch struct {
	s    *TipState
	view *View
}

// Apply applies tx (expiry, then the state machine) as the next block's
// transaction would be. A rule violation is returned as rejected and
// leaves the scratch as it was; err is this node's failure (storage).
func (x *Scratch) Apply(tx *wire.Tx) (rejected, err error) {
	return x.s.c.tryApply(x.view, tx, x.s.bctx)
}

// Checkpoint marks the scratch's state for Rollback.
func (x *Scratch) Checkpoint() int { return x.view.Checkpoint() }

// Rollback undoes every Apply since the checkpoint.
func (x *Scratch) Rollback(cp int) { x.view.Rollback(cp) }
