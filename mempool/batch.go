package mempool

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// batchChunk is how many transactions SubmitBatch verifies at a time: the
// signatures of the next chunk are verified on every core while the
// current chunk's stateful checks run under the pool's lock.
const batchChunk = 256

// errKnownEarlier marks a batch member the pool already held when the
// batch's context-free checks ran (not checked then).
var errKnownEarlier = errors.New("known when checked")

// SubmitBatch is Submit for many transactions (a batch from a peer or a
// client): the context-free checks run on every core and the signatures
// are verified with keys.VerifyBatch through the shared cache, all outside
// the pool's lock; then each transaction, in order, takes Submit's
// stateful path. The results and errors are index for index those of
// calling Submit on each transaction in turn; hooks hear of each accepted
// transaction as Submit's do.
func (p *Pool) SubmitBatch(txs []*wire.Tx) ([]AddResult, []error) {
	results, errs, _ := p.submitBatch(txs)
	return results, errs
}

// SubmitFromPeer is SubmitBatch for transactions a peer relayed (a gossip
// frame). invalid[i] reports that errs[i] came from the context-free
// checks (the chain's envelope and state-machine sanity rules, or the
// signature): the transaction is invalid on any node, so the peer that
// relayed it is at fault. Other errors — this pool's policy and fee
// floor, or the transaction against this node's state — are not: honest
// peers' pools and tips differ.
func (p *Pool) SubmitFromPeer(txs []*wire.Tx) (errs []error, invalid []bool) {
	_, errs, invalid = p.submitBatch(txs)
	return errs, invalid
}

func (p *Pool) submitBatch(txs []*wire.Tx) ([]AddResult, []error, []bool) {
	p.maybeExpire()
	results := make([]AddResult, len(txs))
	errs := make([]error, len(txs))
	invalid := make([]bool, len(txs))
	entries := make([]*entry, len(txs))

	// Chunk i+1's context-free checks overlap chunk i's stateful ones.
	checked := make(chan int, 1)
	go func() {
		defer close(checked)
		for lo := 0; lo < len(txs); lo += batchChunk {
			hi := min(lo+batchChunk, len(txs))
			p.checkContextFree(txs[lo:hi], entries[lo:hi], errs[lo:hi], invalid[lo:hi])
			checked <- hi
		}
	}()
	var hooks []func(*wire.Tx)
	p.hookMu.RLock()
	hooks = p.hooks
	p.hookMu.RUnlock()
	done := 0
	for hi := range checked {
		for i := done; i < hi; i++ {
			if errs[i] == errKnownEarlier {
				// Known when the batch was checked; an earlier member may
				// have replaced it since, so it takes Submit's whole path.
				results[i], errs[i] = p.add(txs[i], p.cfg.Now())
			} else if errs[i] != nil {
				results[i] = AddResult{ID: entries[i].id}
			} else {
				results[i], errs[i] = p.addChecked(entries[i])
			}
			if errs[i] != nil {
				continue
			}
			for _, fn := range hooks {
				fn(txs[i])
			}
		}
		done = hi
	}
	return results, errs, invalid
}

// checkContextFree fills entries and errs for txs: the pool's cheap policy
// checks and the chain's envelope checks on every core, then the
// signatures of the transactions that passed in one keys.VerifyBatch.
// invalid marks the errors of the chain's checks and the signatures.
func (p *Pool) checkContextFree(txs []*wire.Tx, entries []*entry, errs []error, invalid []bool) {
	workers := min(runtime.GOMAXPROCS(0), len(txs))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(txs); i += workers {
				e := p.newEntry(txs[i], p.cfg.Now())
				err := errKnownEarlier
				if !p.Has(e.id) {
					if err = p.precheck(e); err == nil {
						err = p.cfg.Chain.CheckTxEnvelope(txs[i])
						var rerr consensus.RuleError
						invalid[i] = errors.As(err, &rerr)
					}
				}
				entries[i], errs[i] = e, err
			}
		})
	}
	wg.Wait()
	var jobs []keys.VerifyJob
	var at []int
	for i, tx := range txs {
		if errs[i] == nil {
			jobs = append(jobs, keys.VerifyJob{Pub: keys.PubKey(tx.Sender), Hash: tx.SigHash(), Sig: keys.Signature(tx.Sig)})
			at = append(at, i)
		}
	}
	// VerifyBatch reports the lowest bad index and vouches for everything
	// below it, so each bad signature costs one more pass over the rest.
	for len(jobs) > 0 {
		bad, ok := keys.VerifyBatch(context.Background(), jobs, p.cfg.Chain.SigCache(), 0)
		if ok {
			break
		}
		i := at[bad]
		errs[i], invalid[i] = chain.TxSignatureError(txs[i]), true
		jobs, at = jobs[bad+1:], at[bad+1:]
	}
}
