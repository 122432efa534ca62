package wire

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkDecodeBlock1000Txs(b *testing.B) {
	enc := randomBlock(rand.New(rand.NewPCG(1, 1)), 1000).Encode()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := DecodeBlock(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBlock1000Txs(b *testing.B) {
	blk := randomBlock(rand.New(rand.NewPCG(1, 1)), 1000)
	for b.Loop() {
		blk.Encode()
	}
}

func BenchmarkHeaderHash(b *testing.B) {
	h := randomBlock(rand.New(rand.NewPCG(1, 1)), 0).Header
	for b.Loop() {
		h.Hash()
	}
}
