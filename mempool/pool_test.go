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

type fixture struct {
	t     testing.TB
	net   *consensus.Params
	c     *chain.Chain
	pool  *Pool
	miner *keys.PrivateKey
	now   time.Time
}

func stateNonce(c *chain.Chain) func(keys.PubKey) (uint64, error) {
	return func(pk keys.PubKey) (uint64, error) {
		var n uint64
		err := c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
			acct, err := ledger.GetAccount(v, pk.Address())
			n = acct.Nonce
			return err
		})
		return n, err
	}
}

// copyChain opens a second chain with the fixture's history, to build a
// competing branch on; it is closed with the test.
func (f *fixture) copyChain() *chain.Chain {
	f.t.Helper()
	other, err := chain.Open(chain.Config{Net: f.net, Kind: consensus.AuctionChain, Dir: f.t.TempDir(), StateMachine: ledger.NewMachine(f.net)})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { other.Close() })
	for h := uint64(1); h <= f.c.Tip().Height; h++ {
		blk, _ := f.c.BlockByHeight(h)
		if _, err := other.ProcessBlock(context.Background(), blk); err != nil {
			f.t.Fatal(err)
		}
	}
	return other
}

func newFixture(t testing.TB, maxBytes int) *fixture {
	t.Helper()
	return newFixtureWith(t, maxBytes, nil)
}

// newFixtureWith is newFixture with the chain's signature cache (nil: the
// chain's own).
func newFixtureWith(t testing.TB, maxBytes int, sigs *keys.SigCache) *fixture {
	t.Helper()
	net := consensus.RegTest()
	c, err := chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: t.TempDir(), StateMachine: ledger.NewMachine(net), SigCache: sigs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := &fixture{t: t, net: net, c: c, now: time.Now()}
	f.miner, _ = keys.GenerateKey()
	f.pool = New(Config{Chain: c, StateNonce: stateNonce(c), MaxBytes: maxBytes, Now: func() time.Time { return f.now }})
	return f
}

// fund gives each key coins in one mined block and returns them.
func (f *fixture) fund(n int) []*keys.PrivateKey {
	f.t.Helper()
	faucet, _ := ledger.FaucetKey(f.net)
	var ks []*keys.PrivateKey
	var txs []*wire.Tx
	for i := 0; i < n; i++ {
		k, _ := keys.GenerateKey()
		ks = append(ks, k)
		txs = append(txs, ledger.NewTransfer(f.net, faucet, k.PubKey().Address(), 1000*ledger.Coin, 0, uint64(i)))
	}
	f.mineTxs(txs)
	return ks
}

