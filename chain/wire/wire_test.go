package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func randomTx(rng *rand.Rand, payload int) *Tx {
	tx := &Tx{ChainID: rng.Uint32(), Type: uint16(rng.Uint32()), Nonce: rng.Uint64(), Fee: rng.Uint64(), Expiry: rng.Uint64()}
	for i := range tx.Sender {
		tx.Sender[i] = byte(rng.Uint32())
	}
	for i := range tx.Sig {
		tx.Sig[i] = byte(rng.Uint32())
	}
	tx.Payload = make([]byte, payload)
	for i := range tx.Payload {
		tx.Payload[i] = byte(rng.Uint32())
	}
	return tx
}

func randomBlock(rng *rand.Rand, ntx int) *Block {
	b := &Block{}
	h := &b.Header
	h.Version, h.ChainID, h.Height, h.Timestamp, h.Bits, h.Nonce = rng.Uint32(), rng.Uint32(), rng.Uint64(), int64(rng.Uint64()), rng.Uint32(), rng.Uint64()
	h.Anchor.Height = rng.Uint64()
	for _, f := range [][]byte{h.PrevHash[:], h.TxRoot[:], h.StateRoot[:], h.Anchor.Hash[:], h.Reward[:], h.MinerKey[:], h.MinerSig[:]} {
		for i := range f {
			f[i] = byte(rng.Uint32())
		}
	}
	for i := 0; i < ntx; i++ {
		b.Txs = append(b.Txs, randomTx(rng, rng.IntN(300)))
	}
	return b
}

func TestHeaderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50; i++ {
		h := randomBlock(rng, 0).Header
		enc := h.Encode()
		if len(enc) != HeaderSize {
			t.Fatalf("encoded header is %d bytes, want %d", len(enc), HeaderSize)
		}
		got, err := DecodeHeader(enc)
		if err != nil {
			t.Fatal(err)
		}
		if got != h {
			t.Fatalf("round trip changed header:\n got %+v\nwant %+v", got, h)
		}
		if got.Hash() != h.Hash() {
			t.Fatal("hash changed across round trip")
		}
	}
}

func TestTxRoundTripAndSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, MaxPayloadBytes} {
		tx := randomTx(rng, n)
		enc := tx.Encode()
		if len(enc) != tx.EncodedSize() {
			t.Fatalf("payload %d: EncodedSize %d, actual %d", n, tx.EncodedSize(), len(enc))
		}
		got, err := DecodeTx(enc)
		if err != nil {
			t.Fatalf("payload %d: %v", n, err)
		}
		if !bytes.Equal(got.Encode(), enc) || got.ID() != tx.ID() {
			t.Fatalf("payload %d: round trip changed tx", n)
		}
	}
}

func TestSigHashCoversEverythingButSig(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tx := randomTx(rng, 10)
	base := tx.SigHash()
	mutations := map[string]func(*Tx){
		"chain":   func(t *Tx) { t.ChainID++ },
		"type":    func(t *Tx) { t.Type++ },
		"nonce":   func(t *Tx) { t.Nonce++ },
		"fee":     func(t *Tx) { t.Fee++ },
		"expiry":  func(t *Tx) { t.Expiry++ },
		"sender":  func(t *Tx) { t.Sender[0]++ },
		"payload": func(t *Tx) { t.Payload[0]++ },
	}
	for name, mutate := range mutations {
		c := *tx
		c.Payload = append([]byte(nil), tx.Payload...)
		mutate(&c)
		if c.SigHash() == base {
			t.Errorf("changing %s did not change the signature hash", name)
		}
	}
	c := *tx
	c.Sig[0]++
	if c.SigHash() != base {
		t.Error("signature bytes must not be covered by the signature hash")
	}
	if c.ID() == tx.ID() {
		t.Error("tx ID must commit to the signature")
	}
}

func TestHeaderSigningHashExcludesSigAndNonce(t *testing.T) {
	h := randomBlock(rand.New(rand.NewPCG(7, 8)), 0).Header
	base := h.SigningHash()
	c := h
	c.Nonce++
	c.MinerSig[5]++
	if c.SigningHash() != base {
		t.Fatal("nonce and signature must not be signed")
	}
	c.Reward[0]++
	if c.SigningHash() == base {
		t.Fatal("reward address must be signed")
	}
}

func TestBlockRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 2, 3, 100} {
		b := randomBlock(rng, n)
		enc := b.Encode()
		got, err := DecodeBlock(enc)
		if err != nil {
			t.Fatalf("%d txs: %v", n, err)
		}
		if !bytes.Equal(got.Encode(), enc) {
			t.Fatalf("%d txs: round trip changed block", n)
		}
		if len(got.Txs) != n {
			t.Fatalf("decoded %d txs, want %d", len(got.Txs), n)
		}
	}
}

func TestDecodeRejectsBadBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	good := randomBlock(rng, 3).Encode()
	nonMinimal := append([]byte{}, good[:HeaderSize]...)
	nonMinimal = append(nonMinimal, 0x80, 0x00) // zero encoded in two bytes
	cases := map[string][]byte{
		"empty":           nil,
		"garbage":         []byte("definitely not a block"),
		"truncated":       good[:len(good)-1],
		"header only cut": good[:HeaderSize-3],
		"trailing byte":   append(append([]byte{}, good...), 0),
		"oversized":       make([]byte, MaxBlockBytes+1),
		"non-minimal":     nonMinimal,
		"huge tx count":   append(append([]byte{}, good[:HeaderSize]...), 0xff, 0xff, 0xff, 0xff, 0x0f),
	}
	for name, b := range cases {
		if _, err := DecodeBlock(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v", name, err)
		}
	}
	tx := randomTx(rng, 5).Encode()
	for name, b := range map[string][]byte{"tx truncated": tx[:len(tx)-2], "tx trailing": append(tx, 1), "tx oversized": make([]byte, MaxTxBytes+1)} {
		if _, err := DecodeTx(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v", name, err)
		}
	}
}

func TestMerkleRootDistinguishesLists(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	a, b, c := randomTx(rng, 1), randomTx(rng, 1), randomTx(rng, 1)
	roots := map[Hash]string{}
	for name, txs := range map[string][]*Tx{
		"a": {a}, "ab": {a, b}, "ba": {b, a}, "abc": {a, b, c}, "abcc": {a, b, c, c},
	} {
		r := TxRoot(txs)
		if prev, dup := roots[r]; dup {
			t.Fatalf("lists %s and %s share a Merkle root", prev, name)
		}
		roots[r] = name
	}
	if TxRoot([]*Tx{a}) != a.ID() {
		t.Fatal("single-tx root must be its ID")
	}
}

func TestParseHash(t *testing.T) {
	h := DoubleSHA256([]byte("x"))
	got, err := ParseHash(h.String())
	if err != nil || got != h {
		t.Fatalf("ParseHash round trip: %v", err)
	}
	for _, bad := range []string{"", "zz", h.String()[:63], h.String() + "00", "g" + h.String()[1:]} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) accepted", bad)
		}
	}
}
