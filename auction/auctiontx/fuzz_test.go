package auctiontx

import (
	"bytes"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// Every decoder must refuse garbage without panicking and accept only the
// canonical encoding of what it returns.

func fuzzKey(f *testing.F) keys.PubKey {
	k, err := keys.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	return k.PubKey()
}

func FuzzDecodeOpenAuction(f *testing.F) {
	f.Add(OpenAuction{Device: fuzzKey(f), Seq: 3}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeOpenAuction(b)
		if err == nil && !bytes.Equal(o.Encode(), b) {
			t.Fatal("not canonical")
		}
	})
}

func FuzzDecodeCommitBids(f *testing.F) {
	d := fuzzKey(f)
	f.Add(CommitBids{Bids: []BidCommit{{Device: d, Seq: 1, Commitment: wire.Hash{1}, Deposit: 9}, {Device: d, Seq: 2, Deposit: 1}}}.Encode())
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommitBids(b)
		if err == nil && !bytes.Equal(c.Encode(), b) {
			t.Fatal("not canonical")
		}
	})
}

func FuzzDecodeRevealBids(f *testing.F) {
	f.Add(RevealBids{Reveals: []Reveal{{Auction: wire.Hash{2}, AmountPerPoint: 5, Salt: [32]byte{3}}}}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRevealBids(b)
		if err == nil && !bytes.Equal(r.Encode(), b) {
			t.Fatal("not canonical")
		}
	})
}

func FuzzDecodePay(f *testing.F) {
	f.Add(Pay{Auction: wire.Hash{4}}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePay(b)
		if err == nil && !bytes.Equal(p.Encode(), b) {
			t.Fatal("not canonical")
		}
	})
}

func FuzzDecodeDeliverKey(f *testing.F) {
	f.Add(DeliverKey{Auction: wire.Hash{5}, KeyHash: wire.Hash{6}, EncryptedKey: make([]byte, 80)}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDeliverKey(b)
		if err == nil && !bytes.Equal(d.Encode(), b) {
			t.Fatal("not canonical")
		}
	})
}
