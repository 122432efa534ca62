package mempool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

func TestErrorKinds(t *testing.T) {
	kinds := map[string]ErrorKind{
		"ErrAlreadyKnown": ErrAlreadyKnown, "ErrFeeTooLow": ErrFeeTooLow,
		"ErrReplacementUnderpriced": ErrReplacementUnderpriced, "ErrPoolFull": ErrPoolFull,
		"ErrSenderLimit": ErrSenderLimit, "ErrNonceTooFarAhead": ErrNonceTooFarAhead,
	}
	for name, kind := range kinds {
		err := policyErrorf(kind, "why %d", 1)
		if kind.Error() != name || err.Error() != name+": why 1" || !errors.Is(err, kind) {
			t.Errorf("%s: %q / %q", name, kind, err)
		}
		for other, o := range kinds {
			if other != name && errors.Is(err, o) {
				t.Errorf("%s matches %s", name, other)
			}
		}
	}
}

func (f *fixture) submit(tx *wire.Tx) AddResult {
	f.t.Helper()
	res, err := f.pool.Submit(tx)
	if err != nil {
		f.t.Fatalf("nonce %d refused: %v", tx.Nonce, err)
	}
	return res
}

func TestSubmitResult(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	var announced []wire.Hash
	f.pool.OnNewTx(func(tx *wire.Tx) { announced = append(announced, tx.ID()) })
	tx2 := ledger.NewTransfer(f.net, a, to(b), 1, 100, 2)
	tx1 := ledger.NewTransfer(f.net, a, to(b), 1, 100, 1)
	if r := f.submit(tx2); r.Status != StatusHeld || r.ID != tx2.ID() {
		t.Fatalf("gapped: %+v", r)
	}
	if r := f.submit(tx1); r.Status != StatusHeld {
		t.Fatalf("still gapped: %+v", r)
	}
	if r := f.submit(ledger.NewTransfer(f.net, a, to(b), 1, 100, 0)); r.Status != StatusPending || r.Promoted != 2 {
		t.Fatalf("gap filler: %+v", r)
	}
	repl := ledger.NewTransfer(f.net, a, to(b), 1, 200, 1)
	if r := f.submit(repl); r.Status != StatusPending || r.Replaced == nil || *r.Replaced != tx1.ID() {
		t.Fatalf("replacement: %+v", r)
	}
	if len(announced) != 4 || f.pool.Count() != 3 || len(f.pool.Pending()) != 3 {
		t.Fatalf("announced %d, count %d, pending %d", len(announced), f.pool.Count(), len(f.pool.Pending()))
	}
}

// TestHeldTransactionCheckedWhenReleased: a held transaction is checked
// against state when its gap fills, and leaves if it no longer applies.
func TestHeldTransactionCheckedWhenReleased(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	big := ledger.NewTransfer(f.net, a, to(b), 900*ledger.Coin, 100, 1) // fine alone
	f.submit(big)
	r := f.submit(ledger.NewTransfer(f.net, a, to(b), 500*ledger.Coin, 100, 0))
	if r.Promoted != 0 || f.pool.Has(big.ID()) {
		t.Fatalf("an overspending held transaction was released: %+v", r)
	}
	if s := f.pool.Stats(); s.Executable != 1 || s.Held != 0 {
		t.Fatalf("%+v", s)
	}
}

// TestReplacementRevalidatesFollowers: a replacement that spends more
// drops the later transaction it leaves unfunded.
func TestReplacementRevalidatesFollowers(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	f.submit(ledger.NewTransfer(f.net, a, to(b), 100*ledger.Coin, 100, 0))
	follower := ledger.NewTransfer(f.net, a, to(b), 800*ledger.Coin, 100, 1)
	f.submit(follower)
	f.submit(ledger.NewTransfer(f.net, a, to(b), 500*ledger.Coin, 1000, 0))
	if f.pool.Has(follower.ID()) || f.pool.Count() != 1 {
		t.Fatal("the unfunded follower stayed")
	}
}

