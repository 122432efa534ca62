package mempool

import (
	"log/slog"
	"math/bits"
	"sync"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ChainView is what the pool needs of its chain. *chain.Chain satisfies it;
// tests may wrap one.
type ChainView interface {
	// CheckTxSanity runs the context-free checks, signature included
	// through the chain's shared signature cache.
	CheckTxSanity(tx *wire.Tx) error
	// ApplyOnTip applies txs in order to a scratch copy of the tip state.
	ApplyOnTip(txs []*wire.Tx) ([]error, chain.TipInfo, error)
	// Subscribe delivers main-chain changes, in order.
	Subscribe(fn func(chain.Event))
	// Tip is the main chain's best block (for expiry heights).
	Tip() chain.TipInfo
	// OpenTipState snapshots the tip state for the per-sender pending
	// state cache.
	OpenTipState() *chain.TipState
	// CheckTxEnvelope is CheckTxSanity without the envelope signature,
	// which SubmitBatch verifies in one batch through SigCache.
	CheckTxEnvelope(tx *wire.Tx) error
	// SigCache is the signature cache shared with block import.
	SigCache() *keys.SigCache
}

var _ ChainView = (*chain.Chain)(nil)

// Defaults of Config, chosen for a node on a small machine: 64 MiB holds
// about 400k transfers, more than 40 full auction blocks.
const (
	DefaultMaxBytes     = 64 << 20
	DefaultMaxPerSender = 1000
	DefaultMaxNonceGap  = 64
	DefaultTxTTL        = time.Hour
)

// Config sets up a Pool. Zero values take the defaults above.
type Config struct {
	Chain ChainView
	// StateNonce is the sender's next nonce in the committed tip state (the
	// ledger's account nonce on the auction chain).
	StateNonce   func(sender keys.PubKey) (uint64, error)
	MaxBytes     int           // total encoded size held, pending and held together
	MaxPerSender int           // pending plus held per sender
	MaxNonceGap  uint64        // how far past the next nonce a held tx may be
	TxTTL        time.Duration // a transaction this old leaves the pool
	// MinFeeRate is the lowest fee accepted, in base units per encoded
	// byte (0 accepts free transactions, as the metadata chain needs).
	MinFeeRate uint64
	Now        func() time.Time
	Logger     *slog.Logger
}

// Status says where an accepted transaction sits.
type Status string

const (
	// StatusPending: executable on the tip after the sender's earlier
	// pending transactions; offered by Candidates.
	StatusPending Status = "pending"
	// StatusHeld: behind a nonce gap; released when the gap fills.
	StatusHeld Status = "held"
)

// AddResult reports what Submit did with an accepted transaction.
type AddResult struct {
	ID       wire.Hash   `json:"id"`
	Status   Status      `json:"status"`
	Replaced *wire.Hash  `json:"replaced,omitempty"` // the same-nonce transaction it replaced
	Promoted int         `json:"promoted,omitempty"` // held transactions of the sender it made pending
	Evicted  []wire.Hash `json:"evicted,omitempty"`  // lower fee-rate transactions dropped to make room
}

type entry struct {
	tx      *wire.Tx
	id      wire.Hash
	sender  keys.PubKey
	size    int
	feeRate uint64 // fee per 1000 bytes, for ordering
	added   time.Time
	seq     uint64 // arrival order, ties fee rates first-come first-served
}

// senderQueue is one sender's transactions by nonce. base is the committed
// next nonce. The run base, base+1, … present is pending and has been
// applied, as a sequence, on the tip state; anything after the first gap is
// held and unchecked against state until the gap fills.
type senderQueue struct {
	base uint64
	txs  map[uint64]*entry
}

// run is the pending sequence.
func (q *senderQueue) run() []*entry {
	var out []*entry
	for n := q.base; ; n++ {
		e, ok := q.txs[n]
		if !ok {
			return out
		}
		out = append(out, e)
	}
}

// tail is the sender's highest-nonce transaction, the one evicted first:
// evicting it strands nothing behind a new gap.
func (q *senderQueue) tail() *entry {
	var t *entry
	for _, e := range q.txs {
		if t == nil || e.tx.Nonce > t.tx.Nonce {
			t = e
		}
	}
	return t
}

// Pool is one chain's mempool. Safe for concurrent use.
//
// Lock order: Pool.mu may be held while calling the chain (ApplyOnTip,
// StateNonce take the chain's read lock); the chain delivers events
// without its own lock held, so the two never wait on each other.
type Pool struct {
	cfg Config

	mu         sync.Mutex
	byID       map[wire.Hash]*entry
	senders    map[keys.PubKey]*senderQueue
	bytes      int
	seq        uint64
	lastExpire time.Time
	tipState   *chain.TipState              // snapshot the pending states apply on
	pending    map[keys.PubKey]*senderState // per-sender pending-state cache
	replayRuns bool                         // tests: ignore the cache, replay every run

	hookMu sync.RWMutex
	hooks  []func(*wire.Tx)
}

// New returns a pool following cfg.Chain (it subscribes to its events).
func New(cfg Config) *Pool {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxPerSender <= 0 {
		cfg.MaxPerSender = DefaultMaxPerSender
	}
	if cfg.MaxNonceGap == 0 {
		cfg.MaxNonceGap = DefaultMaxNonceGap
	}
	if cfg.TxTTL <= 0 {
		cfg.TxTTL = DefaultTxTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Pool{cfg: cfg, byID: map[wire.Hash]*entry{}, senders: map[keys.PubKey]*senderQueue{}, pending: map[keys.PubKey]*senderState{}, lastExpire: cfg.Now()}
	cfg.Chain.Subscribe(p.onChainEvent)
	return p
}

// OnNewTx registers fn to hear of every transaction Submit accepts, pending
// or held (for the API's pending-transaction feed and for gossip). It is
// called outside the pool's lock, after Submit's work; transactions that
// come back from disconnected blocks are not announced again.
func (p *Pool) OnNewTx(fn func(*wire.Tx)) {
	p.hookMu.Lock()
	p.hooks = append(p.hooks, fn)
	p.hookMu.Unlock()
}

func feeRate(fee uint64, size int) uint64 {
	hi, lo := bits.Mul64(fee, 1000)
	if hi != 0 {
		return (1<<64 - 1) / uint64(size)
	}
	return lo / uint64(size)
}

// CheckRelayFee is the pool's fee floor alone (Config.MinFeeRate per
// encoded byte), without state: the network layer asks it before relaying
// a gossiped transaction, so transactions no pool would take are not
// passed on.
func (p *Pool) CheckRelayFee(tx *wire.Tx) error {
	size := tx.EncodedSize()
	if hi, lo := bits.Mul64(p.cfg.MinFeeRate, uint64(size)); hi != 0 || tx.Fee < lo {
		return policyErrorf(ErrFeeTooLow, "fee %d for %d bytes; this node's minimum is %d units per byte (%d): raise the fee (--fee)", tx.Fee, size, p.cfg.MinFeeRate, lo)
	}
	return nil
}

// Add is Submit without the result, for callers that only need to know
// whether the pool took the transaction.
func (p *Pool) Add(tx *wire.Tx) error {
	_, err := p.Submit(tx)
	return err
}

// Submit validates tx fully and adds it to the pool: context-free checks
// and the signature (through the chain's shared cache, so block import
// does not verify it again), then nonce sequencing, replacement and room,
// then — when tx is executable — the sender's pending sequence followed by
// tx applied on the tip state. Errors are consensus.RuleError (tx invalid)
// or PolicyError (tx not taken here).
func (p *Pool) Submit(tx *wire.Tx) (AddResult, error) {
	p.maybeExpire()
	res, err := p.add(tx, p.cfg.Now())
	if err != nil {
		return res, err
	}
	p.hookMu.RLock()
	hooks := p.hooks
	p.hookMu.RUnlock()
	for _, fn := range hooks {
		fn(tx)
	}
	return res, nil
}

// add is Submit without the hooks; added is when the transaction first
// reached this node (now, or as saved before a restart), for the TTL.
func (p *Pool) add(tx *wire.Tx, added time.Time) (AddResult, error) {
	e := p.newEntry(tx, added)
	if p.Has(e.id) {
		return AddResult{ID: e.id}, policyErrorf(ErrAlreadyKnown, "transaction %s", e.id)
	}
	if err := p.precheck(e); err != nil {
		return AddResult{ID: e.id}, err
	}
	if err := p.cfg.Chain.CheckTxSanity(tx); err != nil {
		return AddResult{ID: e.id}, err
	}
	return p.addChecked(e)
}

func (p *Pool) newEntry(tx *wire.Tx, added time.Time) *entry {
	e := &entry{tx: tx, id: tx.ID(), sender: keys.PubKey(tx.Sender), size: tx.EncodedSize(), added: added}
	e.feeRate = feeRate(tx.Fee, e.size)
	return e
}

// precheck runs the pool's cheap policy checks: fee rate and size.
func (p *Pool) precheck(e *entry) error {
	if err := p.CheckRelayFee(e.tx); err != nil {
		return err
	}
	if e.size > p.cfg.MaxBytes {
		return policyErrorf(ErrPoolFull, "transaction of %d bytes exceeds the pool's %d", e.size, p.cfg.MaxBytes)
	}
	return nil
}

// addChecked does the stateful part of Submit for a transaction whose
// context-free checks and signature passed: expiry, then under the pool's
// lock nonce sequencing, the state check, replacement and room.
func (p *Pool) addChecked(e *entry) (AddResult, error) {
	tx := e.tx
	res := AddResult{ID: e.id}
	if tx.Expiry != 0 {
		if tip := p.cfg.Chain.Tip(); tx.Expiry <= tip.Height {
			return res, consensus.RuleErrorf(consensus.ErrTxExpired, "transaction expired at height %d; the next block is %d", tx.Expiry, tip.Height+1)
		}
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if _, known := p.byID[e.id]; known {
		return res, policyErrorf(ErrAlreadyKnown, "transaction %s", e.id)
	}
	q, err := p.queueLocked(e.sender)
	if err != nil {
		return res, err
	}
	switch {
	case tx.Nonce < q.base:
		p.dropEmptyLocked(e.sender)
		return res, consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d was already used; the next nonce is %d", tx.Nonce, q.base)
	case tx.Nonce-q.base > p.cfg.MaxNonceGap:
		p.dropEmptyLocked(e.sender)
		return res, policyErrorf(ErrNonceTooFarAhead, "nonce %d, the next is %d; at most %d ahead is held", tx.Nonce, q.base, p.cfg.MaxNonceGap)
	}
	old := q.txs[tx.Nonce]
	if old != nil {
		if err := replaceable(old, e); err != nil {
			return res, err
		}
	} else if len(q.txs) >= p.cfg.MaxPerSender {
		return res, policyErrorf(ErrSenderLimit, "%d transactions pending or held for this sender", len(q.txs))
	}

	runBefore := len(q.run())
	// The sender's pending run as it would be with tx in place: tx is
	// pending if it lands inside the run (or extends it), held otherwise.
	var seq []*entry
	for n := q.base; ; n++ {
		c := q.txs[n]
		if n == tx.Nonce {
			c = e
		}
		if c == nil {
			break
		}
		seq = append(seq, c)
	}
	k := int(tx.Nonce - q.base) // tx's index in seq if pending
	var invalid *entry          // a run member the new state no longer admits
	var keep func(commit bool)  // keeps or undoes the run's cached state
	if k < len(seq) {
		f, rejected, done, err := p.checkRunLocked(e.sender, q.base, seq, k)
		if err != nil {
			return res, err
		}
		switch {
		case f == k:
			done(false)
			return res, rejected
		case f >= 0:
			// seq[f] fails: it became invalid (f < k: the tip changed under
			// it; f > k: tx spends what it needed). It leaves; what follows
			// it waits behind the gap.
			invalid = seq[f]
			p.cfg.Logger.Debug("mempool: pending transaction no longer applies", "txid", invalid.id, "err", rejected)
			seq = seq[:f]
		}
		keep = done
	}
	evicted, err := p.makeRoomLocked(e, old)
	if err != nil {
		if keep != nil {
			keep(false)
		}
		return res, err
	}
	res.Evicted = evicted
	if invalid != nil {
		p.removeLocked(invalid)
	}
	if old != nil {
		p.removeLocked(old)
		res.Replaced = &old.id
	}
	p.seq++
	e.seq = p.seq
	q.txs[tx.Nonce] = e
	p.senders[e.sender] = q
	p.byID[e.id] = e
	p.bytes += e.size
	if keep != nil {
		keep(true) // after the removals above, which drop the sender's cache
	}
	res.Status = StatusHeld
	if k < len(seq) {
		res.Status = StatusPending
		if old == nil && len(seq) > runBefore+1 {
			res.Promoted = len(seq) - runBefore - 1 // held ones tx's arrival released
		}
	}
	return res, nil
}

// replaceable applies the replacement rule: a transaction with a pending
// nonce replaces it only with a fee at least 10% (and at least one unit)
// higher and a fee rate no lower, so replacement churn always costs the
// sender and a larger transaction cannot lower the pool's yield.
func replaceable(old, e *entry) error {
	min := old.tx.Fee + (old.tx.Fee+9)/10
	if min < old.tx.Fee { // overflow: nothing can pay more
		min = 1<<64 - 1
	}
	if min == old.tx.Fee {
		min++
	}
	if e.tx.Fee < min || e.feeRate < old.feeRate {
		return policyErrorf(ErrReplacementUnderpriced, "nonce %d is pending with fee %d (%d per kB); a replacement needs a fee of at least %d and no lower fee rate, offered %d (%d per kB)",
			old.tx.Nonce, old.tx.Fee, old.feeRate, min, e.tx.Fee, e.feeRate)
	}
	return nil
}

// queueLocked returns the sender's queue with its base refreshed from the
// committed state, dropping transactions whose nonce is now used. A new
// queue is registered only when a transaction is inserted.
func (p *Pool) queueLocked(sender keys.PubKey) (*senderQueue, error) {
	base, err := p.cfg.StateNonce(sender)
	if err != nil {
		return nil, err
	}
	q := p.senders[sender]
	if q == nil {
		return &senderQueue{base: base, txs: map[uint64]*entry{}}, nil
	}
	q.base = base
	for n, e := range q.txs {
		if n < base {
			p.removeLocked(e)
		}
	}
	return q, nil
}

func (p *Pool) dropEmptyLocked(sender keys.PubKey) {
	if q := p.senders[sender]; q != nil && len(q.txs) == 0 {
		delete(p.senders, sender)
	}
}

func (p *Pool) removeLocked(e *entry) {
	if p.byID[e.id] != e {
		return
	}
	delete(p.byID, e.id)
	p.bytes -= e.size
	p.forgetSenderLocked(e.sender)
	if q := p.senders[e.sender]; q != nil {
		if q.txs[e.tx.Nonce] == e {
			delete(q.txs, e.tx.Nonce)
		}
		if len(q.txs) == 0 {
			delete(p.senders, e.sender)
		}
	}
}

// Remove drops transactions by ID (for example those a block template
// found no longer valid). The same senders' later transactions stay, held
// behind the gap, until they are replaced, released or expire.
func (p *Pool) Remove(ids ...wire.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if e, ok := p.byID[id]; ok {
			p.removeLocked(e)
		}
	}
}

// Get returns a transaction in the pool, pending or held.
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
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byID[id]
	return ok
}

// Count is the number of transactions held, pending and held.
func (p *Pool) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byID)
}

// Pending returns the executable transactions, each sender's in nonce
// order (senders in no particular order). Candidates orders them for a
// block.
func (p *Pool) Pending() []*wire.Tx {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*wire.Tx
	for _, q := range p.senders {
		for _, e := range q.run() {
			out = append(out, e.tx)
		}
	}
	return out
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
		s.Executable += len(q.run())
	}
	s.Held = s.Count - s.Executable
	return s
}

// PendingNonce is the next nonce a sender should use: its committed next
// nonce plus its pending transactions. ok is false when the pool holds
// nothing of the sender (ask the state).
func (p *Pool) PendingNonce(sender keys.PubKey) (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.senders[sender]
	if q == nil {
		return 0, false
	}
	return q.base + uint64(len(q.run())), true
}
