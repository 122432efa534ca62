package chain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/lthash"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Config wires a Chain to its parameters, storage and state machine.
type Config struct {
	Net          *consensus.Params
	Kind         consensus.ChainKind
	Dir          string // this chain's Badger directory
	Store        StoreOptions
	StateMachine StateMachine
	SigCache     *keys.SigCache // shared with the mempool; nil makes a private one
	// MinerKeys verifies miner signatures with per-key tables
	// (docs/consensus.md, "Miner signatures: the table verifier"); both
	// chains of a node share one. nil makes a private one whose preferred
	// keys are those MinerAllowed admits (on open networks every key
	// waits for BuildAfter valid signatures).
	MinerKeys *keys.KeyCache
	Logger    *slog.Logger
	// Now is the clock for the future-time rule; nil means time.Now.
	Now func() time.Time
	// MinerAllowed, when set, decides whether a block signed by a key may
	// join the chain (permissioned networks). It must be safe for
	// concurrent use and must not call back into this Chain.
	MinerAllowed func(keys.PubKey) error
	// Pinned, when set, names a block every fork-choice candidate must
	// contain (the zero hash: none): the metadata chain keeps the block the
	// auction chain anchors (docs/consensus.md, "Fork choice of the linked
	// chains"). When the pin names a block off the main chain, fork choice
	// moves to the best branch containing it even if that branch has less
	// work. It must be cheap, safe for concurrent use and must not call
	// into any chain; call PinChanged after its answer changes.
	Pinned func() wire.Hash
	// RecheckKinds are rule error kinds whose invalid marks are cleared
	// when the chain opens, so the blocks are validated again (kinds that
	// depend on another chain's state, which may have changed). Marks
	// stored without a kind (by versions before kinds were recorded) are
	// always cleared.
	RecheckKinds []consensus.ErrorKind
	// OnPending, when set, is called (outside the chain lock) after
	// ProcessBlock stored a block that is pending (Result.Pending), so
	// whoever can resolve the wait learns of it. RetryPending does not
	// call it.
	OnPending func()
}

// Event reports a change of the main chain: blocks taken off the old
// branch (tip first) and blocks put on (oldest first). Every reorg,
// including a simple extension, is one Event. Seq numbers a chain's
// events from 1 in the order the main chain changed; subscribers receive
// them in Seq order with no gaps (see Subscribe).
type Event struct {
	Seq      uint64
	Reverted []*wire.Block
	Applied  []*wire.Block
	Tip      TipInfo
}

// TipInfo summarises the main chain's best block.
type TipInfo struct {
	Hash       wire.Hash `json:"hash"`
	Height     uint64    `json:"height"`
	Work       *big.Int  `json:"-"`
	WorkHex    string    `json:"cumulative_work"`
	Bits       uint32    `json:"bits"`
	Difficulty float64   `json:"difficulty"`
	Time       int64     `json:"time"`
}

// Chain is one proof-of-work chain: block tree, store, state and fork
// choice. All methods are safe for concurrent use.
type Chain struct {
	params       *consensus.ChainParams
	net          *consensus.Params
	sm           StateMachine
	sigs         *keys.SigCache
	minerKeys    *keys.KeyCache
	log          *slog.Logger
	now          func() time.Time
	minerAllowed func(keys.PubKey) error
	pinned       func() wire.Hash
	recheckKinds []consensus.ErrorKind
	onPending    func()
	retryPending bool // a connect failed for a non-rule reason; see RetryPending
	db           *badger.DB

	mu         sync.RWMutex // guards everything below
	index      map[wire.Hash]*blockNode
	main       []*blockNode // main chain by height
	commitment *lthash.Hash // state commitment at the tip
	orphans    *orphanPool
	pendingN   int // blocks with a pending flag; see RetryPending
	arriving   *arrivingBlock
	candidates map[*blockNode]struct{} // fork-choice candidates; see candidates.go
	// batchBlocks holds the decoded blocks ProcessBlocks is connecting,
	// so connectBranch need not read them back (batch.go).
	batchBlocks map[wire.Hash]*wire.Block

	tipStatesMu sync.Mutex
	tipStates   map[*TipState]struct{} // open snapshots, released by Close

	nextSeq uint64 // sequence number of the next event (guarded by mu)

	events eventHandOff // ordered delivery to subscribers; see events.go
}

