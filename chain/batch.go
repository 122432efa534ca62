package chain

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/lthash"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Batch import: the entry point initial sync uses. A run of blocks is
// checked context-free on all cores (VerifyBlocks, which a caller can run
// while the previous run connects), then stored and connected under one
// chain lock with several blocks per Badger commit (ProcessBlocks). Fork
// choice, pending anchors, invalid marks and event order are the same as
// block by block: ProcessBlocks ends exactly where ProcessBlock called on
// each block in turn would.

// maxBlocksPerCommit bounds the blocks one Badger transaction connects. A
// crash loses at most the uncommitted part of one run (the blocks stay
// stored and connect again at the next open or sync).
const maxBlocksPerCommit = 256

// VerifiedBlock is a block that passed every context-free rule
// (VerifyBlocks); ProcessBlocks does not check it again.
type VerifiedBlock struct {
	blk  *wire.Block
	raw  []byte
	hash wire.Hash
}

// Hash is the block's hash.
func (v *VerifiedBlock) Hash() wire.Hash { return v.hash }

// Block is the decoded block (shared: do not modify it).
func (v *VerifiedBlock) Block() *wire.Block { return v.blk }

// BatchError is the error of the block at Index of a batch, with the
// blocks before it handled. It unwraps to the block's own error (a
// consensus.RuleError when the block broke a rule).
type BatchError struct {
	Index int
	Hash  wire.Hash
	Err   error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("block %s (number %d of the batch): %v", e.Hash, e.Index+1, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// VerifyBlocks decodes raw blocks and runs the context-free rules on them
// (header, size, Merkle root, transaction envelopes and signatures) on all
// cores. It returns the blocks that passed, in order, up to the first that
// did not, whose error is a *BatchError. It needs no chain lock.
func (c *Chain) VerifyBlocks(ctx context.Context, raws [][]byte) ([]*VerifiedBlock, error) {
	out := make([]*VerifiedBlock, len(raws))
	errs := make([]error, len(raws))
	runParallel(len(raws), parallelism(len(raws), 8), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			blk, err := wire.DecodeBlock(raws[i])
			if err != nil {
				errs[i] = consensus.RuleErrorf(consensus.ErrMalformed, "%v", err)
				continue
			}
			if err := c.checkBlockSanity(ctx, blk, len(raws[i])); err != nil {
				errs[i] = err
				out[i] = &VerifiedBlock{hash: blk.Hash()}
				continue
			}
			out[i] = &VerifiedBlock{blk: blk, raw: raws[i], hash: blk.Hash()}
		}
	})
	for i, err := range errs {
		if err != nil {
			var h wire.Hash
			if out[i] != nil {
				h = out[i].hash
			} else if len(raws[i]) >= wire.HeaderSize {
				h = wire.DoubleSHA256(raws[i][:wire.HeaderSize])
			}
			return out[:i], &BatchError{Index: i, Hash: h, Err: err}
		}
	}
	return out, nil
}

