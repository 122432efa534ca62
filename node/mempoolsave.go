package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/mempool"
)

// DefaultMempoolSaveInterval is how often a running node saves its
// mempools (it also saves them on shutdown), bounding what a crash loses.
const DefaultMempoolSaveInterval = time.Minute

// mempoolPath is where a chain's pool is saved: DIR/mempool/<chain>.dat.
func (n *Node) mempoolPath(kind consensus.ChainKind) string {
	return filepath.Join(n.cfg.DataDir, "mempool", kind.String()+".dat")
}

func (n *Node) pools() map[consensus.ChainKind]*mempool.Pool {
	return map[consensus.ChainKind]*mempool.Pool{consensus.MetadataChain: n.MetadataPool, consensus.AuctionChain: n.AuctionPool}
}

// restoreMempools reloads what the last run saved, revalidating every
// transaction on the current tips. A damaged file is moved aside (kept,
// not lost) and the node starts with that pool empty.
func (n *Node) restoreMempools() {
	for kind, pool := range n.pools() {
		path := n.mempoolPath(kind)
		res, err := pool.Load(path)
		switch {
		case errors.Is(err, mempool.ErrCorruptSave):
			aside := path + ".corrupt"
			rerr := os.Rename(path, aside)
			n.log.Warn("saved mempool unreadable; starting with an empty pool (the file is kept)", "chain", kind.String(), "err", err, "moved_to", aside, "move_err", rerr)
		case err != nil:
			n.log.Error("reloading the saved mempool", "chain", kind.String(), "err", err)
		case res.Loaded+res.Dropped > 0:
			n.log.Info("mempool reloaded", "chain", kind.String(), "loaded", res.Loaded, "dropped_invalid", res.Dropped)
		}
	}
}

// saveMempools writes both pools; a failure is logged, not fatal (the
// chains, the state that matters, are already on disk).
func (n *Node) saveMempools() {
	for kind, pool := range n.pools() {
		if count, err := pool.Save(n.mempoolPath(kind)); err != nil {
			n.log.Error("saving the mempool", "chain", kind.String(), "err", err)
		} else {
			n.log.Debug("mempool saved", "chain", kind.String(), "transactions", count)
		}
	}
}

// mempoolSaveLoop saves the pools every interval until ctx ends.
func (n *Node) mempoolSaveLoop(ctx context.Context) {
	every := n.cfg.MempoolSaveInterval
	if every <= 0 {
		every = DefaultMempoolSaveInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.saveMempools()
		}
	}
}
