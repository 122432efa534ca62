package chain

import (
	"context"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// checkHeaderSanity runs the header rules that need nothing but the header:
// chain, version, difficulty encoding, proof of work and the miner's
// signature. It deliberately does not check the difficulty against the
// schedule, the timestamp or whether the miner is admitted: those need
// the parent (checkHeaderContext). Safe to call without the chain lock, so
// gossip validators and header sync call it in parallel.
func checkHeaderSanity(p *consensus.ChainParams, h *wire.Header, sigs *keys.SigCache, minerKeys *keys.KeyCache) error {
	if h.ChainID != p.ChainID {
		return consensus.RuleErrorf(consensus.ErrWrongChain, "header chain ID %08x, this chain is %08x (%s)", h.ChainID, p.ChainID, p.Kind)
	}
	if h.Version != consensus.CurrentHeaderVersion {
		return consensus.RuleErrorf(consensus.ErrBadVersion, "header version %d, this node knows version %d", h.Version, consensus.CurrentHeaderVersion)
	}
	if err := consensus.CheckProofOfWork(h.Hash(), h.Bits, p.PowLimit); err != nil {
		return err
	}
	// The key cache parses each recurring miner key once and verifies
	// with its table when it has one: the same answers as keys.Verify.
	pub := keys.PubKey(h.MinerKey)
	ok, err := minerKeys.VerifyCached(sigs, pub, h.SigningHash(), keys.Signature(h.MinerSig))
	if err != nil {
		_, err = keys.ParsePubKey(pub[:]) // for the reason
		return consensus.RuleErrorf(consensus.ErrBadMinerSig, "miner key: %v", err)
	}
	if !ok {
		return consensus.RuleErrorf(consensus.ErrBadMinerSig, "header signature does not verify for miner key %s", pub)
	}
	return nil
}

// checkBlockSanity runs every context-free rule on a block: the header's,
// then size, transaction count, duplicates, each transaction's chain, the
// Merkle root, every signature of the block (envelopes
// and those the state machine lists, SignatureLister) in one parallel
// batch, and last the state machine's sanity rules on all cores. When
// several transactions break a rule of the same stage, the lowest index is
// reported. A sender key that is not a valid point fails with its
// signature (ErrTxBadSig, naming the key). It does not look at the parent or at state.
func (c *Chain) checkBlockSanity(ctx context.Context, blk *wire.Block, encodedSize int) error {
	p := c.params
	if err := checkHeaderSanity(p, &blk.Header, c.sigs, c.minerKeys); err != nil {
		return err
	}
	if encodedSize > p.MaxBlockBytes {
		return consensus.RuleErrorf(consensus.ErrBlockTooBig, "block is %d bytes, limit %d", encodedSize, p.MaxBlockBytes)
	}
	if len(blk.Txs) > p.MaxBlockTxs {
		return consensus.RuleErrorf(consensus.ErrTooManyTxs, "block has %d transactions, limit %d", len(blk.Txs), p.MaxBlockTxs)
	}
	n := len(blk.Txs)
	ids := make([]wire.Hash, n)
	own := make([]keys.VerifyJob, n)     // envelope signatures, by transaction
	extra := make([][]keys.VerifyJob, n) // listed signatures, by transaction
	lister, _ := c.sm.(SignatureLister)
	runParallel(n, parallelism(n, 256), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			tx := blk.Txs[i]
			ids[i] = tx.ID()
			own[i] = keys.VerifyJob{Pub: keys.PubKey(tx.Sender), Hash: tx.SigHash(), Sig: keys.Signature(tx.Sig)}
			if lister != nil {
				extra[i] = lister.TxSignatures(tx)
			}
		}
	})
	seen := make(map[wire.Hash]struct{}, n)
	for i, id := range ids {
		if _, dup := seen[id]; dup {
			return consensus.RuleErrorf(consensus.ErrDuplicateTx, "transaction %s appears twice (second at index %d)", id, i)
		}
		seen[id] = struct{}{}
		if tx := blk.Txs[i]; tx.ChainID != p.ChainID {
			return consensus.RuleErrorf(consensus.ErrTxWrongChain, "transaction %d chain ID %08x, this chain is %08x (%s)", i, tx.ChainID, p.ChainID, p.Kind)
		}
		// The sender key's validity is part of its signature check below
		// (parsing it here would decompress it twice).
	}
	root := wire.MerkleRoot(ids)
	if root != blk.Header.TxRoot {
		return consensus.RuleErrorf(consensus.ErrBadTxRoot, "header tx root %s, transactions hash to %s", blk.Header.TxRoot, root)
	}
	// One batch, transaction by transaction: its envelope, then its listed
	// signatures, so the lowest failing job names the lowest failing tx.
	jobs := make([]keys.VerifyJob, 0, n)
	owner := make([]int32, 0, n) // jobs[j] belongs to blk.Txs[owner[j]]
	for i := range own {
		jobs = append(jobs, own[i])
		owner = append(owner, int32(i))
		for _, j := range extra[i] {
			jobs = append(jobs, j)
			owner = append(owner, int32(i))
		}
	}
	for from := 0; from < len(jobs); {
		bad, ok := keys.VerifyBatch(ctx, jobs[from:], c.sigs, 0)
		if ok {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		bad += from
		i := int(owner[bad])
		if jobs[bad] == own[i] {
			if _, err := keys.ParsePubKey(blk.Txs[i].Sender[:]); err != nil {
				return consensus.RuleErrorf(consensus.ErrTxBadSig, "transaction %d (%s): sender key: %v", i, ids[i], err)
			}
			return consensus.RuleErrorf(consensus.ErrTxBadSig, "transaction %d (%s): signature does not verify", i, ids[i])
		}
		if err := c.sm.CheckTxSanity(blk.Txs[i]); err != nil {
			return err // the machine's own error for its signature
		}
		from = bad + 1 // a listed signature the rules did not need
	}
	errs := make([]error, n)
	runParallel(n, parallelism(n, 64), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if errs[i] = c.sm.CheckTxSanity(blk.Txs[i]); errs[i] != nil {
				return // later ones in this range cannot be the lowest
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkTxEnvelope checks what the engine owns in a transaction (its chain
// and sender key) and then the state machine's context-free rules. The
// signature is verified separately so block validation can batch it.
func (c *Chain) checkTxEnvelope(tx *wire.Tx) error {
	if err := c.checkTxKeys(tx); err != nil {
		return err
	}
	return c.sm.CheckTxSanity(tx)
}

// checkTxKeys checks the transaction's chain and the form of its sender
// key. Whether the key is a point on the curve is part of the signature
// check that every caller runs next (decompressing the key here too would
// do it twice per transaction); TxSignatureError names the key when that
// is why the signature failed.
func (c *Chain) checkTxKeys(tx *wire.Tx) error {
	if tx.ChainID != c.params.ChainID {
		return consensus.RuleErrorf(consensus.ErrTxWrongChain, "transaction chain ID %08x, this chain is %08x (%s)", tx.ChainID, c.params.ChainID, c.params.Kind)
	}
	if err := keys.CheckPubKeyForm(tx.Sender[:]); err != nil {
		return consensus.RuleErrorf(consensus.ErrTxBadSig, "sender key: %v", err)
	}
	return nil
}

// TxSignatureError is the rule error of a transaction whose envelope
// signature did not verify: its sender key's defect when the key is not a
// point on the curve, else the signature's.
func TxSignatureError(tx *wire.Tx) error {
	if _, err := keys.ParsePubKey(tx.Sender[:]); err != nil {
		return consensus.RuleErrorf(consensus.ErrTxBadSig, "transaction %s: sender key: %v", tx.ID(), err)
	}
	return consensus.RuleErrorf(consensus.ErrTxBadSig, "transaction %s: signature does not verify", tx.ID())
}

// CheckTxSanity runs every context-free check on one transaction,
// signature included (through the shared signature cache, which a valid
// transaction then populates for block import). The mempool and gossip
// validators call it before anything stateful.
func (c *Chain) CheckTxSanity(tx *wire.Tx) error {
	if err := c.checkTxEnvelope(tx); err != nil {
		return err
	}
	if !keys.VerifyCached(c.sigs, keys.PubKey(tx.Sender), tx.SigHash(), keys.Signature(tx.Sig)) {
		return TxSignatureError(tx)
	}
	return nil
}

// CheckHeaderSanity exposes the context-free header rules to gossip
// validators and header sync.
func (c *Chain) CheckHeaderSanity(h *wire.Header) error {
	return checkHeaderSanity(c.params, h, c.sigs, c.minerKeys)
}

// checkHeaderContext runs the rules that need the parent's header chain:
// height, the ASERT difficulty, median-time-past, the future limit and,
// on permissioned networks, miner admission. It needs the chain lock (it
// reads the block tree) but no state.
func (c *Chain) checkHeaderContext(h *wire.Header, parent *blockNode, now time.Time) error {
	if h.Height != parent.height()+1 {
		return consensus.RuleErrorf(consensus.ErrBadHeight, "height %d, parent is at %d", h.Height, parent.height())
	}
	want := consensus.NextBits(c.params, parent.anchorTime, parent.height(), parent.header.Timestamp)
	if h.Bits != want {
		return consensus.RuleErrorf(consensus.ErrUnexpectedBits, "bits %08x, schedule requires %08x", h.Bits, want)
	}
	if err := consensus.CheckTimestamp(c.params, h.Timestamp, parent.medianTimePast(), now.UnixMilli()); err != nil {
		return err
	}
	if c.minerAllowed != nil {
		if err := c.minerAllowed(keys.PubKey(h.MinerKey)); err != nil {
			return consensus.RuleErrorf(consensus.ErrMinerNotAdmitted, "miner key %x: %v", h.MinerKey, err)
		}
	}
	return nil
}

// CheckTxEnvelope runs CheckTxSanity's checks except the envelope
// signature, for callers that verify signatures themselves in a batch
// (keys.VerifyBatch through SigCache), as the mempool's SubmitBatch does.
func (c *Chain) CheckTxEnvelope(tx *wire.Tx) error { return c.checkTxEnvelope(tx) }