// VerifyBlock runs VerifyBlocks' checks on one decoded block.
func (c *Chain) VerifyBlock(ctx context.Context, blk *wire.Block) (*VerifiedBlock, error) {
	vs, err := c.VerifyBlocks(ctx, [][]byte{blk.Encode()})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// BatchResult says what ProcessBlocks did.
type BatchResult struct {
	Stored  int  // blocks newly stored (duplicates are skipped)
	MainTip bool // the last block of the batch is the main-chain tip
	// Pending: a block of the batch (or an ancestor) waits for something
	// outside this chain (see Result.Pending); it and the blocks after it
	// are stored and connect when RetryPending finds the wait over.
	Pending bool
	Orphans int // blocks whose parent is unknown, held in the orphan pool
}

// ProcessBlocks stores and connects verified blocks, as ProcessBlock
// would one after another, but under one chain lock, with the blocks
// stored in as few Badger transactions as fit and connected several per
// commit. Each commit holds whole blocks with their tip pointer and state
// commitment, so a crash leaves a consistent tip. A block already stored
// is skipped; a block whose parent is neither known nor earlier in the
// batch goes to the orphan pool, as do the blocks after it. Subscribers
// get the main chain's changes as Events, in order, before it returns.
// The first block that breaks a rule stops the batch with a *BatchError
// (the blocks before it are stored and connected).
func (c *Chain) ProcessBlocks(ctx context.Context, blocks []*VerifiedBlock) (BatchResult, error) {
	var res BatchResult
	c.mu.Lock()
	nodes, batchErr := c.batchNodesLocked(blocks)
	rest := blocks[len(nodes):]
	if batchErr != nil {
		rest = nil
	}
	// Skip the duplicates batchNodesLocked found (nil nodes).
	var fresh []*blockNode
	byHash := make(map[wire.Hash]*VerifiedBlock, len(nodes))
	for i, n := range nodes {
		if n != nil {
			fresh = append(fresh, n)
			byHash[n.hash] = blocks[i]
		}
	}
	var events []Event
	var err error
	if len(fresh) > 0 {
		events, err = c.storeAndActivate(fresh, byHash)
	}
	if err == nil {
		for i, n := range nodes {
			if n != nil && n.status&statusInvalid != 0 {
				cause := n.invalidErr
				if cause == nil {
					cause = consensus.RuleErrorf(consensus.ErrInvalidAncestor, "an ancestor of block %s failed validation", n.hash)
				}
				err, rest = &BatchError{Index: i, Hash: n.hash, Err: cause}, nil
				break
			}
		}
	}
	var last *blockNode
	if len(fresh) > 0 {
		last = fresh[len(fresh)-1]
		res.Stored = len(fresh)
		res.MainTip = c.tipNode() == last
		res.Pending = c.pendingCause(last) != nil
	}
	var children []*wire.Block
	if err == nil {
		for _, n := range fresh {
			children = append(children, c.orphans.takeChildren(n.hash)...)
		}
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
	if err == nil {
		err = batchErr
	}
	// Blocks after a gap: one by one, as orphans (or connected, if the
	// gap filled meanwhile).
	for _, vb := range rest {
		r, perr := c.processBlock(ctx, vb.blk, vb.raw, true)
		if perr != nil && !errors.Is(perr, consensus.ErrDuplicateBlock) {
			return res, &BatchError{Index: len(blocks) - len(rest), Hash: vb.hash, Err: perr}
		}
		if r.Orphan {
			res.Orphans++
		}
		if r.Accepted {
			res.Stored++
			res.MainTip, res.Pending = r.MainTip, r.Pending
		}
	}
	return res, err
}

// batchNodesLocked builds the block-tree nodes of a batch's prefix whose
// parents are known (in the tree or earlier in the batch), running the
// header rules that need the parent. A nil entry is a block already
// stored. It stops at the first block with an unknown parent (the rest
// are orphans for the caller) or that breaks a rule (a *BatchError).
// Nothing is stored or indexed. Called with c.mu held.
func (c *Chain) batchNodesLocked(blocks []*VerifiedBlock) ([]*blockNode, error) {
	nodes := make([]*blockNode, 0, len(blocks))
	batch := make(map[wire.Hash]*blockNode, len(blocks))
	now := c.now()
	for i, vb := range blocks {
		if err := c.knownBlockLocked(vb.hash); err != nil {
			if errors.Is(err, consensus.ErrDuplicateBlock) {
				nodes = append(nodes, nil)
				continue
			}
			return nodes, &BatchError{Index: i, Hash: vb.hash, Err: err}
		}
		if batch[vb.hash] != nil {
			nodes = append(nodes, nil) // the same block twice in one batch
			continue
		}
		parent := batch[vb.blk.Header.PrevHash]
		if parent == nil {
			parent = c.index[vb.blk.Header.PrevHash]
		}
		if parent == nil {
			return nodes, nil
		}
		if parent.status&statusInvalid != 0 {
			return nodes, &BatchError{Index: i, Hash: vb.hash, Err: consensus.RuleErrorf(consensus.ErrInvalidAncestor, "parent %s is invalid", parent.hash)}
		}
		if err := c.checkHeaderContext(&vb.blk.Header, parent, now); err != nil {
			return nodes, &BatchError{Index: i, Hash: vb.hash, Err: err}
		}
		n := c.index[vb.hash] // a header known before its data
		if n == nil {
			n = newBlockNode(&vb.blk.Header, parent)
		}
		n.status |= statusHaveData
		batch[vb.hash] = n
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// storeAndActivate writes the blocks and their index records, in as few
// transactions as fit (a block and its record always in the same one),
// adds them to the block tree and runs fork choice, which connects them
// several per commit (connectBranch). Called with c.mu held.
func (c *Chain) storeAndActivate(nodes []*blockNode, blocks map[wire.Hash]*VerifiedBlock) ([]Event, error) {
	limit := c.commitLimit()
	txn := c.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	var size, count int64
	for _, n := range nodes {
		raw := blocks[n.hash].raw
		rec := encodeHeaderRecord(&n.header, n.status)
		add := entrySize(len(blockKey(n.hash)), len(raw)) + entrySize(1+wire.HashSize, len(rec))
		if count > 0 && (size+add > limit.size || count+2 > limit.count) {
			if err := txn.Commit(); err != nil {
				return nil, fmt.Errorf("store blocks: %w", err)
			}
			txn = c.db.NewTransaction(true)
			size, count = 0, 0
		}
		if err := txn.Set(blockKey(n.hash), raw); err != nil {
			return nil, fmt.Errorf("store block %s: %w", n.hash, err)
		}
		if err := txn.Set(headerKey(n.hash), rec); err != nil {
			return nil, fmt.Errorf("store block %s: %w", n.hash, err)
		}
		size, count = size+add, count+2
	}
	if err := txn.Commit(); err != nil {
		return nil, fmt.Errorf("store blocks: %w", err)
	}
	for _, n := range nodes {
		c.index[n.hash] = n
		c.addCandidate(n)
	}
	heaviest := nodes[0]
	for _, n := range nodes[1:] {
		if n.work.Cmp(heaviest.work) > 0 {
			heaviest = n
		}
	}
	if heaviest.work.Cmp(c.tipNode().work) <= 0 && c.tipHoldsPin() {
		return nil, nil // side branches with less work: stored, not connected
	}
	c.batchBlocks = make(map[wire.Hash]*wire.Block, len(nodes))
	for _, n := range nodes {
		c.batchBlocks[n.hash] = blocks[n.hash].blk
	}
	events, err := c.activateBestChain()
	c.batchBlocks = nil
	return events, err
}

// txnLimit is how much one of our Badger transactions may hold: half of
// Badger's own limits, so estimates that are a little low never make a
// commit fail with ErrTxnTooBig.
type txnLimit struct{ size, count int64 }

func (c *Chain) commitLimit() txnLimit {
	return txnLimit{size: c.db.MaxBatchSize() / 2, count: c.db.MaxBatchCount() / 2}
}

// entrySize over-estimates what Badger counts for one entry.
func entrySize(key, value int) int64 { return int64(key + value + 32) }

// connectBranch connects nodes (each the child of the one before, the
// first the child of the tip), appending each block to ev.Applied.
// Several blocks share a Badger transaction (up to maxBlocksPerCommit or
// half of Badger's limits); each transaction ends with the tip pointer
// and state commitment of its last block, so a crash leaves a consistent
// tip. On an error the blocks before the failing one are committed, and
// the error is the failing block's, for reorganize to mark it. One block
// alone goes through connectBlock. Called with c.mu held.
func (c *Chain) connectBranch(nodes []*blockNode, ev *Event) (*blockNode, error) {
	if len(nodes) == 1 {
		blk, err := c.connectBlock(nodes[0])
		if err != nil {
			return nodes[0], err
		}
		ev.Applied = append(ev.Applied, blk)
		return nil, nil
	}
	limit := c.commitLimit()
	var (
		txn          *badger.Txn
		size, count  int64
		inTxn        int // blocks connected in txn, not yet committed
		committedLen = len(c.main)
		committedAcc = c.commitment
	)
	defer func() {
		if txn != nil {
			txn.Discard()
		}
	}()
	// commit makes the connected blocks durable, or forgets them (memory
	// back to the last commit) when the commit fails.
	commit := func() error {
		if inTxn == 0 {
			return nil
		}
		err := txn.Commit()
		txn.Discard()
		txn, size, count, inTxn = nil, 0, 0, 0
		if err != nil {
			dropped := len(c.main) - committedLen
			c.main = c.main[:committedLen]
			c.commitment = committedAcc
			ev.Applied = ev.Applied[:len(ev.Applied)-dropped]
			return fmt.Errorf("commit %d blocks: %w", dropped, err)
		}
		committedLen, committedAcc = len(c.main), c.commitment
		return nil
	}
	for _, n := range nodes {
		if txn == nil {
			txn = c.db.NewTransaction(true)
		}
		blk := c.batchBlocks[n.hash]
		if blk == nil {
			var err error
			if blk, err = c.loadBlock(txn, n.hash); err != nil {
				return n, errors.Join(err, commit())
			}
		}
		view := newView(txnReader{txn})
		bctx := &BlockContext{Params: c.params, Net: c.net, Height: n.height(), Time: n.header.Timestamp, Header: &n.header}
		if err := c.applyBlock(view, blk, bctx); err != nil {
			return n, errors.Join(err, commit())
		}
		changes, acc, err := c.commitmentAfter(view)
		if err != nil {
			return n, errors.Join(err, commit())
		}
		if root := wire.Hash(acc.Sum()); root != n.header.StateRoot {
			err := consensus.RuleErrorf(consensus.ErrBadStateRoot, "header state root %s, state after the block commits to %s", n.header.StateRoot, root)
			return n, errors.Join(err, commit())
		}
		add, entries := connectSize(n, blk, changes, acc)
		if inTxn > 0 && (inTxn >= maxBlocksPerCommit || size+add > limit.size || count+entries > limit.count) {
			// The view read through this transaction; committing it
			// first leaves the same state for the next one to write on.
			if err := commit(); err != nil {
				return n, err
			}
			txn = c.db.NewTransaction(true)
		}
		n.status |= statusValid
		if err := c.writeConnect(txn, n, blk, changes, acc); err != nil {
			return n, errors.Join(err, commit())
		}
		size, count, inTxn = size+add, count+entries, inTxn+1
		c.commitment = acc
		c.main = append(c.main, n)
		ev.Applied = append(ev.Applied, blk)
	}
	if err := commit(); err != nil {
		return nodes[len(nodes)-1], err
	}
	return nil, nil
}

// connectSize estimates what writeConnect adds to a transaction.
func connectSize(n *blockNode, blk *wire.Block, changes []stateChange, acc *lthash.Hash) (size, entries int64) {
	undo := 0
	for _, ch := range changes {
		size += entrySize(1+len(ch.key), len(ch.new))
		undo += len(ch.key) + len(ch.old) + 12
	}
	size += int64(len(blk.Txs)) * entrySize(1+wire.HashSize, wire.HashSize+4)
	size += entrySize(1+wire.HashSize, undo) + entrySize(9, wire.HashSize) + entrySize(1+wire.HashSize, wire.HeaderSize+1) +
		entrySize(len(keyTip), wire.HashSize) + entrySize(len(keyCommitment), len(acc.Bytes()))
	return size, int64(len(changes)+len(blk.Txs)) + 5
}
