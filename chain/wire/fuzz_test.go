package wire

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Each fuzz target checks that decoding never panics and that whatever
// decodes re-encodes to the identical bytes (the encoding is canonical).

func FuzzDecodeBlock(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	f.Add(randomBlock(rng, 0).Encode())
	f.Add(randomBlock(rng, 2).Encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		blk, err := DecodeBlock(b)
		if err != nil {
			return
		}
		if !bytes.Equal(blk.Encode(), b) {
			t.Fatal("decoded block does not re-encode to its input")
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add(randomBlock(rand.New(rand.NewPCG(2, 2)), 0).Header.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHeader(b)
		if err != nil {
			return
		}
		if !bytes.Equal(h.Encode(), b) {
			t.Fatal("decoded header does not re-encode to its input")
		}
	})
}

func FuzzDecodeTx(f *testing.F) {
	f.Add(randomTx(rand.New(rand.NewPCG(3, 3)), 20).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			return
		}
		if !bytes.Equal(tx.Encode(), b) {
			t.Fatal("decoded tx does not re-encode to its input")
		}
	})
}
