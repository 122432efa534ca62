package p2p

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

func frameTxs(n int) []*wire.Tx {
	key, _ := keys.GenerateKey()
	txs := make([]*wire.Tx, n)
	for i := range txs {
		txs[i] = &wire.Tx{ChainID: 7, Type: txTest, Nonce: uint64(i), Fee: uint64(i) * 3, Sender: key.PubKey(), Payload: []byte(fmt.Sprintf("tx %d", i))}
		txs[i].Sig = key.Sign(txs[i].SigHash())
	}
	return txs
}

func encodeAll(txs []*wire.Tx) [][]byte {
	out := make([][]byte, len(txs))
	for i, tx := range txs {
		out[i] = tx.Encode()
	}
	return out
}

func TestTxFrameRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 100, MaxTxFrameTxs} {
		txs := frameTxs(n)
		frame, err := EncodeTxFrame(encodeAll(txs))
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeTxFrame(frame)
		if err != nil || len(got) != n {
			t.Fatalf("%d transactions: decoded %d, %v", n, len(got), err)
		}
		for i := range txs {
			if got[i].ID() != txs[i].ID() || !bytes.Equal(got[i].Encode(), txs[i].Encode()) {
				t.Fatalf("%d transactions: transaction %d changed", n, i)
			}
		}
	}
	// The builder publishLoop uses writes the same bytes.
	txs := frameTxs(3)
	var f txFrame
	for _, e := range encodeAll(txs) {
		f.add(e)
	}
	want, _ := EncodeTxFrame(encodeAll(txs))
	if got := f.bytes(); !bytes.Equal(got, want) || f.n != 0 {
		t.Fatal("txFrame builder and EncodeTxFrame disagree")
	}
}

// Each malformed or oversized frame is refused with the right class of
// error (oversized: errTxFrameOversized; otherwise malformed).
func TestTxFrameRejects(t *testing.T) {
	one := frameTxs(1)[0].Encode()
	good, _ := EncodeTxFrame([][]byte{one})
	cases := []struct {
		name      string
		frame     []byte
		oversized bool
	}{
		{"empty", nil, false},
		{"zero count", []byte{0}, false},
		{"count over the limit", binary.AppendUvarint(nil, MaxTxFrameTxs+1), true},
		{"count larger than the transactions", append(binary.AppendUvarint(nil, 2), good[1:]...), false},
		{"zero length", []byte{1, 0}, false},
		{"length past the end", append([]byte{1}, binary.AppendUvarint(nil, uint64(len(one)+1))...), false},
		{"transaction over the size limit", binary.AppendUvarint([]byte{1}, wire.MaxTxBytes+1), true},
		{"trailing byte", append(append([]byte{}, good...), 0), false},
		{"truncated transaction", append(binary.AppendUvarint([]byte{1}, uint64(len(one)-1)), one[:len(one)-1]...), false},
		{"frame over the byte limit", make([]byte, MaxTxFrameBytes+1), true},
		{"bad count varint", []byte{0x80}, false},
	}
	for _, tc := range cases {
		_, err := DecodeTxFrame(tc.frame)
		if err == nil {
			t.Errorf("%s: decoded", tc.name)
			continue
		}
		if errors.Is(err, errTxFrameOversized) != tc.oversized {
			t.Errorf("%s: %v, oversized=%v", tc.name, err, tc.oversized)
		}
	}
	if _, err := EncodeTxFrame(encodeAll(frameTxs(MaxTxFrameTxs + 1))); !errors.Is(err, errTxFrameOversized) {
		t.Fatalf("encoding %d transactions: %v", MaxTxFrameTxs+1, err)
	}
	if _, err := EncodeTxFrame(nil); err == nil {
		t.Fatal("encoded an empty frame")
	}
}

func FuzzDecodeTxFrame(f *testing.F) {
	good, _ := EncodeTxFrame(encodeAll(frameTxs(3)))
	f.Add(good)
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		txs, err := DecodeTxFrame(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes (one encoding).
		again, err := EncodeTxFrame(encodeAll(txs))
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs: %v", err)
		}
	})
}

// TestTxFrameVerdicts: a frame is relayed whole only when the pool took
// every transaction in it; each transaction failing a context-free rule
// costs the sender PenaltyInvalidTx and the frame is rejected, while its
// valid transactions are pooled and announced by this node itself.
func TestTxFrameVerdicts(t *testing.T) {
	tn := newTestNode(t)
	k := consensus.AuctionChain
	cn, _ := tn.p2p.chainNet(k)
	ch := tn.chain(k)
	key, _ := keys.GenerateKey()
	from := peer.ID("some-peer")
	validate := func(txs ...*wire.Tx) pubsub.ValidationResult {
		frame, err := EncodeTxFrame(encodeAll(txs))
		if err != nil {
			t.Fatal(err)
		}
		return cn.validateTxFrame(context.Background(), from, &pubsub.Message{Message: &pb.Message{Data: frame}})
	}
	a, b := signedTx(ch, key, 0, "a"), signedTx(ch, key, 1, "b")
	if got := validate(a, b); got != pubsub.ValidationAccept {
		t.Fatalf("frame of two valid transactions: %v, want accept", got)
	}
	// The same transactions again, and one new: not relayed as it came
	// (the peer relayed old news), the new one pooled.
	c := signedTx(ch, key, 2, "c")
	if got := validate(a, c); got != pubsub.ValidationIgnore {
		t.Fatalf("frame with a known transaction: %v, want ignore", got)
	}
	if !tn.pools[k].has(c.ID()) {
		t.Fatal("the new transaction of a partly known frame was not pooled")
	}
	bad1, bad2 := signedTx(ch, key, 3, "bad 1"), signedTx(ch, key, 4, "bad 2")
	bad1.Sig[7] ^= 1
	bad2.Sig[9] ^= 1
	d := signedTx(ch, key, 5, "d")
	if got := validate(bad1, d, bad2); got != pubsub.ValidationReject {
		t.Fatalf("frame with bad signatures: %v, want reject", got)
	}
	for i := range 2 {
		pen := <-tn.penalties
		if pen.amount != PenaltyInvalidTx || pen.peer != from {
			t.Fatalf("penalty %d: %+v, want %d for each bad transaction", i, pen, PenaltyInvalidTx)
		}
	}
	if !tn.pools[k].has(d.ID()) || tn.pools[k].has(bad1.ID()) || tn.pools[k].has(bad2.ID()) {
		t.Fatal("pool: want the valid transaction of a rejected frame, not the bad ones")
	}
	select {
	case pen := <-tn.penalties:
		t.Fatalf("unexpected penalty %+v", pen)
	default:
	}

	// A frame of bad signatures: once its sender is banned, the rest of
	// the frame is not checked (one slice's worth of verifications).
	flooder := peer.ID("flooder")
	var flood [][]byte
	for i := range 3 * txFrameCheckSlice {
		tx := signedTx(ch, key, uint64(100+i), "flood")
		tx.Sig[11] ^= 1
		flood = append(flood, tx.Encode())
	}
	frame, err := EncodeTxFrame(flood)
	if err != nil {
		t.Fatal(err)
	}
	if got := cn.validateTxFrame(context.Background(), flooder, &pubsub.Message{Message: &pb.Message{Data: frame}}); got != pubsub.ValidationReject {
		t.Fatalf("frame of bad signatures: %v, want reject", got)
	}
	if !tn.p2p.Banned(flooder) {
		t.Fatal("the flooder is not banned")
	}
	if n := len(tn.penalties); n != txFrameCheckSlice {
		t.Fatalf("%d transactions of the flood checked, want the first slice of %d", n, txFrameCheckSlice)
	}
}
