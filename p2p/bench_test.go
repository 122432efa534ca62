package p2p

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// line starts n nodes connected in a line.
func line(tb testing.TB, n int) []*testNode {
	nodes := make([]*testNode, n)
	for i := range nodes {
		nodes[i] = newTestNode(tb)
		if i > 0 {
			nodes[i].connect(nodes[i-1])
		}
	}
	return nodes
}

// arrivals reports (hash, time) for every block a chain connects.
type arrival struct {
	hash wire.Hash
	at   time.Time
}

func watchArrivals(c *chain.Chain) chan arrival {
	ch := make(chan arrival, 4096)
	c.Subscribe(func(ev chain.Event) {
		now := time.Now()
		for _, b := range ev.Applied {
			select {
			case ch <- arrival{b.Hash(), now}:
			default:
			}
		}
	})
	return ch
}

// nextBlock builds and solves a block on c's tip without connecting it.
func nextBlock(tb testing.TB, c *chain.Chain, key *keys.PrivateKey) *wire.Block {
	tmpl, err := c.NewTemplate(chain.TemplateRequest{Reward: key.PubKey().Address(), MinerKey: key.PubKey()})
	if err != nil {
		tb.Fatal(err)
	}
	miner.Sign(&tmpl.Block.Header, key)
	if !miner.Solve(context.Background(), &tmpl.Block.Header, 1, nil) {
		tb.Fatal("not solved")
	}
	return tmpl.Block
}

