package ledger

import (
	"context"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// importFixture builds, on a source chain, a funding block for `senders`
// accounts and then one block of n transfers (n/senders from each), and
// returns both blocks.
func importFixture(b *testing.B, n, senders int) (fund, big *wire.Block) {
	b.Helper()
	src := newNode(b)
	f := faucet(b, src.net)
	ks := make([]*keys.PrivateKey, senders)
	var fundTxs []*wire.Tx
	for i := range ks {
		ks[i], _ = keys.GenerateKey()
		fundTxs = append(fundTxs, NewTransfer(src.net, f, ks[i].PubKey().Address(), 1000*Coin, 0, uint64(i)))
	}
	fund = src.mine(fundTxs...)
	var txs []*wire.Tx
	for j := 0; len(txs) < n; j++ {
		for i := 0; i < senders && len(txs) < n; i++ {
			txs = append(txs, NewTransfer(src.net, ks[i], ks[(i+1)%senders].PubKey().Address(), 1, 10, uint64(j)))
		}
	}
	big = src.mine(txs...)
	return fund, big
}

// BenchmarkImportBlock10kTransfers imports one block of 10,000 transfers
// into a fresh node, with the signatures already in the signature cache (as
// after the mempool saw the transactions) and without.
func BenchmarkImportBlock10kTransfers(b *testing.B) {
	const n = 10000
	fund, big := importFixture(b, n, 2000)
	for _, warm := range []bool{true, false} {
		name := "cold"
		if warm {
			name = "cachedSigs"
		}
		b.Run(name, func(b *testing.B) {
			meter := keys.NewVerifyMeter(1000)
			var txs int
			for b.Loop() {
				b.StopTimer()
				net := consensus.RegTest()
				sigs := keys.NewSigCache(2 * n)
				if warm {
					for _, tx := range big.Txs {
						sigs.Add(tx.SigHash(), keys.Signature(tx.Sig), keys.PubKey(tx.Sender))
					}
				}
				c, err := chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: b.TempDir(), StateMachine: NewMachine(net), SigCache: sigs})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.ProcessBlock(context.Background(), fund); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := c.ProcessBlock(context.Background(), big); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				c.Close()
				txs += n
				meter.Sample()
				b.StartTimer()
			}
			rate := float64(txs) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "tx/s")
			// One signature per transfer: the import rate over the all-core
			// verify rate sampled between iterations.
			b.ReportMetric(rate/meter.Rate(), "x_verify")
		})
	}
}

var _ = miner.Generate
