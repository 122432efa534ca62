package ledger

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// TestParallelConnectMatchesTemplateRoot mines blocks of transfers that
// the engine applies in parallel when it connects them (chains of
// payments between the same accounts, and disjoint ones) while the block
// template computed the state root applying them in order: each block
// must connect (its state root is checked) on the miner and on a peer,
// and both end with the same accounts.
func TestParallelConnectMatchesTemplateRoot(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	src, peer := newNode(t), newNode(t)
	f := faucet(t, src.net)
	ks := make([]*keys.PrivateKey, 40)
	var fund []*wire.Tx
	for i := range ks {
		ks[i], _ = keys.GenerateKey()
		fund = append(fund, NewTransfer(src.net, f, ks[i].PubKey().Address(), 1000*Coin, 0, uint64(i)))
	}
	blocks := []*wire.Block{src.mine(fund...)}
	rng := rand.New(rand.NewPCG(4, 2))
	nonces := make([]uint64, len(ks))
	for range 3 {
		var txs []*wire.Tx
		for range 200 {
			from := rng.IntN(len(ks))
			if rng.IntN(2) == 0 {
				from = rng.IntN(4) // a few busy senders: conflicts
			}
			to := (from + 1 + rng.IntN(len(ks)-1)) % len(ks)
			txs = append(txs, NewTransfer(src.net, ks[from], ks[to].PubKey().Address(), uint64(1+rng.IntN(Coin)), 10, nonces[from]))
			nonces[from]++
		}
		blocks = append(blocks, src.mine(txs...))
	}
	for _, blk := range blocks {
		if _, err := peer.c.ProcessBlock(context.Background(), blk); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range ks {
		if a, b := src.account(k.PubKey().Address()), peer.account(k.PubKey().Address()); a != b || a.Nonce != nonces[indexOf(ks, k)] {
			t.Fatalf("account %x: miner %+v, peer %+v", k.PubKey().Address(), a, b)
		}
	}
}

func indexOf(ks []*keys.PrivateKey, k *keys.PrivateKey) int {
	for i := range ks {
		if ks[i] == k {
			return i
		}
	}
	return -1
}
