package node

import (
	"context"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/mempool"
)

// Account reads an auction-chain account at the tip.
func (n *Node) Account(a keys.Address) (ledger.Account, error) {
	return readTip(n.Auction, func(v *chain.View) (ledger.Account, error) { return ledger.GetAccount(v, a) })
}

func (n *Node) auctionNonce(pk keys.PubKey) (uint64, error) {
	acct, err := n.Account(pk.Address())
	return acct.Nonce, err
}

func (n *Node) auctionCandidates() []*wire.Tx {
	return n.AuctionPool.Candidates(n.Net.Auction.MaxBlockBytes - wire.HeaderSize - 16)
}

func (n *Node) metadataCandidates() []*wire.Tx {
	return n.MetadataPool.Candidates(n.Net.Metadata.MaxBlockBytes - wire.HeaderSize - 16)
}

// dropRejected removes from pool the transactions a template refused.
func (n *Node) dropRejected(pool *mempool.Pool) func([]chain.RejectedTx) {
	return func(rejected []chain.RejectedTx) {
		ids := make([]wire.Hash, len(rejected))
		for i, r := range rejected {
			ids[i] = r.Tx.ID()
			n.log.Debug("template dropped transaction", "txid", ids[i], "err", r.Err)
		}
		pool.Remove(ids...)
	}
}

// Faucet sends test coins from the network's well-known faucet key through
// the mempool (test and regtest only).
func (n *Node) Faucet(to keys.Address, amount uint64) (wire.Hash, error) {
	key, ok := ledger.FaucetKey(n.Net)
	if !ok {
		return wire.Hash{}, errNoFaucet
	}
	nonce, pending := n.AuctionPool.PendingNonce(key.PubKey())
	if !pending {
		var err error
		if nonce, err = n.auctionNonce(key.PubKey()); err != nil {
			return wire.Hash{}, err
		}
	}
	tx := ledger.NewTransfer(n.Net, key, to, amount, 1000, nonce)
	if err := n.AuctionPool.Add(tx); err != nil {
		return wire.Hash{}, err
	}
	return tx.ID(), nil
}

// Generate mines count blocks on one chain now, with pending transactions
// (regtest).
//
// The node's own miner, if it runs, is paused meanwhile: it mines with the
// same key and would build the very same blocks on the same tips.
func (n *Node) Generate(ctx context.Context, kind consensus.ChainKind, count int) ([]wire.Hash, error) {
	if n.Miner != nil {
		resume := n.Miner.Pause()
		defer resume()
	}
	if kind == consensus.AuctionChain {
		return miner.Generate(ctx, n.Auction, count, n.MinerKey, n.Reward, n.auctionCandidates, n.nextAnchor)
	}
	return miner.Generate(ctx, n.Metadata, count, n.MinerKey, n.Reward, n.metadataCandidates, nil)
}

// expireLoop drops expired pending transactions once a minute.
func (n *Node) expireLoop(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if dropped := n.AuctionPool.Expire() + n.MetadataPool.Expire(); dropped > 0 {
				n.log.Info("expired pending transactions", "count", dropped)
			}
		}
	}
}
