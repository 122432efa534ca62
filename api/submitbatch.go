package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

type (
	SubmitBatchParams = apitypes.SubmitBatchParams
	SubmitBatchResult = apitypes.SubmitBatchResult
)

// MaxSubmitBatch bounds the transactions of one tx.submitBatch call.
const MaxSubmitBatch = apitypes.MaxSubmitBatch

// SubmitTxBatch is tx.submit for many transactions in one call: each is
// decoded and checked as tx.submit checks it, and each chain's
// transactions go to its mempool's SubmitBatch, which verifies their
// signatures in one parallel batch outside the pool's lock. The call counts
// as one call per transaction against the caller's rate limits. Results
// are per transaction, in order; one transaction's error does not stop
// the others (a sender's later nonces then wait behind the gap, as they
// would after the same tx.submit calls).
func (s *Service) SubmitTxBatch(ctx context.Context, p SubmitBatchParams) (SubmitBatchResult, error) {
	n := len(p.Raws)
	if n == 0 {
		return SubmitBatchResult{}, invalid("raws: give at least one transaction (hex)")
	}
	if n > MaxSubmitBatch {
		return SubmitBatchResult{}, invalid("raws: %d transactions, at most %d per call: split the batch", n, MaxSubmitBatch)
	}
	if !rpc.Charge(ctx, n-1) {
		return SubmitBatchResult{}, rpc.ErrRateLimited()
	}
	out := SubmitBatchResult{Results: make([]apitypes.SubmitItem, n)}
	// Per chain, the decoded transactions and their places in the call.
	type group struct {
		txs []*wire.Tx
		at  []int
	}
	groups := map[consensus.ChainKind]*group{}
	for i, raw := range p.Raws {
		tx, kind, err := s.decodeSubmitted(raw)
		if tx != nil {
			id := tx.ID()
			out.Results[i].ID = &id
		}
		if err != nil {
			out.Results[i].Error = itemError(err)
			continue
		}
		g := groups[kind]
		if g == nil {
			g = &group{}
			groups[kind] = g
		}
		g.txs, g.at = append(g.txs, tx), append(g.at, i)
	}
	for kind, g := range groups {
		_, errs := s.b.Pools[kind].SubmitBatch(g.txs)
		for j, i := range g.at {
			out.Results[i].Chain = chainName(kind)
			if errs[j] != nil {
				out.Results[i].Error = itemError(errs[j])
			}
		}
	}
	return out, nil
}

// decodeSubmitted is tx.submit's decoding: hex, size, wire format, and
// the chain (with a mempool) the transaction's chain ID names. tx is
// non-nil when it decoded, even if err is not nil.
func (s *Service) decodeSubmitted(rawHex string) (*wire.Tx, consensus.ChainKind, error) {
	raw, err := hex.DecodeString(rawHex)
	if err != nil {
		return nil, 0, invalid("raw is not hex: %v", err)
	}
	if len(raw) > wire.MaxTxBytes {
		return nil, 0, consensus.RuleErrorf(consensus.ErrTxTooLarge, "transaction of %d bytes exceeds the limit of %d: shrink its payload (a Thing Description counts its compacted JSON against registry.MaxTDBytes)", len(raw), wire.MaxTxBytes)
	}
	tx, err := wire.DecodeTx(raw)
	if err != nil {
		return nil, 0, invalid("%v", err)
	}
	for kind, c := range s.b.Chains {
		if c.Params().ChainID != tx.ChainID {
			continue
		}
		if s.b.Pools[kind] == nil {
			return tx, kind, fmt.Errorf("the %s chain accepts no transactions on this node", kind)
		}
		return tx, kind, nil
	}
	return tx, 0, consensus.RuleErrorf(consensus.ErrTxWrongChain, "chain ID %08x is not a chain of network %q (metadata %08x, auction %08x)",
		tx.ChainID, s.b.Net.Name, s.b.Net.Metadata.ChainID, s.b.Net.Auction.ChainID)
}

// itemError is the error object tx.submit would answer with for err.
func itemError(err error) *apitypes.ItemError {
	if errors.Is(err, ErrInvalidParams) {
		return &apitypes.ItemError{Code: rpc.CodeInvalidParams, Message: err.Error()}
	}
	e := rpc.ErrorOf(err)
	return &apitypes.ItemError{Code: e.Code, Message: e.Message, Data: e.Data}
}