// Open opens (creating if needed) the chain stored in cfg.Dir, checks that
// it belongs to this network, and resumes at its stored tip, finishing a
// reorganisation a crash interrupted.
func Open(cfg Config) (*Chain, error) {
	if cfg.Net == nil || cfg.StateMachine == nil {
		return nil, errors.New("chain: Config needs Net and StateMachine")
	}
	c := &Chain{
		params: cfg.Net.Chain(cfg.Kind), net: cfg.Net, sm: cfg.StateMachine,
		sigs: cfg.SigCache, minerKeys: cfg.MinerKeys, log: cfg.Logger, now: cfg.Now, minerAllowed: cfg.MinerAllowed, pinned: cfg.Pinned,
		recheckKinds: cfg.RecheckKinds, onPending: cfg.OnPending,
		index: make(map[wire.Hash]*blockNode), nextSeq: 1,
	}
	c.events.init()
	if c.sigs == nil {
		c.sigs = keys.NewSigCache(100_000)
	}
	if c.minerKeys == nil {
		c.minerKeys = keys.NewKeyCache(keys.KeyCacheConfig{Preferred: AdmittedPreferred(cfg.MinerAllowed)})
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("chain", c.params.Kind.String())
	if c.now == nil {
		c.now = time.Now
	}
	c.orphans = newOrphanPool(c.params.OrphanLimit, 16*c.params.MaxBlockBytes)
	if cfg.Store.MemTableSize == 0 {
		cfg.Store = DefaultStoreOptions()
	}
	db, err := openBadger(cfg.Dir, cfg.Store, c.log)
	if err != nil {
		return nil, err
	}
	c.db = db
	if err := c.load(); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// Close flushes and closes the store. The chain must not be used after.
func (c *Chain) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeTipStates()
	return c.db.Close()
}

// Params returns the chain's consensus parameters.
func (c *Chain) Params() *consensus.ChainParams { return c.params }

// Net returns the network parameters.
func (c *Chain) Net() *consensus.Params { return c.net }

// SigCache is the signature cache shared with the mempool.
func (c *Chain) SigCache() *keys.SigCache { return c.sigs }

// MinerKeys returns the miner-key cache header checks verify with.
func (c *Chain) MinerKeys() *keys.KeyCache { return c.minerKeys }

// AdmittedPreferred turns a MinerAllowed rule into a KeyCacheConfig's
// Preferred: the keys it admits get tables at once. nil (an open network)
// gives nil: no key is preferred.
func AdmittedPreferred(allowed func(keys.PubKey) error) func(keys.PubKey) bool {
	if allowed == nil {
		return nil
	}
	return func(k keys.PubKey) bool { return allowed(k) == nil }
}

// genesisBlock builds this chain's genesis: fixed header fields from the
// parameters and a state root from the state machine's initial state, so
// each network and chain has a distinct, reproducible genesis hash.
func (c *Chain) genesisBlock() (*wire.Block, []stateChange, *lthash.Hash, error) {
	view := newView(emptyState{})
	if err := c.sm.Genesis(view); err != nil {
		return nil, nil, nil, fmt.Errorf("genesis state: %w", err)
	}
	changes, err := view.changes()
	if err != nil {
		return nil, nil, nil, err
	}
	acc := &lthash.Hash{}
	applyToCommitment(acc, changes, true)
	blk := &wire.Block{Header: wire.Header{
		Version: consensus.CurrentHeaderVersion, ChainID: c.params.ChainID,
		Timestamp: c.params.GenesisTime, Bits: c.params.GenesisBits,
		StateRoot: acc.Sum(),
	}}
	return blk, changes, acc, nil
}

type emptyState struct{}

func (emptyState) getState([]byte) ([]byte, bool, error) { return nil, false, nil }

// GenesisHash is the hash of this chain's genesis block.
func (c *Chain) GenesisHash() wire.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.main[0].hash
}

