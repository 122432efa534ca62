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

// BenchmarkHeaderSanity measures context-free header validation (PoW and
// miner signature): cold verifies every signature, warm hits the cache as
// a header seen in gossip does again at block import.
func BenchmarkHeaderSanity(b *testing.B) {
	h := newHarness(b, consensus.RegTest())
	const n = 256
	headers := make([]wire.Header, n)
	for i := range headers {
		blk := h.template()
		blk.Header.Height += uint64(i) // distinct headers
		h.resolve(blk)
		headers[i] = blk.Header
	}
	for _, warm := range []bool{false, true} {
		b.Run(fmt.Sprintf("warm=%v", warm), func(b *testing.B) {
			i := 0
			for b.Loop() {
				sigs := h.c.sigs
				if !warm {
					sigs = keys.NewSigCache(1)
				}
				if err := checkHeaderSanity(h.c.params, &headers[i%n], sigs); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "headers/s")
		})
	}
}

// BenchmarkConnectBlock measures full block processing (sanity, signature
// checks, state application, commitment, one Badger commit) for blocks of
// 1000 signed kv transactions, with signatures not yet cached.
func BenchmarkConnectBlock(b *testing.B) {
	const txsPerBlock = 1000
	src := newHarness(b, consensus.RegTest())
	senders := make([]*keys.PrivateKey, txsPerBlock)
	for i := range senders {
		senders[i], _ = newKey(b)
	}
	const blocks = 8
	var chainBlocks []*wire.Block
	for j := 0; j < blocks; j++ {
		txs := make([]*wire.Tx, txsPerBlock)
		for i := range txs {
			txs[i] = signTx(src.c, senders[i], txSet, uint64(j), 1, fmt.Sprintf("k%d=%d", i, j))
		}
		chainBlocks = append(chainBlocks, src.mine(txs...))
	}
	b.ResetTimer()
	var connected int
	for b.Loop() {
		b.StopTimer()
		dst := newHarness(b, consensus.RegTest())
		dst.clock = src.clock
		b.StartTimer()
		for _, blk := range chainBlocks {
			if _, err := dst.c.ProcessBlock(context.Background(), blk); err != nil {
				b.Fatal(err)
			}
			connected++
		}
	}
	b.ReportMetric(float64(connected)/b.Elapsed().Seconds(), "blocks/s")
	b.ReportMetric(float64(connected*txsPerBlock)/b.Elapsed().Seconds(), "tx/s")
}

func benchBlockBytes(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i * 31)
	}
	return b
}

// BenchmarkBlockStoreWrite measures synced-free Badger writes of 1 MiB
// block records, one transaction each, as acceptBlock does.
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
}

// BenchmarkBlockStoreRead reads 1 MiB block records back at random.
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
		err := db.View(func(txn *badger.Txn) error {
			_, err := getValue(txn, blockKey(hashes[i%n]))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		i += 7
	}
}