func (f *fixture) mineTxs(txs []*wire.Tx) *wire.Block {
	f.t.Helper()
	hs, err := miner.Generate(context.Background(), f.c, 1, f.miner, f.miner.PubKey().Address(), func() []*wire.Tx { return txs }, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := f.c.BlockByHash(hs[0])
	return b
}

func (f *fixture) mineFromPool() *wire.Block { return f.mineTxs(f.pool.Candidates(0)) }

func to(k *keys.PrivateKey) keys.Address { return k.PubKey().Address() }

func TestNonceGapHeldThenReleased(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	tx2 := ledger.NewTransfer(f.net, a, to(b), 1, 100, 2)
	tx1 := ledger.NewTransfer(f.net, a, to(b), 1, 100, 1)
	tx0 := ledger.NewTransfer(f.net, a, to(b), 1, 100, 0)
	for _, tx := range []*wire.Tx{tx2, tx1} {
		if err := f.pool.Add(tx); err != nil {
			t.Fatalf("gapped tx refused: %v", err)
		}
	}
	if s := f.pool.Stats(); s.Held != 2 || s.Executable != 0 {
		t.Fatalf("before the gap fills: %+v", s)
	}
	if len(f.pool.Candidates(0)) != 0 {
		t.Fatal("held transactions offered to a block")
	}
	if err := f.pool.Add(tx0); err != nil {
		t.Fatal(err)
	}
	cands := f.pool.Candidates(0)
	if len(cands) != 3 || cands[0].Nonce != 0 || cands[2].Nonce != 2 {
		t.Fatalf("after the gap fills: %d candidates", len(cands))
	}
	if n, _ := f.pool.PendingNonce(a.PubKey()); n != 3 {
		t.Fatalf("pending nonce %d, want 3", n)
	}
	blk := f.mineFromPool()
	if len(blk.Txs) != 3 {
		t.Fatalf("block took %d txs", len(blk.Txs))
	}
	if s := f.pool.Stats(); s.Count != 0 {
		t.Fatalf("connected txs stayed in the pool: %+v", s)
	}
}

func TestReplacementAndDuplicates(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	orig := ledger.NewTransfer(f.net, a, to(b), 5, 1000, 0)
	if err := f.pool.Add(orig); err != nil {
		t.Fatal(err)
	}
	if err := f.pool.Add(orig); !errors.Is(err, ErrAlreadyKnown) {
		t.Fatalf("duplicate: %v", err)
	}
	cheap := ledger.NewTransfer(f.net, a, to(b), 6, 1050, 0)
	if err := f.pool.Add(cheap); !errors.Is(err, ErrReplacementUnderpriced) {
		t.Fatalf("underpriced replacement: %v", err)
	}
	better := ledger.NewTransfer(f.net, a, to(b), 6, 2000, 0)
	if err := f.pool.Add(better); err != nil {
		t.Fatalf("replacement refused: %v", err)
	}
	if f.pool.Has(orig.ID()) || !f.pool.Has(better.ID()) || f.pool.Stats().Count != 1 {
		t.Fatal("replacement did not take the original's place")
	}
}

func TestRejectsInvalid(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	f.mineTxs([]*wire.Tx{ledger.NewTransfer(f.net, a, to(b), 1, 0, 0)})
	cases := []struct {
		name string
		tx   *wire.Tx
		want error
	}{
		{"reused nonce", ledger.NewTransfer(f.net, a, to(b), 1, 10, 0), consensus.ErrBadNonce},
		{"insufficient funds", ledger.NewTransfer(f.net, a, to(b), 5000*ledger.Coin, 10, 1), ledger.ErrInsufficientFunds},
		{"nonce far ahead", ledger.NewTransfer(f.net, a, to(b), 1, 10, 500), ErrNonceTooFarAhead},
	}
	for _, tc := range cases {
		if err := f.pool.Add(tc.tx); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestEvictsLowestFeeRateWhenFull(t *testing.T) {
	one := ledger.NewTransfer(consensus.RegTest(), mustKey(t), keys.Address{1}, 1, 1, 0).EncodedSize()
	f := newFixture(t, 3*one)
	k := f.fund(4)
	low := ledger.NewTransfer(f.net, k[0], to(k[3]), 1, 100, 0)
	mid := ledger.NewTransfer(f.net, k[1], to(k[3]), 1, 500, 0)
	high := ledger.NewTransfer(f.net, k[2], to(k[3]), 1, 900, 0)
	for _, tx := range []*wire.Tx{low, mid, high} {
		if err := f.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	cheaper := ledger.NewTransfer(f.net, k[3], to(k[0]), 1, 50, 0)
	if err := f.pool.Add(cheaper); !errors.Is(err, ErrPoolFull) {
		t.Fatalf("lower fee into a full pool: %v", err)
	}
	top := ledger.NewTransfer(f.net, k[3], to(k[0]), 1, 1000, 0)
	if err := f.pool.Add(top); err != nil {
		t.Fatalf("higher fee into a full pool: %v", err)
	}
	if f.pool.Has(low.ID()) || !f.pool.Has(mid.ID()) || !f.pool.Has(top.ID()) {
		t.Fatal("the lowest fee rate was not the one evicted")
	}
	cands := f.pool.Candidates(0)
	if cands[0].ID() != top.ID() || cands[len(cands)-1].ID() != mid.ID() {
		t.Fatal("candidates not ordered by fee rate")
	}
}

func mustKey(t testing.TB) *keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestReorgReaddsTransactions(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	a, b := k[0], k[1]
	// A second chain instance with the same history builds the heavier branch.
	other := f.copyChain()
	tx := ledger.NewTransfer(f.net, a, to(b), 7, 100, 0)
	if err := f.pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	if blk := f.mineFromPool(); len(blk.Txs) != 1 {
		t.Fatal("tx not mined")
	}
	if f.pool.Has(tx.ID()) {
		t.Fatal("mined tx still pending")
	}
	hs, err := miner.Generate(context.Background(), other, 2, f.miner, f.miner.PubKey().Address(), nil, nil)
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
	if !f.pool.Has(tx.ID()) {
		t.Fatal("transaction of the disconnected block was not re-added")
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, 0)
	k := f.fund(2)
	tx := ledger.NewTransfer(f.net, k[0], to(k[1]), 1, 10, 0)
	if err := f.pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(2 * time.Hour)
	if n := f.pool.Expire(); n != 1 || f.pool.Has(tx.ID()) {
		t.Fatalf("expired %d, still has it: %v", n, f.pool.Has(tx.ID()))
	}
}

// BenchmarkMempoolAccept measures full acceptance (context-free checks,
// signature, nonce sequencing, state check on the tip) of transfers from
// 200 senders × 50 nonces arriving in batches of 256 (SubmitBatch), with a
// signature cache that stores nothing, so every signature is verified as
// for transactions the node sees first. x_verify is tx/s over the all-core
// batch-verify rate measured between the batches of the same run (target
// ≥ 0.7 at every core count).
func BenchmarkMempoolAccept(b *testing.B) {
	f := newFixtureWith(b, 0, keys.NewSigCache(0))
	ks := f.fund(200)
	var txs []*wire.Tx
	for n := uint64(0); n < 50; n++ {
		for _, k := range ks {
			txs = append(txs, ledger.NewTransfer(f.net, k, keys.Address{9}, 1, 100, n))
		}
	}
	const batch = 256
	meter := keys.NewVerifyMeter(batch)
	i, accepted := 0, 0
	for b.Loop() {
		if i == len(txs) {
			b.StopTimer()
			f.pool = New(Config{Chain: f.c, StateNonce: stateNonce(f.c), Now: time.Now})
			i = 0
			b.StartTimer()
		}
		next := txs[i:min(i+batch, len(txs))]
		if _, errs := f.pool.SubmitBatch(next); errors.Join(errs...) != nil {
			b.Fatal(errors.Join(errs...))
		}
		i += len(next)
		accepted += len(next)
		b.StopTimer()
		meter.Sample()
		b.StartTimer()
	}
	rate := float64(accepted) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "tx/s")
	b.ReportMetric(rate/meter.Rate(), "x_verify")
}

// BenchmarkMempoolAcceptOne is MempoolAccept with one Submit per
// transaction from one goroutine (an RPC client's path): signature and
// state check in turn, on one core.
func BenchmarkMempoolAcceptOne(b *testing.B) {
	f := newFixtureWith(b, 0, keys.NewSigCache(0))
	ks := f.fund(200)
	var txs []*wire.Tx
	for n := uint64(0); n < 50; n++ {
		for _, k := range ks {
			txs = append(txs, ledger.NewTransfer(f.net, k, keys.Address{9}, 1, 100, n))
		}
	}
	i := 0
	for b.Loop() {
		if i == len(txs) {
			b.StopTimer()
			f.pool = New(Config{Chain: f.c, StateNonce: stateNonce(f.c), Now: time.Now})
			i = 0
			b.StartTimer()
		}
		if err := f.pool.Add(txs[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
