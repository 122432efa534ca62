package mempool

import (
	"container/heap"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ChainView is what the pool needs of its chain.
type ChainView interface {
	CheckTxSanity(tx *wire.Tx) error
	ApplyOnTip(txs []*wire.Tx) ([]error, chain.TipInfo, error)
	Subscribe(fn func(chain.Event))
	Tip() chain.TipInfo
}

var _ ChainView = (*chain.Chain)(nil)

// Config sets up a Pool.
type Config struct {
	Chain ChainView
	// StateNonce is the sender's next nonce in the committed tip state.
	StateNonce   func(sender keys.PubKey) (uint64, error)
	MaxBytes     int           // total encoded size held; default 64 MiB
	MaxPerSender int           // pending plus held per sender; default 1000
	MaxNonceGap  uint64        // how far past the next nonce a held tx may be; default 64
	TxTTL        time.Duration // default 1 hour
	MinFeeRate   uint64        // base units per 1000 bytes; 0 accepts free transactions
	Now          func() time.Time
	Logger       *slog.Logger
}

type entry struct {
	tx      *wire.Tx
	id      wire.Hash
	sender  keys.PubKey
	size    int
	feeRate uint64 // fee per 1000 bytes
	added   time.Time
}

// senderQueue is one sender's pending transactions by nonce; base is the
// committed next nonce, so base, base+1, … present are executable and
// anything after the first gap is held.
type senderQueue struct {
	base uint64
	txs  map[uint64]*entry
}

func (q *senderQueue) executable() []*entry {
	var out []*entry
	for n := q.base; ; n++ {
		e, ok := q.txs[n]
		if !ok {
			return out
		}
		out = append(out, e)
	}
}

// Pool is one chain's mempool. Safe for concurrent use.
type Pool struct {
	cfg Config

	mu      sync.Mutex
	byID    map[wire.Hash]*entry
	senders map[keys.PubKey]*senderQueue
	bytes   int

	hookMu sync.RWMutex
	hooks  []func(*wire.Tx)
}

// New returns a pool following cfg.Chain.
func New(cfg Config) *Pool {
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 64 << 20
	}
	if cfg.MaxPerSender == 0 {
		cfg.MaxPerSender = 1000
	}
	if cfg.MaxNonceGap == 0 {
		cfg.MaxNonceGap = 64
	}
	if cfg.TxTTL == 0 {
		cfg.TxTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Pool{cfg: cfg, byID: map[wire.Hash]*entry{}, senders: map[keys.PubKey]*senderQueue{}}
	cfg.Chain.Subscribe(p.onChainEvent)
	return p
}

// OnNewTx registers fn to hear of every transaction the pool accepts
// (called outside the pool's lock).
func (p *Pool) OnNewTx(fn func(*wire.Tx)) {
	p.hookMu.Lock()
	p.hooks = append(p.hooks, fn)
	p.hookMu.Unlock()
}

func feeRate(fee uint64, size int) uint64 {
	if fee > (1<<64-1)/1000 {
		return (1<<64 - 1) / uint64(size)
	}
	return fee * 1000 / uint64(size)
}

// Add validates tx and adds it to the pool.
func (p *Pool) Add(tx *wire.Tx) error {
	if err := p.add(tx); err != nil {
		return err
	}
	p.hookMu.RLock()
	hooks := p.hooks
	p.hookMu.RUnlock()
	for _, fn := range hooks {
		fn(tx)
	}
	return nil
}

func (p *Pool) add(tx *wire.Tx) error {
	e := &entry{tx: tx, id: tx.ID(), sender: keys.PubKey(tx.Sender), size: tx.EncodedSize(), added: p.cfg.Now()}
	e.feeRate = feeRate(tx.Fee, e.size)
	p.mu.Lock()
	_, known := p.byID[e.id]
	p.mu.Unlock()
	if known {
		return ErrAlreadyKnown
	}
	if e.feeRate < p.cfg.MinFeeRate {
		return fmt.Errorf("%w: %d units per kB, minimum %d", ErrFeeTooLow, e.feeRate, p.cfg.MinFeeRate)
	}
	if err := p.cfg.Chain.CheckTxSanity(tx); err != nil {
		return err
	}
	if tx.Expiry != 0 && tx.Expiry <= p.cfg.Chain.Tip().Height {
		return consensus.RuleErrorf(consensus.ErrTxExpired, "transaction expired at height %d", tx.Expiry)
	}
	base, err := p.cfg.StateNonce(e.sender)
	if err != nil {
		return err
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if _, known := p.byID[e.id]; known {
		return ErrAlreadyKnown
	}
	q := p.senders[e.sender]
	if q == nil {
		q = &senderQueue{base: base, txs: map[uint64]*entry{}}
	}
	q.base = base
	switch {
	case tx.Nonce < base:
		return consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d was already used; the next nonce is %d", tx.Nonce, base)
	case tx.Nonce > base+p.cfg.MaxNonceGap:
		return fmt.Errorf("%w: nonce %d, next is %d, at most %d ahead is held", ErrNonceTooFarAhead, tx.Nonce, base, p.cfg.MaxNonceGap)
	}
	old := q.txs[tx.Nonce]
	if old != nil && e.feeRate < old.feeRate+old.feeRate/10+1 && !(old.feeRate == 0 && e.feeRate > 0) {
		return fmt.Errorf("%w (pending fee rate %d, offered %d)", ErrReplacementUnderpriced, old.feeRate, e.feeRate)
	}
	if old == nil && len(q.txs) >= p.cfg.MaxPerSender {
		return fmt.Errorf("%w (%d)", ErrSenderLimit, p.cfg.MaxPerSender)
	}
	// Stateful check when the tx is executable now: apply the sender's
	// earlier pending transactions, then this one, on the tip state.
	exec := q.executable()
	if tx.Nonce <= base+uint64(len(exec)) {
		seq := make([]*wire.Tx, 0, tx.Nonce-base+1)
		for _, pe := range exec[:tx.Nonce-base] {
			seq = append(seq, pe.tx)
		}
		seq = append(seq, tx)
		errs, _, err := p.cfg.Chain.ApplyOnTip(seq)
		if err != nil {
			return err
		}
		if errs[len(errs)-1] != nil {
			return errs[len(errs)-1]
		}
	}
	if err := p.makeRoom(e, old); err != nil {
		return err
	}
	if old != nil {
		p.removeLocked(old)
	}
	q.txs[tx.Nonce] = e
	p.senders[e.sender] = q
	p.byID[e.id] = e
	p.bytes += e.size
	return nil
}

// makeRoom evicts the lowest fee-rate transactions (and the later ones of
// the same sender, which would be stuck behind the gap) until e fits.
// Nothing paying at least e's fee rate is evicted for it.
func (p *Pool) makeRoom(e, replacing *entry) error {
	need := p.bytes + e.size - p.cfg.MaxBytes
	if replacing != nil {
		need -= replacing.size
	}
	for need > 0 {
		var victim *entry
		for _, c := range p.byID {
			if c != replacing && (victim == nil || c.feeRate < victim.feeRate) {
				victim = c
			}
		}
		if victim == nil || victim.feeRate >= e.feeRate || victim.sender == e.sender {
			return fmt.Errorf("%w (needs %d more bytes)", ErrPoolFull, need)
		}
		q := p.senders[victim.sender]
		for n := victim.tx.Nonce; ; n++ {
			v, ok := q.txs[n]
			if !ok {
				break
			}
			need -= v.size
			p.removeLocked(v)
		}
	}
	return nil
}

func (p *Pool) removeLocked(e *entry) {
	if _, ok := p.byID[e.id]; !ok {
		return
	}
	delete(p.byID, e.id)
	p.bytes -= e.size
	if q := p.senders[e.sender]; q != nil {
		if q.txs[e.tx.Nonce] == e {
			delete(q.txs, e.tx.Nonce)
		}
		if len(q.txs) == 0 {
			delete(p.senders, e.sender)
		}
	}
}

// Remove drops transactions by ID (for example those a template found no
// longer valid) together with the same senders' later transactions.
func (p *Pool) Remove(ids ...wire.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		e, ok := p.byID[id]
		if !ok {
			continue
		}
		q := p.senders[e.sender]
		for n := e.tx.Nonce; q != nil; n++ {
			v, ok := q.txs[n]
			if !ok {
				break
			}
			p.removeLocked(v)
		}
	}
}

// Get returns a pending transaction.
func (p *Pool) Get(id wire.Hash) (*wire.Tx, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byID[id]
	if !ok {
		return nil, false
	}
	return e.tx, true
}

// Has reports whether the pool holds a transaction.
func (p *Pool) Has(id wire.Hash) bool {
	_, ok := p.Get(id)
	return ok
}

// Stats are the pool's counters.
type Stats struct {
	Count      int `json:"count"`
	Executable int `json:"executable"`
	Held       int `json:"held"`
	Bytes      int `json:"bytes"`
	Senders    int `json:"senders"`
}

// Stats counts what the pool holds.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{Count: len(p.byID), Bytes: p.bytes, Senders: len(p.senders)}
	for _, q := range p.senders {
		s.Executable += len(q.executable())
	}
	s.Held = s.Count - s.Executable
	return s
}

