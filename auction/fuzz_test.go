package auction

import (
	"bytes"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
)

// FuzzStateRecords: stored records round-trip, and their decoders never
// panic on corrupt bytes (they report an AssertError).
func FuzzStateRecords(f *testing.F) {
	a := &Auction{ID: wire.Hash{1}, Seq: 2, Ranking: []uint32{3, 1}, Status: StatusPaid}
	f.Add(a.encode())
	f.Add((&Bid{Index: 4, Status: BidRevealed}).encode())
	f.Add((&Delivery{EncryptedKey: []byte("xyz")}).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := decodeAuction(b); err == nil && !bytes.Equal(a.encode(), b) {
			t.Fatal("auction record not canonical")
		}
		if x, err := decodeBid(b); err == nil && !bytes.Equal(x.encode(), b) {
			t.Fatal("bid record not canonical")
		}
		if d, err := decodeDelivery(b); err == nil && !bytes.Equal(d.encode(), b) {
			t.Fatal("delivery record not canonical")
		}
	})
}