// BenchmarkBlockPropagation: four nodes in a line; the time from
// BroadcastBlock on the first until the block is the tip on all others.
func BenchmarkBlockPropagation(b *testing.B) {
	k := consensus.AuctionChain
	nodes := line(b, 4)
	src := nodes[0]
	watch := make([]chan arrival, len(nodes)-1)
	for i, n := range nodes[1:] {
		watch[i] = watchArrivals(n.chain(k))
	}
	// propagate sends one block and returns when every other node has it.
	propagate := func() time.Duration {
		blk := nextBlock(b, src.chain(k), src.key)
		hash := blk.Hash()
		start := time.Now()
		if err := src.p2p.BroadcastBlock(k, blk); err != nil {
			b.Fatal(err)
		}
		if _, err := src.chain(k).ProcessBlock(context.Background(), blk); err != nil {
			b.Fatal(err)
		}
		var last time.Time
		for _, w := range watch {
			timeout := time.After(30 * time.Second)
			for got := false; !got; {
				select {
				case a := <-w:
					if a.hash == hash {
						got = true
						if a.at.After(last) {
							last = a.at
						}
					}
				case <-timeout:
					b.Fatal("block did not reach every node")
				}
			}
		}
		return last.Sub(start)
	}
	// Warm up until gossip, not the periodic sync, carries blocks end to end.
	for i := 0; propagate() > 500*time.Millisecond; i++ {
		if i == 30 {
			b.Fatal("gossip mesh did not form")
		}
	}
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		lat = append(lat, propagate())
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
	b.ReportMetric(ms(lat[len(lat)*95/100]), "p95_ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
}

// BenchmarkTxGossipThroughput: three nodes in a line; transactions
// broadcast from the first, counted when the last one's pool has them.
func BenchmarkTxGossipThroughput(b *testing.B) {
	k := consensus.AuctionChain
	nodes := line(b, 3)
	src, dst := nodes[0], nodes[2]
	warmUp(b, src, dst, k)
	key, _ := keys.GenerateKey()
	txs := make([]*wire.Tx, b.N)
	for i := range txs {
		txs[i] = signedTx(src.chain(k), key, uint64(i), fmt.Sprintf("tx %d", i))
	}
	pool := dst.pools[k]
	base := pool.len()
	const window = 4000 // stay within the outbox
	b.ResetTimer()
	start := time.Now()
	for i, tx := range txs {
		if i-(pool.len()-base) > window {
			pool.wait(b, 30*time.Second, "the window to drain", func() bool { return i-(pool.len()-base) <= window/2 })
		}
		if err := src.p2p.BroadcastTx(k, tx); err != nil {
			b.Fatal(err)
		}
	}
	pool.wait(b, 60*time.Second, "every transaction", func() bool { return pool.len()-base >= b.N })
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
}

// BenchmarkSync10kBlocks: a fresh node syncs a 10,000-block regtest chain
// from one peer, then fetches and checks every header again (headers/s;
// their signatures are in the signature cache by then). cpu_s/sync is the
// CPU time of the sync (serving peer included). The chain is built once
// per benchmark run.
func BenchmarkSync10kBlocks(b *testing.B) {
	const blocks = 10_000
	k := consensus.AuctionChain
	src := newTestNode(b)
	src.mine(k, blocks, nil)
	tip := src.chain(k).Tip()
	b.ResetTimer()
	var headerSecs, blockSecs, cpu float64
	for range b.N {
		// Full sync, headers then blocks, into a fresh node.
		d := newTestNode(b)
		start, cpu0 := time.Now(), cpuSeconds(b)
		d.connect(src)
		waitTip(b, d.chain(k), tip.Hash, 10*time.Minute)
		blockSecs += time.Since(start).Seconds()
		cpu += cpuSeconds(b) - cpu0
		// The header phase alone, again from genesis: fetch and check
		// every header as sync does.
		cn := d.p2p.chains[1]
		genesis, _ := d.chain(k).HashAtHeight(0)
		locator := []wire.Hash{genesis}
		var last *wire.Header
		start = time.Now()
		for n := 0; n < blocks; {
			resp, err := cn.request(context.Background(), src.p2p.ID(), &GetHeaders{Locator: locator, Max: MaxHeadersPerMsg})
			if err != nil {
				b.Fatal(err)
			}
			hs := resp.(*Headers).Headers
			if err := cn.checkHeaders(hs, last); err != nil {
				b.Fatal(err)
			}
			n += len(hs)
			last = &hs[len(hs)-1]
			locator = []wire.Hash{last.Hash()}
		}
		headerSecs += time.Since(start).Seconds()
	}
	b.StopTimer()
	b.ReportMetric(float64(blocks*b.N)/headerSecs, "headers/s")
	b.ReportMetric(float64(blocks*b.N)/blockSecs, "blocks/s")
	b.ReportMetric(cpu/float64(b.N), "cpu_s/sync")
}

// BenchmarkInitialSync25kBothChains: a fresh node, 25,000 empty blocks
// behind on both chains, catches up from one peer; both chains sync at
// once, as a node restarting after a crash does. Reports each chain's
// blocks/s (its blocks over the time both took), the seconds until both
// tips were reached, and the CPU seconds the process used meanwhile
// (serving peer included), which on a shared machine says more than the
// wall clock. The chains are built once per benchmark run.
func BenchmarkInitialSync25kBothChains(b *testing.B) {
	const blocks = 25_000
	src := newTestNode(b)
	tips := map[consensus.ChainKind]wire.Hash{}
	for _, k := range kinds {
		src.mine(k, blocks, nil)
		tips[k] = src.chain(k).Tip().Hash
	}
	b.ResetTimer()
	stop := syncProfile(b)
	defer stop()
	var secs, cpu float64
	for range b.N {
		d := newTestNode(b)
		start, cpu0 := time.Now(), cpuSeconds(b)
		d.connect(src)
		done := make(chan struct{}, len(kinds))
		for _, k := range kinds {
			go func() {
				waitTip(b, d.chain(k), tips[k], 10*time.Minute)
				done <- struct{}{}
			}()
		}
		for range kinds {
			<-done
		}
		secs += time.Since(start).Seconds()
		cpu += cpuSeconds(b) - cpu0
	}
	b.StopTimer()
	b.ReportMetric(float64(blocks*b.N)/secs, "blocks/s/chain")
	b.ReportMetric(secs/float64(b.N), "s/catch-up")
	b.ReportMetric(cpu/float64(b.N), "cpu_s/catch-up")
}

// syncProfile starts a CPU profile of the catch-up alone (not of building
// the source chains, which -cpuprofile would include) when
// THINGCHAIN_SYNC_CPUPROFILE names a file; it returns the function that
// stops it.
func syncProfile(tb testing.TB) (stop func()) {
	path := os.Getenv("THINGCHAIN_SYNC_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		tb.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// cpuSeconds is the user and system CPU time this process has used.
func cpuSeconds(tb testing.TB) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