// PendingNonce is the next nonce a sender should use: its committed next
// nonce plus its executable pending transactions.
func (p *Pool) PendingNonce(sender keys.PubKey) (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.senders[sender]
	if q == nil {
		return 0, false
	}
	return q.base + uint64(len(q.executable())), true
}

// Candidates returns executable transactions for a block, highest fee rate
// first across senders while keeping each sender's nonce order, up to
// maxBytes (0 = no limit).
func (p *Pool) Candidates(maxBytes int) []*wire.Tx {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := &senderHeap{}
	for _, q := range p.senders {
		if exec := q.executable(); len(exec) > 0 {
			*h = append(*h, exec)
		}
	}
	heap.Init(h)
	var out []*wire.Tx
	size := 0
	for h.Len() > 0 {
		seq := (*h)[0]
		e := seq[0]
		if maxBytes > 0 && size+e.size > maxBytes {
			heap.Pop(h) // this sender's next does not fit; its later ones cannot go first
			continue
		}
		out = append(out, e.tx)
		size += e.size
		if len(seq) == 1 {
			heap.Pop(h)
		} else {
			(*h)[0] = seq[1:]
			heap.Fix(h, 0)
		}
	}
	return out
}

// senderHeap orders senders by the fee rate of their next transaction,
// earliest arrival first among equals (so a free chain stays FIFO).
type senderHeap [][]*entry

