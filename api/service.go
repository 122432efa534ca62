package api

import (
	"context"
	"errors"
	"fmt"
	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ErrInvalidParams marks errors in what the client sent (as opposed to the
// node's state); the transport maps it to JSON-RPC -32602.
var ErrInvalidParams = errors.New("invalid params")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidParams, fmt.Sprintf(format, args...))
}

// Service implements the API methods over a Backend, independent of the
// transport.
type Service struct {
	b Backend
}

// NewService returns the method implementations for a backend.
func NewService(b Backend) *Service { return &Service{b: b} }

func (s *Service) chain(name string) (*chain.Chain, consensus.ChainKind, error) {
	if name == "" {
		name = "auction"
	}
	kind, err := consensus.ParseChainKind(name)
	if err != nil {
		return nil, 0, invalid("%v", err)
	}
	return s.b.Chains[kind], kind, nil
}

// ChainInfo returns both tips and how far each chain's sync has come.
func (s *Service) ChainInfo(context.Context) (ChainInfoResult, error) {
	meta, auc := s.b.Chains[consensus.MetadataChain].Tip(), s.b.Chains[consensus.AuctionChain].Tip()
	return ChainInfoResult{
		Network:  s.b.Net.Name,
		Metadata: tipJSON(meta),
		Auction:  tipJSON(auc),
		Sync:     apitypes.ChainSyncs{Metadata: s.syncOf(consensus.MetadataChain, meta), Auction: s.syncOf(consensus.AuctionChain, auc)},
	}, nil
}

func (s *Service) syncOf(kind consensus.ChainKind, tip chain.TipInfo) apitypes.SyncProgress {
	if s.b.Sync == nil {
		return apitypes.SyncProgress{Height: tip.Height, Target: tip.Height}
	}
	return s.b.Sync(kind)
}

// GetBlock returns a block by hash (any branch) or main-chain height.
func (s *Service) GetBlock(_ context.Context, q BlockQuery) (BlockJSON, error) {
	c, _, err := s.chain(q.Chain)
	if err != nil {
		return BlockJSON{}, err
	}
	var blk *wire.Block
	switch {
	case q.Hash != nil && q.Height != nil:
		return BlockJSON{}, invalid("give hash or height, not both")
	case q.Hash != nil:
		blk, err = c.BlockByHash(*q.Hash)
	case q.Height != nil:
		blk, err = c.BlockByHeight(*q.Height)
	default:
		blk, err = c.BlockByHeight(c.Tip().Height)
	}
	if err != nil {
		return BlockJSON{}, err
	}
	out := blockJSON(blk, s.b.Net.AddressHRP, q.Full)
	return out, nil
}

// GetTransaction finds a confirmed (main chain) or pending transaction.
func (s *Service) GetTransaction(_ context.Context, q TxQuery) (TxResult, error) {
	c, kind, err := s.chain(q.Chain)
	if err != nil {
		return TxResult{}, err
	}
	if pool := s.b.Pools[kind]; pool != nil {
		if tx, ok := pool.Get(q.ID); ok {
			return TxResult{Tx: txJSON(tx, s.b.Net.AddressHRP, true), Status: "pending"}, nil
		}
	}
	bh, idx, err := c.TxLocation(q.ID)
	if err != nil {
		return TxResult{}, err
	}
	blk, err := c.BlockByHash(bh)
	if err != nil {
		return TxResult{}, err
	}
	if idx >= len(blk.Txs) {
		return TxResult{}, fmt.Errorf("transaction index of %s points past its block", q.ID)
	}
	tip := c.Tip().Height
	return TxResult{
		Tx: txJSON(blk.Txs[idx], s.b.Net.AddressHRP, true), Status: "confirmed",
		Block: &bh, Index: idx, Height: blk.Header.Height, Confirmations: tip - blk.Header.Height + 1,
	}, nil
}

// SubmitTx decodes a signed transaction, finds its chain by chain ID and
// hands it to that chain's mempool.
func (s *Service) SubmitTx(_ context.Context, p SubmitParams) (SubmitResult, error) {
	tx, kind, err := s.decodeSubmitted(p.Raw)
	if err != nil {
		return SubmitResult{}, err
	}
	if err := s.b.Pools[kind].Add(tx); err != nil {
		return SubmitResult{}, err
	}
	return SubmitResult{ID: tx.ID(), Chain: chainName(kind)}, nil
}

func (s *Service) address(a string) (keys.Address, error) {
	addr, err := keys.DecodeAddress(a, s.b.Net.AddressHRP)
	if err != nil {
		return addr, invalid("address %q: %v", a, err)
	}
	return addr, nil
}

// GetAccount returns an auction-chain account's balance and nonces.
func (s *Service) GetAccount(_ context.Context, p AddressParams) (Account, error) {
	addr, err := s.address(p.Address)
	if err != nil {
		return Account{}, err
	}
	if s.b.Account == nil {
		return Account{}, errors.New("this node keeps no accounts")
	}
	bal, nonce, err := s.b.Account(addr)
	if err != nil {
		return Account{}, err
	}
	out := Account{Address: p.Address, Balance: bal, Nonce: nonce, PendingNonce: nonce}
	// The pending nonce is keyed by public key; an address alone cannot be
	// looked up there, so clients that know their key pass it (see
	// account.nextNonce).
	return out, nil
}