func (c *Chain) load() error {
	genesis, changes, acc, err := c.genesisBlock()
	if err != nil {
		return err
	}
	ghash := genesis.Hash()
	err = c.db.Update(func(txn *badger.Txn) error {
		stored, err := getValue(txn, heightKey(0))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return c.writeGenesis(txn, genesis, changes, acc)
		}
		if err != nil {
			return err
		}
		if wire.Hash(stored) != ghash {
			return fmt.Errorf("data directory holds a %s chain with genesis %x, but network %q has genesis %s: use the data directory of that network or a new one",
				c.params.Kind, stored, c.net.Name, ghash)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.loadIndex(); err != nil {
		return err
	}
	if err := c.recheckInvalidAtOpen(); err != nil {
		return err
	}
	// A crash between the blocks of a reorganisation leaves the tip on a
	// lighter branch; finishing the switch restores the best chain.
	events, err := c.activateBestChain()
	if err != nil {
		return err
	}
	c.deliver(events)
	tip := c.main[len(c.main)-1]
	c.log.Info("chain loaded", "height", tip.height(), "tip", tip.hash, "blocks_known", len(c.index))
	return nil
}

func (c *Chain) writeGenesis(txn *badger.Txn, genesis *wire.Block, changes []stateChange, acc *lthash.Hash) error {
	h := genesis.Hash()
	sets := [][2][]byte{
		{blockKey(h), genesis.Encode()},
		{headerKey(h), encodeHeaderRecord(&genesis.Header, statusHaveData|statusValid)},
		{heightKey(0), h[:]},
		{keyTip, h[:]},
		{keyCommitment, acc.Bytes()},
	}
	for _, ch := range changes {
		sets = append(sets, [2][]byte{stateKey(ch.key), ch.new})
	}
	for _, kv := range sets {
		if err := txn.Set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// loadIndex rebuilds the in-memory block tree and main chain from disk.
func (c *Chain) loadIndex() error {
	type rec struct {
		h      wire.Header
		status uint8
	}
	var recs []rec
	var tipHash wire.Hash
	var commitment []byte
	err := c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixHeader}, PrefetchValues: true, PrefetchSize: 256})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			h, status, err := decodeHeaderRecord(v)
			if err != nil {
				return fmt.Errorf("block index record %x: %w", it.Item().Key(), err)
			}
			recs = append(recs, rec{h, status})
		}
		tip, err := getValue(txn, keyTip)
		if err != nil {
			return fmt.Errorf("tip pointer: %w", err)
		}
		copy(tipHash[:], tip)
		commitment, err = getValue(txn, keyCommitment)
		return err
	})
	if err != nil {
		return fmt.Errorf("load block index: %w (the data directory may be damaged; restore it or resync into a new one)", err)
	}
	slices.SortFunc(recs, func(a, b rec) int { return cmpUint64(a.h.Height, b.h.Height) })
	for _, r := range recs {
		var parent *blockNode
		if r.h.Height > 0 {
			parent = c.index[r.h.PrevHash]
			if parent == nil {
				c.log.Warn("block index entry without parent; ignoring", "height", r.h.Height, "prev", r.h.PrevHash)
				continue
			}
		}
		n := newBlockNode(&r.h, parent)
		n.status |= r.status
		c.index[n.hash] = n
	}
	tip := c.index[tipHash]
	if tip == nil {
		return fmt.Errorf("tip %s is not in the block index (the data directory is damaged)", tipHash)
	}
	c.main = make([]*blockNode, tip.height()+1)
	for n := tip; n != nil; n = n.parent {
		c.main[n.height()] = n
	}
	for _, n := range c.index {
		c.addCandidate(n)
	}
	if c.commitment, err = lthash.FromBytes(commitment); err != nil {
		return err
	}
	if c.commitment.Sum() != tip.header.StateRoot {
		return fmt.Errorf("stored state does not match the tip's state root at height %d (the data directory is damaged)", tip.height())
	}
	return nil
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Result says what ProcessBlock did with a block.
type Result struct {
	Hash     wire.Hash
	Orphan   bool // parent unknown: held in the orphan pool
	MainTip  bool // the block is now the main-chain tip
	Accepted bool // stored in the block tree (on any branch)
	// Pending: the block (or an ancestor) waits for something outside
	// this chain (ErrPending, e.g. an anchored metadata block); it is
	// stored, not invalid, and retried by RetryPending.
	Pending bool
}

// ProcessBlock validates a block and, if it is valid, stores it and
// updates the best chain. Errors that are the block's fault are
// consensus.RuleError values (peers that send them can be penalised);
// anything else is this node's problem. Orphans are not errors.
func (c *Chain) ProcessBlock(ctx context.Context, blk *wire.Block) (Result, error) {
	return c.processBlock(ctx, blk, blk.Encode(), false)
}

// ProcessBlockBytes decodes and processes a block received as bytes.
func (c *Chain) ProcessBlockBytes(ctx context.Context, b []byte) (Result, error) {
	blk, err := wire.DecodeBlock(b)
	if err != nil {
		return Result{}, consensus.RuleErrorf(consensus.ErrMalformed, "%v", err)
	}
	return c.processBlock(ctx, blk, b, true)
}

