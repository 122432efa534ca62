package chain

import (
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TemplateRequest describes the block a miner wants to build.
type TemplateRequest struct {
	Reward   keys.Address
	MinerKey keys.PubKey
	Txs      []*wire.Tx // candidates in priority order (from the mempool)
	Anchor   wire.Anchor
	Now      time.Time // zero means the chain's clock
}

// RejectedTx is a candidate a template left out, with the reason.
type RejectedTx struct {
	Tx  *wire.Tx
	Err error
}

// Template is an unsigned, unsolved block on the current tip.
type Template struct {
	Block    *wire.Block
	Rejected []RejectedTx
}

// NewTemplate builds a block on the current tip from the candidates that
// still apply, in order, skipping any that fail (and reporting them so the
// mempool can drop them), up to the block size and count limits. The
// header is complete except for MinerSig and Nonce.
func (c *Chain) NewTemplate(req TemplateRequest) (*Template, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	parent := c.tipNode()
	now := req.Now
	if now.IsZero() {
		now = c.now()
	}
	ts := max(now.UnixMilli(), parent.medianTimePast()+1)
	hdr := wire.Header{
		Version: consensus.CurrentHeaderVersion, ChainID: c.params.ChainID,
		Height: parent.height() + 1, PrevHash: parent.hash,
		Anchor:    req.Anchor,
		Timestamp: ts,
		Bits:      consensus.NextBits(c.params, parent.anchorTime, parent.height(), parent.header.Timestamp),
		Reward:    req.Reward, MinerKey: req.MinerKey,
	}
	txn := c.db.NewTransaction(false)
	defer txn.Discard()
	view := newView(txnReader{txn})
	bctx := &BlockContext{Params: c.params, Net: c.net, Height: hdr.Height, Time: hdr.Timestamp, Header: &hdr}
	tmpl := &Template{Block: &wire.Block{Header: hdr}}
	size := wire.HeaderSize + 5
	for _, tx := range req.Txs {
		txSize := tx.EncodedSize()
		if size+txSize > c.params.MaxBlockBytes || len(tmpl.Block.Txs) >= c.params.MaxBlockTxs {
			break
		}
		rejected, err := c.tryApply(view, tx, bctx)
		if err != nil {
			return nil, err
		}
		if rejected != nil {
			tmpl.Rejected = append(tmpl.Rejected, RejectedTx{tx, rejected})
			continue
		}
		tmpl.Block.Txs = append(tmpl.Block.Txs, tx)
		size += txSize
	}
	blk := tmpl.Block
	blk.Header.TxRoot = wire.TxRoot(blk.Txs)
	if err := c.sm.FinishBlock(view, blk, bctx); err != nil {
		return nil, err
	}
	_, acc, err := c.commitmentAfter(view)
	if err != nil {
		return nil, err
	}
	blk.Header.StateRoot = acc.Sum()
	return tmpl, nil
}