// Mempool describes a chain's pending transactions; with a limit it lists
// up to that many, best first.
func (s *Service) Mempool(_ context.Context, p PoolParams) (PoolInfo, error) {
	_, kind, err := s.chain(p.Chain)
	if err != nil {
		return PoolInfo{}, err
	}
	pool := s.b.Pools[kind]
	out := PoolInfo{Chain: chainName(kind)}
	if pool == nil {
		return out, nil
	}
	st := pool.Stats()
	out.Count, out.Bytes = st.Count, st.Bytes
	if p.Limit < 0 || p.Limit > 10000 {
		return out, invalid("limit must be between 0 and 10000")
	}
	for i, tx := range pool.Candidates(0) {
		if i >= p.Limit {
			break
		}
		out.Txs = append(out.Txs, txJSON(tx, s.b.Net.AddressHRP, false))
	}
	return out, nil
}

// Faucet sends test coins (test and regtest networks only).
func (s *Service) Faucet(_ context.Context, p FaucetParams) (SubmitResult, error) {
	if s.b.Faucet == nil {
		return SubmitResult{}, &rpc.Error{Code: rpc.CodeApplication, Message: fmt.Sprintf("network %q has no faucet", s.b.Net.Name),
			Data: rpc.ErrorData{Kind: string(apitypes.ErrNoFaucet)}}
	}
	addr, err := s.address(p.Address)
	if err != nil {
		return SubmitResult{}, err
	}
	if p.Amount == 0 {
		return SubmitResult{}, invalid("amount must be positive")
	}
	id, err := s.b.Faucet(addr, p.Amount)
	if err != nil {
		return SubmitResult{}, err
	}
	return SubmitResult{ID: id, Chain: "auction"}, nil
}

// Generate mines blocks on demand (regtest, admin).
func (s *Service) Generate(_ context.Context, p GenerateParams) ([]wire.Hash, error) {
	_, kind, err := s.chain(p.Chain)
	if err != nil {
		return nil, err
	}
	if !s.b.Net.MineOnDemand || s.b.Generate == nil {
		return nil, fmt.Errorf("admin.generate works on regtest only (this is %q)", s.b.Net.Name)
	}
	if p.Count < 1 || p.Count > 1000 {
		return nil, invalid("count must be between 1 and 1000")
	}
	return s.b.Generate(kind, p.Count)
}

// NextNonce is the nonce a sender's next transaction on a chain should
// carry: the committed nonce plus its executable pending transactions.
func (s *Service) NextNonce(_ context.Context, p NonceParams) (uint64, error) {
	pk, err := parsePubKeyParam("pubkey", p.PubKey)
	if err != nil {
		return 0, err
	}
	_, kind, err := s.chain(p.Chain)
	if err != nil {
		return 0, err
	}
	if pool := s.b.Pools[kind]; pool != nil {
		if n, ok := pool.PendingNonce(pk); ok {
			return n, nil
		}
	}
	if s.b.StateNonce == nil {
		return 0, errors.New("this node keeps no nonces")
	}
	return s.b.StateNonce(kind, pk)
}

// History scans recent auction-chain blocks for transactions sent by or
// paying to the address, newest first. It is a scan, bounded by Blocks,
// not an index: an address index comes with the explorer work.
func (s *Service) History(_ context.Context, p HistoryParams) ([]HistoryEntry, error) {
	addr, err := s.address(p.Address)
	if err != nil {
		return nil, err
	}
	if p.Blocks == 0 {
		p.Blocks = 1000
	}
	if p.Blocks < 0 || p.Blocks > 100000 {
		return nil, invalid("blocks must be between 1 and 100000")
	}
	c := s.b.Chains[consensus.AuctionChain]
	tip := c.Tip().Height
	var out []HistoryEntry
	for h := tip; h > 0 && tip-h < uint64(p.Blocks); h-- {
		blk, err := c.BlockByHeight(h)
		if err != nil {
			return nil, err
		}
		for i := len(blk.Txs) - 1; i >= 0; i-- {
			tx := blk.Txs[i]
			e := HistoryEntry{Height: h}
			var to keys.Address
			if s.b.DescribeTransfer != nil {
				if t, amount, ok := s.b.DescribeTransfer(tx); ok {
					to, e.Amount = t, amount
					e.To = t.Encode(s.b.Net.AddressHRP)
				}
			}
			switch {
			case keys.PubKey(tx.Sender).Address() == addr:
				e.Direction = "out"
			case to == addr:
				e.Direction = "in"
			default:
				continue
			}
			e.Tx = txJSON(tx, s.b.Net.AddressHRP, false)
			out = append(out, e)
		}
	}
	return out, nil
}
