package ledgertx

import (
	"errors"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
)

func FuzzDecodeTransfer(f *testing.F) {
	f.Add(Transfer{Amount: 5}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := DecodeTransfer(b)
		if err == nil && string(tr.Encode()) != string(b) {
			t.Fatal("transfer payload is not canonical")
		}
	})
}

func TestTransferPayloadRoundTrip(t *testing.T) {
	tr := Transfer{To: keys.Address{1, 2, 3, 19: 0xff}, Amount: 0x0102030405060708}
	b := tr.Encode()
	if len(b) != 28 {
		t.Fatalf("payload is %d bytes", len(b))
	}
	got, err := DecodeTransfer(b)
	if err != nil || got != tr {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, b[:27], append(b[:28:28], 0)} {
		if _, err := DecodeTransfer(bad); !errors.Is(err, ErrBadAuctionPayload) {
			t.Errorf("%d-byte payload: %v", len(bad), err)
		}
	}
}