func TestReplacementRule(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	f.submit(ledger.NewTransfer(f.net, a, to(b), 1, 1000, 0))
	for _, tc := range []struct {
		fee uint64
		ok  bool
	}{{1000, false}, {1099, false}, {1100, true}, {1209, false}, {1210, true}} {
		_, err := f.pool.Submit(ledger.NewTransfer(f.net, a, to(b), tc.fee, tc.fee, 0))
		if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, ErrReplacementUnderpriced)) {
			t.Errorf("fee %d: %v", tc.fee, err)
		}
	}
	// A free transaction is replaced only by one paying something.
	f.submit(ledger.NewTransfer(f.net, b, to(a), 1, 0, 0))
	if _, err := f.pool.Submit(ledger.NewTransfer(f.net, b, to(a), 2, 0, 0)); !errors.Is(err, ErrReplacementUnderpriced) {
		t.Errorf("free for free: %v", err)
	}
	f.submit(ledger.NewTransfer(f.net, b, to(a), 2, 1, 0))
}

func TestPolicyLimits(t *testing.T) {
	net := consensus.RegTest()
	c, err := chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: t.TempDir(), StateMachine: ledger.NewMachine(net)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := New(Config{Chain: c, StateNonce: stateNonce(c), MinFeeRate: 1, MaxPerSender: 2, MaxNonceGap: 5})
	fk, _ := ledger.FaucetKey(net)
	mk := mustKey(t)
	if _, err := miner.Generate(context.Background(), c, 1, mk, mk.PubKey().Address(), nil, nil); err != nil {
		t.Fatal(err)
	}
	size := ledger.NewTransfer(net, fk, keys.Address{1}, 1, 1, 0).EncodedSize()
	cases := []struct {
		name string
		tx   *wire.Tx
		want error
	}{
		{"below the minimum fee rate", ledger.NewTransfer(net, fk, keys.Address{1}, 1, uint64(size)-1, 0), ErrFeeTooLow},
		{"at the minimum", ledger.NewTransfer(net, fk, keys.Address{1}, 1, uint64(size), 0), nil},
		{"duplicate", ledger.NewTransfer(net, fk, keys.Address{1}, 1, uint64(size), 0), ErrAlreadyKnown},
		{"second", ledger.NewTransfer(net, fk, keys.Address{1}, 1, uint64(size), 1), nil},
		{"third for the sender", ledger.NewTransfer(net, fk, keys.Address{1}, 1, uint64(size), 2), ErrSenderLimit},
		{"gap too wide", ledger.NewTransfer(net, fk, keys.Address{1}, 1, uint64(size), 9), ErrNonceTooFarAhead},
		{"expired", func() *wire.Tx {
			tx := ledger.NewTransfer(net, fk, keys.Address{2}, 1, 1000, 0)
			tx.Expiry = c.Tip().Height
			tx.Sig = fk.Sign(tx.SigHash())
			return tx
		}(), consensus.ErrTxExpired},
	}
	for _, tc := range cases {
		if _, err := p.Submit(tc.tx); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestEvictionNeverStrands: when full, the victim is the lowest fee-rate
// sender tail, not a low-fee transaction with later ones behind it.
func TestEvictionNeverStrands(t *testing.T) {
	one := ledger.NewTransfer(consensus.RegTest(), mustKey(t), keys.Address{1}, 1, 1, 0).EncodedSize()
	f := newFixture(t, 4*one)
	k := f.fund(4)
	x0 := ledger.NewTransfer(f.net, k[0], to(k[3]), 1, 100, 0)
	x1 := ledger.NewTransfer(f.net, k[0], to(k[3]), 1, 900, 1)
	y0 := ledger.NewTransfer(f.net, k[1], to(k[3]), 1, 500, 0)
	y1 := ledger.NewTransfer(f.net, k[1], to(k[3]), 1, 500, 1)
	for _, tx := range []*wire.Tx{x0, x1, y0, y1} {
		f.submit(tx)
	}
	r := f.submit(ledger.NewTransfer(f.net, k[2], to(k[3]), 1, 600, 0))
	if len(r.Evicted) != 1 || r.Evicted[0] != y1.ID() {
		t.Fatalf("evicted %v, want y1 %s", r.Evicted, y1.ID())
	}
	if !f.pool.Has(x0.ID()) || !f.pool.Has(x1.ID()) || !f.pool.Has(y0.ID()) {
		t.Fatal("wrong victims")
	}
	if _, err := f.pool.Submit(ledger.NewTransfer(f.net, k[3], to(k[2]), 1, 450, 0)); !errors.Is(err, ErrPoolFull) {
		t.Fatalf("a lower fee rate than every tail: %v", err)
	}
}

func TestCandidatesOrder(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(4)
	a0 := ledger.NewTransfer(f.net, k[0], to(k[3]), 1, 100, 0)
	a1 := ledger.NewTransfer(f.net, k[0], to(k[3]), 1, 5000, 1)
	b0 := ledger.NewTransfer(f.net, k[1], to(k[3]), 1, 1000, 0)
	c0 := ledger.NewTransfer(f.net, k[2], to(k[3]), 1, 300, 0)
	c1 := ledger.NewTransfer(f.net, k[2], to(k[3]), 1, 200, 1)
	held := ledger.NewTransfer(f.net, k[2], to(k[3]), 1, 9999, 3)
	for _, tx := range []*wire.Tx{a1, a0, b0, c1, c0, held} {
		f.submit(tx)
	}
	want := []*wire.Tx{b0, c0, c1, a0, a1}
	got := f.pool.Candidates(0)
	if len(got) != len(want) {
		t.Fatalf("%d candidates, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID() != want[i].ID() {
			t.Fatalf("candidate %d: nonce %d fee %d, want nonce %d fee %d", i, got[i].Nonce, got[i].Fee, want[i].Nonce, want[i].Fee)
		}
	}
	if got := f.pool.Candidates(2 * b0.EncodedSize()); len(got) != 2 {
		t.Fatalf("byte limit: %d candidates", len(got))
	}
}

func TestExpiryHeightAndTTLOnSubmit(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	tx := ledger.NewTransfer(f.net, k[0], to(k[1]), 1, 10, 0)
	tx.Expiry = f.c.Tip().Height + 1
	tx.Sig = k[0].Sign(tx.SigHash())
	f.submit(tx)
	f.mineTxs(nil) // the block it could have gone in passes without it
	if f.pool.Has(tx.ID()) {
		t.Fatal("transaction past its expiry height stayed")
	}
	old := ledger.NewTransfer(f.net, k[0], to(k[1]), 1, 10, 0)
	f.submit(old)
	f.now = f.now.Add(2 * time.Hour)
	f.submit(ledger.NewTransfer(f.net, k[1], to(k[0]), 1, 10, 0))
	if f.pool.Has(old.ID()) || f.pool.Count() != 1 {
		t.Fatal("Submit did not sweep a transaction past its TTL")
	}
}

// TestBlockFromElsewhereReleasesHeld: a block with the sender's missing
// nonce (mined from another node's pool) releases the held transaction
// and removes the included one.
func TestBlockFromElsewhereReleasesHeld(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	tx0 := ledger.NewTransfer(f.net, a, to(b), 1, 10, 0)
	tx1 := ledger.NewTransfer(f.net, a, to(b), 1, 10, 1)
	f.submit(tx1)
	f.mineTxs([]*wire.Tx{tx0})
	if s := f.pool.Stats(); s.Executable != 1 || s.Held != 0 {
		t.Fatalf("held transaction not released: %+v", s)
	}
	if c := f.pool.Candidates(0); len(c) != 1 || c[0].ID() != tx1.ID() {
		t.Fatal("released transaction not a candidate")
	}
}

// TestReorgReaddsChainAndDropsReincluded: of a disconnected block's two
// transactions, the one the new branch also includes stays out, the other
// comes back pending.
func TestReorgReaddsChainAndDropsReincluded(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	other := f.copyChain()
	tx0 := ledger.NewTransfer(f.net, a, to(b), 1, 10, 0)
	tx1 := ledger.NewTransfer(f.net, a, to(b), 2, 10, 1)
	f.submit(tx0)
	f.submit(tx1)
	if blk := f.mineFromPool(); len(blk.Txs) != 2 || f.pool.Count() != 0 {
		t.Fatal("block did not take both, or the pool kept them")
	}
	hs, err := miner.Generate(context.Background(), other, 2, f.miner, f.miner.PubKey().Address(), func() []*wire.Tx { return []*wire.Tx{tx0} }, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		blk, _ := other.BlockByHash(h)
		if _, err := f.c.ProcessBlock(context.Background(), blk); err != nil {
			t.Fatal(err)
		}
	}
	if f.c.Tip().Hash != other.Tip().Hash {
		t.Fatal("no reorg")
	}
	if f.pool.Has(tx0.ID()) || !f.pool.Has(tx1.ID()) {
		t.Fatalf("after reorg: has tx0 %v, tx1 %v", f.pool.Has(tx0.ID()), f.pool.Has(tx1.ID()))
	}
	if s := f.pool.Stats(); s.Executable != 1 {
		t.Fatalf("re-added transaction not pending: %+v", s)
	}
}
