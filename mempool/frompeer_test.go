package mempool

import (
	"errors"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// TestSubmitFromPeerMarksInvalid: SubmitFromPeer gives SubmitBatch's
// errors and marks as invalid (the relaying peer's fault) exactly those
// of the context-free checks — a bad signature, a wrong chain — and not
// refusals against state or this pool's policy.
func TestSubmitFromPeerMarksInvalid(t *testing.T) {
	f := newFixture(t, 0)
	f.pool.cfg.MinFeeRate = 1
	k := f.fund(2)
	a, b := k[0], k[1]
	fee := func(tx *wire.Tx) uint64 { return uint64(tx.EncodedSize()) * 2 }
	transfer := func(nonce uint64) *wire.Tx {
		tx := ledger.NewTransfer(f.net, a, to(b), 1, 0, nonce)
		return ledger.NewTransfer(f.net, a, to(b), 1, fee(tx), nonce)
	}
	good := transfer(0)
	badSig := transfer(1)
	badSig.Sig[3] ^= 1
	wrongChain := ledger.NewTransfer(consensus.TestNet(), a, to(b), 1, 10_000, 1)
	cheap := ledger.NewTransfer(f.net, a, to(b), 1, 1, 1)                          // below the fee floor
	broke := ledger.NewTransfer(f.net, b, to(a), 1_000_000*ledger.Coin, 10_000, 0) // more than b holds
	used := transfer(0)                                                            // the same as good: known
	txs := []*wire.Tx{good, badSig, wrongChain, cheap, broke, used}
	errs, invalid := f.pool.SubmitFromPeer(txs)
	want := []struct {
		invalid bool
		kind    error
	}{
		{false, nil},
		{true, consensus.ErrTxBadSig},
		{true, consensus.ErrTxWrongChain},
		{false, ErrFeeTooLow},
		{false, ledger.ErrInsufficientFunds},
		{false, ErrAlreadyKnown},
	}
	for i, w := range want {
		if (errs[i] == nil) != (w.kind == nil) || (w.kind != nil && !errors.Is(errs[i], w.kind)) || invalid[i] != w.invalid {
			t.Errorf("tx %d: error %v invalid %v, want %v invalid %v", i, errs[i], invalid[i], w.kind, w.invalid)
		}
	}
	if !f.pool.Has(good.ID()) || f.pool.Count() != 1 {
		t.Fatalf("pool holds %d, want the good transaction alone", f.pool.Count())
	}
}

// TestOffCurveSenderNamed: a sender key in compressed form that is not a
// point on the curve passes the envelope's form check, fails with its
// signature (the one place the key is decompressed) and is refused as
// ErrTxBadSig naming the key, through SubmitBatch and through Add.
func TestOffCurveSenderNamed(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	offCurve := func() *wire.Tx {
		tx := ledger.NewTransfer(f.net, k[0], to(k[1]), 1, 10_000, 0)
		tx.Sender = [33]byte{0x02}
		tx.Sender[32] = 5 // x = 5 has no y on secp256k1
		return tx
	}
	_, errs := f.pool.SubmitBatch([]*wire.Tx{offCurve()})
	if !errors.Is(errs[0], consensus.ErrTxBadSig) || !strings.Contains(errs[0].Error(), "sender key") {
		t.Fatalf("SubmitBatch: %v, want ErrTxBadSig naming the sender key", errs[0])
	}
	if err := f.pool.Add(offCurve()); !errors.Is(err, consensus.ErrTxBadSig) || !strings.Contains(err.Error(), "sender key") {
		t.Fatalf("Add: %v, want ErrTxBadSig naming the sender key", err)
	}
	if f.pool.Count() != 0 {
		t.Fatalf("pool holds %d transactions, want none", f.pool.Count())
	}
}
