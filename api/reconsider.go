package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ReconsiderParams name a block whose invalid marks should be cleared.
type ReconsiderParams struct {
	Chain string    `json:"chain"` // "auction" (default) or "metadata"
	Hash  wire.Hash `json:"hash"`
}

// ReconsiderResult reports what admin.reconsiderBlock did.
type ReconsiderResult struct {
	Chain   string        `json:"chain"`
	Hash    wire.Hash     `json:"hash"`
	Cleared int           `json:"cleared"` // blocks whose invalid mark was removed
	Tip     chain.TipInfo `json:"tip"`     // the chain's tip afterwards
}

// ReconsiderBlock clears the invalid marks of a block, its ancestors and
// descendants and re-runs fork choice (admin.reconsiderBlock).
func (s *Service) ReconsiderBlock(_ context.Context, p ReconsiderParams) (ReconsiderResult, error) {
	c, kind, err := s.chain(p.Chain)
	if err != nil {
		return ReconsiderResult{}, err
	}
	if p.Hash == (wire.Hash{}) {
		return ReconsiderResult{}, invalid("hash is required: the block to reconsider")
	}
	return Reconsider(c, kind, p.Hash)
}

// Reconsider runs chain.Reconsider and describes the outcome; the CLI uses
// it on a stopped node's data directory.
func Reconsider(c *chain.Chain, kind consensus.ChainKind, h wire.Hash) (ReconsiderResult, error) {
	n, err := c.Reconsider(h)
	if errors.Is(err, chain.ErrNotFound) {
		return ReconsiderResult{}, invalid("no %s block %s is known here", kind, h)
	}
	if err != nil {
		return ReconsiderResult{}, fmt.Errorf("reconsider %s block %s: %w", kind, h, err)
	}
	return ReconsiderResult{Chain: kind.String(), Hash: h, Cleared: n, Tip: c.Tip()}, nil
}
