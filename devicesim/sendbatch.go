package devicesim

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/chain/wire"
)

// batchSubmission is one transaction of submitBatchE: the Sender whose
// key signs it and its builder; after the call, its outcome.
type batchSubmission struct {
	sender *Sender
	build  func(nonce uint64) (*wire.Tx, error)

	// ID is the accepted (or already pending) transaction; Err is why it
	// was not submitted (nil when it was).
	ID  wire.Hash
	Err error
}

// nonceLookups bounds the account.nextNonce calls submitBatchE has in
// flight at a time (for senders whose nonce it does not know yet).
const nonceLookups = 16

// submitBatchE is SubmitE for many Senders' transactions at once: it
// builds each at its Sender's next nonce and sends them in tx.submitBatch
// calls (at most apitypes.MaxSubmitBatch each), one node round trip for
// the lot instead of one per transaction. Per-item refusals are handled as
// SubmitE handles them: accepted or an identical transaction pending
// counts as submitted; a nonce conflict (another process used the key, a
// dropped transaction left the local sequence ahead) refetches that
// Sender's nonce and rebuilds its transaction for the next call, at most
// maxNonceRetries times; any other refusal is that item's Err. Items of
// one Sender go out in order, at most one per call, so a refusal never
// leaves a later nonce of the same Sender waiting behind a gap. Every
// Sender involved is held for the whole call, so its other submissions
// wait, as they wait for each other.
//
// The returned error is non-nil only when a tx.submitBatch call itself
// failed (the node unreachable, or without the method: -32601); the items
// not settled by then carry it as their Err, and their Senders will ask
// the node for their nonce again.
func submitBatchE(ctx context.Context, c Caller, items []*batchSubmission) error {
	senders := make([]*Sender, 0, len(items))
	for _, it := range items {
		if !slices.Contains(senders, it.sender) {
			senders = append(senders, it.sender)
		}
	}
	// One lock order for every caller: by key.
	slices.SortFunc(senders, func(a, b *Sender) int {
		return cmp.Compare(a.Key.PubKey().String(), b.Key.PubKey().String())
	})
	for _, s := range senders {
		s.mu.Lock()
		defer s.mu.Unlock()
	}

	settled := make(map[*batchSubmission]bool, len(items))
	conflicts := map[*Sender]int{}
	for backoff := 0; ; {
		// This call's items: the first unsettled one of each Sender.
		var round []*batchSubmission
		inRound := map[*Sender]bool{}
		for _, it := range items {
			if !settled[it] && !inRound[it.sender] {
				round = append(round, it)
				inRound[it.sender] = true
			}
		}
		if len(round) == 0 {
			return nil
		}
		if backoff > 0 { // others are busy with these keys: back off a little
			if err := sleepCtx(ctx, time.Duration(backoff)*50*time.Millisecond); err != nil {
				settleAll(items, settled, err)
				return err
			}
		}
		conflicted := false
		lookupNonces(ctx, c, round, settled)
		var txs []*wire.Tx
		var sent []*batchSubmission
		for _, it := range round {
			if settled[it] {
				continue // its nonce lookup failed
			}
			tx, err := it.build(it.sender.next)
			if err != nil {
				it.Err, settled[it] = err, true
				continue
			}
			txs, sent = append(txs, tx), append(sent, it)
		}
		for start := 0; start < len(txs); start += apitypes.MaxSubmitBatch {
			end := min(start+apitypes.MaxSubmitBatch, len(txs))
			res, err := apiOf(c).SubmitBatch(ctx, txs[start:end])
			if err != nil {
				for _, s := range senders {
					s.known = false // some may have been accepted
				}
				settleAll(items, settled, err)
				return err
			}
			for j, r := range res.Results {
				it, tx := sent[start+j], txs[start+j]
				s := it.sender
				err := apiclient.ItemErr(r)
				switch {
				case s.taken(err):
					it.ID, settled[it] = tx.ID(), true
				case nonceConflict(err):
					s.known, conflicted = false, true
					conflicts[s]++
					if conflicts[s] >= maxNonceRetries {
						it.Err, settled[it] = fmt.Errorf("gave up after %d nonce conflicts: %w", maxNonceRetries, err), true
					}
				default:
					// The node refused the transaction itself; the
					// sequence may now be ahead of the node's.
					s.known = false
					it.Err, settled[it] = err, true
				}
			}
		}
		if conflicted {
			backoff = min(backoff+1, maxNonceRetries)
		}
	}
}

// lookupNonces asks the node (account.nextNonce, a few calls at a time)
// for the next nonce of every Sender in round that does not know it; an
// item whose lookup failed is settled with that error.
func lookupNonces(ctx context.Context, c Caller, round []*batchSubmission, settled map[*batchSubmission]bool) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, nonceLookups)
	for _, it := range round {
		s := it.sender
		if s.known {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			n, err := nextNonce(ctx, c, s.Key.PubKey(), s.chainName())
			if err != nil {
				mu.Lock()
				it.Err, settled[it] = fmt.Errorf("next nonce of %s: %w", s.Key.PubKey(), err), true
				mu.Unlock()
				return
			}
			s.next, s.known = n, true // each Sender appears once per round
		}()
	}
	wg.Wait()
}

// settleAll gives every unsettled item err.
func settleAll(items []*batchSubmission, settled map[*batchSubmission]bool, err error) {
	for _, it := range items {
		if !settled[it] {
			it.Err, settled[it] = err, true
		}
	}
}
