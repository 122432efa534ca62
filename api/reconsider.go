package api

import (
	"context"
	"errors"
	"fmt"
	"github.com/thingchain/thingchain/api/apitypes"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// The parameters and result of admin.reconsiderBlock (api/apitypes).
type (
	ReconsiderParams = apitypes.ReconsiderParams
	ReconsiderResult = apitypes.ReconsiderResult
)

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
	return ReconsiderResult{Chain: kind.String(), Hash: h, Cleared: n, Tip: tipJSON(c.Tip())}, nil
}