func (h senderHeap) Len() int { return len(h) }
func (h senderHeap) Less(i, j int) bool {
	a, b := h[i][0], h[j][0]
	if a.feeRate != b.feeRate {
		return a.feeRate > b.feeRate
	}
	return a.added.Before(b.added)
}
func (h senderHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *senderHeap) Push(x any)   { *h = append(*h, x.([]*entry)) }
func (h *senderHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Expire drops transactions older than the TTL or past their expiry
// height, with the same senders' later transactions.
func (p *Pool) Expire() int {
	now := p.cfg.Now()
	next := p.cfg.Chain.Tip().Height + 1
	p.mu.Lock()
	var ids []wire.Hash
	for id, e := range p.byID {
		if now.Sub(e.added) > p.cfg.TxTTL || (e.tx.Expiry != 0 && e.tx.Expiry < next) {
			ids = append(ids, id)
		}
	}
	before := len(p.byID)
	p.mu.Unlock()
	p.Remove(ids...)
	p.mu.Lock()
	defer p.mu.Unlock()
	return before - len(p.byID)
}

// onChainEvent follows the main chain: drop what was included, refresh
// each sender's committed nonce, then bring back what was disconnected.
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
	for id := range applied {
		if e, ok := p.byID[id]; ok {
			p.removeLocked(e)
		}
	}
	p.mu.Unlock()
	for sender := range touched {
		base, err := p.cfg.StateNonce(sender)
		if err != nil {
			p.cfg.Logger.Error("mempool: reading sender nonce", "err", err)
			continue
		}
		p.mu.Lock()
		if q := p.senders[sender]; q != nil {
			q.base = base
			for n, e := range q.txs {
				if n < base {
					p.removeLocked(e)
				}
			}
		}
		p.mu.Unlock()
	}
	// Oldest reverted block first, so each sender's nonces come back in order.
	readded := 0
	for i := len(ev.Reverted) - 1; i >= 0; i-- {
		for _, tx := range ev.Reverted[i].Txs {
			if applied[tx.ID()] {
				continue
			}
			if err := p.add(tx); err == nil {
				readded++
			} else if !errors.Is(err, ErrAlreadyKnown) {
				p.cfg.Logger.Debug("mempool: disconnected transaction not re-added", "txid", tx.ID(), "err", err)
			}
		}
	}
	if len(ev.Reverted) > 0 {
		p.cfg.Logger.Info("mempool: reorganisation", "reverted_blocks", len(ev.Reverted), "readded_txs", readded)
	}
	p.Expire()
}
