package mempool

import (
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
)

// tipStateMaxAge bounds how long the pool checks transactions against one
// snapshot of the tip state when the tip does not move: the next block's
// timestamp the snapshot assumes goes stale, and Badger keeps the
// snapshot's versions alive while it is open.
const tipStateMaxAge = time.Second

// senderState is the pending-state cache of one sender: the state after
// its first len(applied) pending transactions, applied in order on the
// pool's tip snapshot. Submit checks a transaction that extends the run
// by applying it alone here instead of replaying the whole run. An entry
// is dropped whenever the sender's run changes other than by such an
// extension (removeLocked), and all are dropped with the snapshot.
type senderState struct {
	base    uint64 // the committed next nonce the run starts at
	scratch *chain.Scratch
	applied []*entry
}

// tipStateLocked returns the pool's snapshot of the tip state, taking a
// new one (and dropping every sender's cached state) when the tip has
// moved or the snapshot is older than tipStateMaxAge.
func (p *Pool) tipStateLocked() *chain.TipState {
	if s := p.tipState; s != nil && s.Current() && p.cfg.Now().Sub(s.Opened()) < tipStateMaxAge {
		return s
	}
	p.dropTipStateLocked()
	p.tipState = p.cfg.Chain.OpenTipState()
	return p.tipState
}

func (p *Pool) dropTipStateLocked() {
	if p.tipState != nil {
		p.tipState.Close()
		p.tipState = nil
	}
	clear(p.pending)
}

// checkRunLocked applies the sender's pending run seq (with the candidate
// at index k) on the tip state and returns each member's rule error (nil
// up to the first failure; nothing is applied after it). When the cache
// holds exactly seq[:k], only seq[k:] is applied. On return the sender's
// scratch holds seq up to the first failure; commit says whether the
// caller kept that outcome (then the cache is updated) or not (then the
// scratch is rolled back to before the call).
func (p *Pool) checkRunLocked(sender keys.PubKey, base uint64, seq []*entry, k int) (fail int, rejected error, done func(commit bool), err error) {
	ts := p.tipStateLocked()
	st := p.pending[sender]
	if p.replayRuns || st == nil || st.base != base || len(st.applied) != k || (k > 0 && st.applied[k-1] != seq[k-1]) {
		st = &senderState{base: base, scratch: ts.NewScratch()}
		// Not cached (or the run changed): apply the run from the start.
		k = 0
	}
	cp := st.scratch.Checkpoint()
	applied := st.applied[:k:k]
	fail = -1
	for i := k; i < len(seq); i++ {
		rej, err := st.scratch.Apply(seq[i].tx)
		if err != nil {
			st.scratch.Rollback(cp)
			return 0, nil, nil, err
		}
		if rej != nil {
			fail, rejected = i, rej
			break
		}
		applied = append(applied, seq[i])
	}
	done = func(commit bool) {
		if !commit {
			st.scratch.Rollback(cp)
			return
		}
		st.applied = applied
		p.pending[sender] = st
	}
	return fail, rejected, done, nil
}

// forgetSenderLocked drops a sender's cached pending state.
func (p *Pool) forgetSenderLocked(sender keys.PubKey) { delete(p.pending, sender) }
