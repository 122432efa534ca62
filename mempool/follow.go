package mempool

import (
	"errors"
	"slices"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// expireEvery bounds how often Submit sweeps for expired transactions
// (the node also calls Expire on a timer).
const expireEvery = time.Second

// Expire drops transactions older than the TTL or whose expiry height is
// below the next block's, and returns how many left. The same senders'
// later transactions stay, held behind the gap.
func (p *Pool) Expire() int {
	now := p.cfg.Now()
	next := p.cfg.Chain.Tip().Height + 1
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastExpire = now
	if p.tipState != nil && now.Sub(p.tipState.Opened()) >= tipStateMaxAge {
		p.dropTipStateLocked() // an idle pool holds no Badger snapshot
	}
	n := 0
	for _, e := range p.byID {
		if now.Sub(e.added) > p.cfg.TxTTL || (e.tx.Expiry != 0 && e.tx.Expiry < next) {
			p.removeLocked(e)
			n++
		}
	}
	if n > 0 {
		p.cfg.Logger.Debug("mempool: expired", "count", n)
	}
	return n
}

func (p *Pool) maybeExpire() {
	p.mu.Lock()
	due := p.cfg.Now().Sub(p.lastExpire) >= expireEvery
	p.mu.Unlock()
	if due {
		p.Expire()
	}
}

// onChainEvent follows the main chain. Transactions of connected blocks
// leave (with any of the same senders' that their nonces made stale);
// transactions of disconnected blocks come back through full validation,
// oldest block first so each sender's nonces return in order; then every
// sender touched has its pending run applied on the new tip again, which
// both releases held transactions whose gap a block filled and drops
// pending ones the new state no longer admits.
//
// It runs on the chain's notification path, synchronously: tests and
// template building see a pool that already reflects the new tip.
func (p *Pool) onChainEvent(ev chain.Event) {
	applied := map[wire.Hash]bool{}
	touched := map[keys.PubKey]bool{}
	for _, b := range ev.Applied {
		for _, tx := range b.Txs {
			applied[tx.ID()] = true
			touched[keys.PubKey(tx.Sender)] = true
		}
	}
	for _, b := range ev.Reverted {
		for _, tx := range b.Txs {
			touched[keys.PubKey(tx.Sender)] = true
		}
	}
	p.mu.Lock()
	p.dropTipStateLocked() // of the old tip; releases its Badger snapshot
	for id := range applied {
		if e, ok := p.byID[id]; ok {
			p.removeLocked(e)
		}
	}
	p.mu.Unlock()

	readded := 0
	for i := len(ev.Reverted) - 1; i >= 0; i-- {
		for _, tx := range ev.Reverted[i].Txs {
			if applied[tx.ID()] {
				continue // reverted and applied again on the new branch
			}
			if _, err := p.add(tx, p.cfg.Now()); err == nil {
				readded++
			} else if !errors.Is(err, ErrAlreadyKnown) {
				p.cfg.Logger.Debug("mempool: transaction of a disconnected block not re-added", "txid", tx.ID(), "err", err)
			}
		}
	}
	for sender := range touched {
		if err := p.revalidate(sender); err != nil {
			p.cfg.Logger.Error("mempool: revalidating a sender after a chain change", "sender", sender, "err", err)
		}
	}
	if len(ev.Reverted) > 0 {
		p.cfg.Logger.Info("mempool: reorganisation", "reverted_blocks", len(ev.Reverted), "applied_blocks", len(ev.Applied), "readded_txs", readded)
	}
	p.Expire()
}

// revalidate refreshes a sender's committed nonce (dropping transactions
// it made stale) and applies the sender's pending run on the tip; the
// first transaction that fails leaves and those after it are held.
func (p *Pool) revalidate(sender keys.PubKey) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.senders[sender] == nil {
		return nil
	}
	q, err := p.queueLocked(sender)
	if err != nil {
		return err
	}
	run := q.run()
	if len(run) == 0 {
		return nil
	}
	txs := make([]*wire.Tx, len(run))
	for i, e := range run {
		txs[i] = e.tx
	}
	errs, _, err := p.cfg.Chain.ApplyOnTip(txs)
	if err != nil {
		return err
	}
	if f := slices.IndexFunc(errs, func(err error) bool { return err != nil }); f >= 0 {
		p.cfg.Logger.Debug("mempool: pending transaction no longer applies", "txid", run[f].id, "err", errs[f])
		p.removeLocked(run[f])
	}
	return nil
}
