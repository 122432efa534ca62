package auction

import (
	"context"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// benchScene is a source chain holding a prefix of blocks and one block to
// measure, replayed into fresh nodes.
type benchScene struct {
	net    *consensus.Params
	meta   *fakeMeta
	prefix []*wire.Block
	target *wire.Block
	store  chain.StoreOptions
}

// replay imports the prefix into a fresh node (untimed) and then the
// target block (timed), b.N times.
//
// It samples the all-core verify rate between iterations and returns it.
func (s *benchScene) replay(b *testing.B) float64 {
	meter := keys.NewVerifyMeter(1000)
	for b.Loop() {
		b.StopTimer()
		n := &tnode{t: b, net: s.net, meta: s.meta, dir: b.TempDir(), store: s.store}
		n.open()
		feed(b, n.c, s.prefix...)
		b.StartTimer()
		if _, err := n.c.ProcessBlock(context.Background(), s.target); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		n.c.Close()
		meter.Sample()
		b.StartTimer()
	}
	return meter.Rate()
}

// benchWorld builds a funded source world with bidders and devices.
func benchWorld(b *testing.B, net *consensus.Params, store chain.StoreOptions, bidders, devices int) (*world, []*keys.PrivateKey, []*keys.PrivateKey) {
	fm := newFakeMeta()
	w := &world{fm: fm, faucet: faucet(b, net), addrs: map[keys.Address]bool{}}
	w.tnode = &tnode{t: b, net: net, meta: fm, dir: b.TempDir(), store: store, miner: mustKey(b)}
	w.open()
	b.Cleanup(func() { w.c.Close() })
	w.metaMin = keys.Address{0xee}
	w.terms = Terms{ReservePerPoint: 10, PointsPerPeriod: 100, AccessPeriodSeconds: 60}
	fm.grow(3, w.metaMin)
	users := w.users(bidders, 1_000_000_000)
	var devs []*keys.PrivateKey
	for i := 0; i < devices; i++ {
		d := mustKey(b)
		fm.devices[d.PubKey()] = []devState{{from: 1, info: DeviceInfo{Owner: keys.Address{byte(i)}, Auctionable: true, Terms: w.terms}, ok: true}}
		devs = append(devs, d)
	}
	return w, users, devs
}

func (w *world) blocks(from uint64) []*wire.Block {
	var out []*wire.Block
	for h := from; h <= w.c.Tip().Height; h++ {
		blk, err := w.c.BlockByHeight(h)
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, blk)
	}
	return out
}

// BenchmarkBatchBids100 imports (sanity with cold signature cache, then
// connect) one block of 40 commit transactions carrying 100 bids each,
// to 100 devices.
func BenchmarkBatchBids100(b *testing.B) {
	const txs, perTx = 40, 100
	net := consensus.RegTest()
	w, users, devs := benchWorld(b, net, chain.StoreOptions{MemTableSize: 256 << 20, BlockCacheSize: 32 << 20}, txs, perTx)
	var batch []*wire.Tx
	for _, u := range users {
		var bids []SealedBid
		for _, d := range devs {
			bids = append(bids, SealBid(u.PubKey().Address(), d.PubKey(), 0, 20, 2000, NewSalt()))
		}
		batch = append(batch, NewCommitTx(net, u, 0, 10, bids...))
	}
	target := w.mine(batch...)
	s := &benchScene{net: net, meta: w.fm, prefix: w.blocks(1)[:w.c.Tip().Height-1], target: target, store: w.store}
	verify := s.replay(b)
	b.ReportMetric(float64(txs*b.N)/b.Elapsed().Seconds(), "tx/s")
	bids := float64(txs*perTx*b.N) / b.Elapsed().Seconds()
	b.ReportMetric(bids, "bids/s")
	// Bids carry no signature of their own (one per batch transaction):
	// x_verify is bids per second over the all-core verify rate.
	b.ReportMetric(bids/verify, "x_verify")
}

// BenchmarkSettle10k connects the block at whose end 10,000 auctions
// (one revealed bid each, paid from the deposit) settle.
func BenchmarkSettle10k(b *testing.B) {
	const auctions, perTx = 10000, 100
	net := consensus.RegTest()
	store := chain.StoreOptions{MemTableSize: 512 << 20, BlockCacheSize: 32 << 20}
	w, users, devs := benchWorld(b, net, store, auctions/perTx, auctions)
	var commits, reveals []*wire.Tx
	for i, u := range users {
		var bids []SealedBid
		for _, d := range devs[i*perTx : (i+1)*perTx] {
			bids = append(bids, SealBid(u.PubKey().Address(), d.PubKey(), 0, 20, 2000, NewSalt()))
		}
		commits = append(commits, NewCommitTx(net, u, 0, 0, bids...))
		reveals = append(reveals, NewRevealTx(net, u, 1, 0, bids...))
	}
	open := w.mine(commits...)
	au := w.auction(AuctionID(devs[0].PubKey(), 0))
	w.mineTo(au.CommitEnd - 1)
	w.mine(reveals...)
	w.mineTo(au.CloseHeight - 1)
	target := w.mine()
	if a := w.auction(AuctionID(devs[auctions-1].PubKey(), 0)); a.Status != StatusPaid || a.OpenHeight != open.Header.Height {
		b.Fatalf("fixture did not settle: %+v", a)
	}
	var escrow uint64
	w.view(func(v *chain.View) (err error) { escrow, err = Escrow(v); return })
	if escrow != auctions*1000 {
		b.Fatalf("escrow %d", escrow)
	}
	s := &benchScene{net: net, meta: w.fm, prefix: w.blocks(1)[:target.Header.Height-1], target: target, store: store}
	verify := s.replay(b)
	rate := float64(auctions*b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "auctions/s")
	// The block has no transactions: x_verify is auctions settled per
	// second over the all-core verify rate, to compare across machines.
	b.ReportMetric(rate/verify, "x_verify")
}

var _ = ledger.Coin
