package chain

// The fork-choice candidate set. bestCandidate looks only at blocks off
// the main chain that have their data and are not known invalid (and at
// the tip): a main-chain block other than the tip has less work than the
// tip and cannot be the best candidate, and a block without data or marked
// invalid cannot be connected. The set is kept as a superset, pruned as
// bestCandidate meets entries that no longer qualify, so adding is cheap
// and only a few places add:
//   - acceptBlock and storeAndActivate (a batch), when a block's data is
//     stored;
//   - disconnectTip, when a block leaves the main chain;
//   - clearInvalid, when invalid marks are cleared (Reconsider, open);
//   - loadIndex, for every stored block at open.
// Fork choice thus costs time in the number of side-branch blocks, not in
// the size of the whole block index.

// addCandidate puts n in the candidate set if it may become the best
// candidate. Called with c.mu held.
func (c *Chain) addCandidate(n *blockNode) {
	if n.status&statusHaveData == 0 || n.status&statusInvalid != 0 || c.onMainChain(n) {
		return
	}
	if c.candidates == nil {
		c.candidates = make(map[*blockNode]struct{})
	}
	c.candidates[n] = struct{}{}
}

// candidateLive reports whether n is still worth considering, and drops it
// from the set when it is not. Called with c.mu held.
func (c *Chain) candidateLive(n *blockNode) bool {
	if n.status&statusHaveData == 0 || n.status&statusInvalid != 0 || c.onMainChain(n) {
		delete(c.candidates, n)
		return false
	}
	return true
}
