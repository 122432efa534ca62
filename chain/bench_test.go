package chain

import (
	"context"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// BenchmarkHeaderSanity measures context-free header validation (chain,
// version, bits, PoW and the miner's signature). cold uses a signature
// cache that stores nothing and a key cache that never builds a table, so
// every signature is verified the plain way (the key parsed once); table
// verifies every signature with the miner key's table (as once a miner
// has signed BuildAfter headers, or at once for an admitted miner); warm
// has every header's signature cached, as for a header seen in gossip and
// again at import.
func BenchmarkHeaderSanity(b *testing.B) {
	h := newHarness(b, consensus.RegTest())
	const n = 256
	headers := make([]wire.Header, n)
	for i := range headers {
		blk := h.template()
		blk.Header.Height += uint64(i) // distinct headers, distinct signatures
		h.resolve(blk)
		headers[i] = blk.Header
	}
	for _, mode := range []string{"cold", "table", "warm"} {
		b.Run(mode, func(b *testing.B) {
			sigs := keys.NewSigCache(0)
			minerKeys := keys.NewKeyCache(keys.KeyCacheConfig{BuildAfter: 1 << 30})
			switch mode {
			case "table":
				minerKeys = keys.NewKeyCache(keys.KeyCacheConfig{Preferred: func(keys.PubKey) bool { return true }})
				if err := checkHeaderSanity(h.c.params, &headers[0], sigs, minerKeys); err != nil {
					b.Fatal(err)
				}
				minerKeys.WaitBuilds()
				if minerKeys.Table(keys.PubKey(headers[0].MinerKey)) == nil {
					b.Fatal("no table was built for the preferred miner key")
				}
			case "warm":
				sigs = keys.NewSigCache(2 * n)
				for i := range headers {
					if err := checkHeaderSanity(h.c.params, &headers[i], sigs, minerKeys); err != nil {
						b.Fatal(err)
					}
				}
			}
			i := 0
			for b.Loop() {
				if err := checkHeaderSanity(h.c.params, &headers[i%n], sigs, minerKeys); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "headers/s")
		})
	}
}

// BenchmarkConnectBlock measures full block import (sanity, batched
// signature checks with a cold cache, state application, commitment, one
// Badger commit) for regtest blocks of 1000 signed kv transactions, into
// a fresh chain each iteration. x_verify is its signature rate over the
// all-core batch-verify rate sampled between iterations (keys.VerifyMeter).
func BenchmarkConnectBlock(b *testing.B) {
	const txsPerBlock, blocks = 1000, 4
	src := newHarness(b, consensus.RegTest())
	senders := make([]*keys.PrivateKey, txsPerBlock)
	for i := range senders {
		senders[i], _ = newKey(b)
	}
	var chainBlocks []*wire.Block
	for j := 0; j < blocks; j++ {
		txs := make([]*wire.Tx, txsPerBlock)
		for i := range txs {
			txs[i] = signTx(src.c, senders[i], txSet, uint64(j), 1, fmt.Sprintf("k%d=%d", i, j))
		}
		chainBlocks = append(chainBlocks, src.mine(txs...))
	}
	meter := keys.NewVerifyMeter(txsPerBlock)
	var connected int
	for b.Loop() {
		b.StopTimer()
		dst := newHarness(b, consensus.RegTest())
		dst.clock = src.clock
		b.StartTimer()
		for _, blk := range chainBlocks {
			if res, err := dst.c.ProcessBlock(context.Background(), blk); err != nil || !res.MainTip {
				b.Fatal(res, err)
			}
			connected++
		}
		b.StopTimer()
		dst.close()
		meter.Sample()
		b.StartTimer()
	}
	b.ReportMetric(float64(connected)/b.Elapsed().Seconds(), "blocks/s")
	txRate := float64(connected*txsPerBlock) / b.Elapsed().Seconds()
	b.ReportMetric(txRate, "tx/s")
	// One signature per transaction: x_verify is signatures per second
	// over the all-core verify rate of the same run (target ≥ 0.7).
	b.ReportMetric(txRate/meter.Rate(), "x_verify")
}

func benchBlockBytes(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i * 31)
	}
	return b
}

// BenchmarkBlockStoreWrite measures Badger writes of 1 MiB block records,
// one transaction each, as acceptBlock stores a block.
func BenchmarkBlockStoreWrite(b *testing.B) {
	db, err := openBadger(b.TempDir(), DefaultStoreOptions(), discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := benchBlockBytes(1 << 20)
	b.SetBytes(int64(len(val)))
	i := 0
	for b.Loop() {
		h := wire.DoubleSHA256([]byte(fmt.Sprint(i)))
		if err := db.Update(func(txn *badger.Txn) error { return txn.Set(blockKey(h), val) }); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "blocks/s")
}

// BenchmarkBlockStoreRead reads 1 MiB block records back in a scattered
// order, copying each out as loadBlock does.
func BenchmarkBlockStoreRead(b *testing.B) {
	db, err := openBadger(b.TempDir(), DefaultStoreOptions(), discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := benchBlockBytes(1 << 20)
	const n = 64
	hashes := make([]wire.Hash, n)
	for i := range hashes {
		hashes[i] = wire.DoubleSHA256([]byte(fmt.Sprint(i)))
		if err := db.Update(func(txn *badger.Txn) error { return txn.Set(blockKey(hashes[i]), val) }); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(val)))
	i := 0
	for b.Loop() {
		var got []byte
		err := db.View(func(txn *badger.Txn) error {
			var err error
			got, err = getValue(txn, blockKey(hashes[(i*7)%n]))
			return err
		})
		if err != nil || len(got) != len(val) {
			b.Fatal(len(got), err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "blocks/s")
}

// BenchmarkImportEmptyBlocks measures initial sync's chain side: 5,000
// empty regtest blocks (a miner reward each) imported into a fresh chain,
// their header signatures already cached as header presync leaves them.
// one-by-one is ProcessBlockBytes per block (one Badger commit each);
// batch128 is VerifyBlocks then ProcessBlocks per 128 blocks, as sync
// receives them (several blocks per commit). Reports blocks/s.
func BenchmarkImportEmptyBlocks(b *testing.B) {
	const blocks = 5_000
	src := newHarness(b, consensus.RegTest())
	raws := make([][]byte, blocks)
	for i := range raws {
		raws[i] = src.mine().Encode()
	}
	for _, batch := range []int{1, 128} {
		name := "one-by-one"
		if batch > 1 {
			name = fmt.Sprintf("batch%d", batch)
		}
		b.Run(name, func(b *testing.B) {
			var imported int
			for b.Loop() {
				b.StopTimer()
				dst := newHarness(b, consensus.RegTest())
				dst.clock = src.clock
				for _, raw := range raws { // header presync's work
					blk, _ := wire.DecodeBlock(raw)
					if err := dst.c.CheckHeaderSanity(&blk.Header); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				for i := 0; i < len(raws); i += batch {
					part := raws[i:min(i+batch, len(raws))]
					if batch == 1 {
						if _, err := dst.c.ProcessBlockBytes(context.Background(), part[0]); err != nil {
							b.Fatal(err)
						}
						continue
					}
					vs, err := dst.c.VerifyBlocks(context.Background(), part)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := dst.c.ProcessBlocks(context.Background(), vs); err != nil {
						b.Fatal(err)
					}
				}
				imported += len(raws)
				b.StopTimer()
				mustEqual(b, "tip", dst.c.Tip().Hash, src.c.Tip().Hash)
				dst.close()
				b.StartTimer()
			}
			b.ReportMetric(float64(imported)/b.Elapsed().Seconds(), "blocks/s")
		})
	}
}