// processBlock validates and stores blk, whose encoding is raw. owned says
// that nobody else holds blk (it was decoded from raw here), so connecting
// it can use it as it is instead of decoding raw again.
func (c *Chain) processBlock(ctx context.Context, blk *wire.Block, raw []byte, owned bool) (Result, error) {
	size := len(raw)
	hash := blk.Hash()
	res := Result{Hash: hash}
	// A cheap early answer for blocks already known; asked again under the
	// write lock below, because another goroutine may store the same block
	// between here and there (it would otherwise be accepted twice).
	c.mu.RLock()
	err := c.knownBlockLocked(hash)
	c.mu.RUnlock()
	if err != nil {
		return res, err
	}
	if err := c.checkBlockSanity(ctx, blk, size); err != nil {
		return res, err
	}

	c.mu.Lock()
	if err := c.knownBlockLocked(hash); err != nil {
		c.mu.Unlock()
		return res, err
	}
	parent := c.index[blk.Header.PrevHash]
	if parent == nil {
		c.orphans.add(blk, size, c.now())
		c.mu.Unlock()
		res.Orphan = true
		c.log.Debug("orphan block", "hash", hash, "height", blk.Header.Height, "missing_parent", blk.Header.PrevHash)
		return res, nil
	}
	events, err := c.acceptBlock(blk, raw, owned, parent, &res)
	// Children that were waiting for this block can now be processed.
	var children []*wire.Block
	if err == nil {
		children = c.orphans.takeChildren(hash)
	}
	c.mu.Unlock()
	c.deliver(events)
	if res.Pending && c.onPending != nil {
		c.onPending()
	}
	for _, child := range children {
		if _, cerr := c.ProcessBlock(ctx, child); cerr != nil && !errors.Is(cerr, consensus.ErrDuplicateBlock) {
			c.log.Debug("orphan child rejected", "hash", child.Hash(), "err", cerr)
		}
	}
	return res, err
}

// knownBlockLocked is the duplicate check: ErrDuplicateBlock for a block
// stored or held as an orphan, ErrInvalidAncestor for one known invalid.
// Called with c.mu held (read or write).
func (c *Chain) knownBlockLocked(hash wire.Hash) error {
	n, known := c.index[hash]
	if (known && n.status&statusHaveData != 0) || c.orphans.has(hash) {
		return consensus.RuleErrorf(consensus.ErrDuplicateBlock, "already have block %s", hash)
	}
	if known && n.status&statusInvalid != 0 {
		return consensus.RuleErrorf(consensus.ErrInvalidAncestor, "block %s is known to be invalid", hash)
	}
	return nil
}

// acceptBlock stores a sanity-checked block whose parent is known and
// switches to its branch if it has the most work. Called with c.mu held.
func (c *Chain) acceptBlock(blk *wire.Block, raw []byte, owned bool, parent *blockNode, res *Result) ([]Event, error) {
	hash := res.Hash
	if parent.status&statusInvalid != 0 {
		return nil, consensus.RuleErrorf(consensus.ErrInvalidAncestor, "parent %s is invalid", parent.hash)
	}
	if err := c.checkHeaderContext(&blk.Header, parent, c.now()); err != nil {
		return nil, err
	}
	n := c.index[hash]
	if n == nil {
		n = newBlockNode(&blk.Header, parent)
	}
	n.status |= statusHaveData
	err := c.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(blockKey(hash), raw); err != nil {
			return err
		}
		return txn.Set(headerKey(hash), encodeHeaderRecord(&n.header, n.status))
	})
	if err != nil {
		return nil, fmt.Errorf("store block %s: %w", hash, err)
	}
	c.index[hash] = n
	c.addCandidate(n)
	res.Accepted = true
	if n.work.Cmp(c.tipNode().work) <= 0 && c.tipHoldsPin() {
		return nil, nil // a side branch with less work: stored, not connected
	}
	// The block is in memory: connecting it need not read it back.
	c.arriving = &arrivingBlock{hash: hash, raw: raw}
	if owned {
		c.arriving.blk = blk
	}
	events, err := c.activateBestChain()
	c.arriving = nil
	res.MainTip = c.tipNode() == n
	if err != nil {
		return events, err
	}
	if n.status&statusInvalid != 0 {
		if n.invalidErr != nil {
			return events, n.invalidErr
		}
		return events, consensus.RuleErrorf(consensus.ErrInvalidAncestor, "an ancestor of block %s failed validation", hash)
	}
	res.Pending = c.pendingCause(n) != nil
	return events, nil
}

func (c *Chain) tipNode() *blockNode { return c.main[len(c.main)-1] }

// arrivingBlock is the block acceptBlock is storing, kept in memory while
// fork choice may connect it, so that a block is decoded once on its way
// to disk (connectBlock uses it instead of reading it back). blk is set
// when the chain owns the decoded block; otherwise raw is decoded once.
type arrivingBlock struct {
	hash wire.Hash
	raw  []byte
	blk  *wire.Block
}
