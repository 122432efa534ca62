package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// floodBlock is a valid, solved block on an unknown parent (so it passes
// every context-free check and lands in the orphan pool).
func floodBlock(h *harness, i int, txs ...*wire.Tx) *wire.Block {
	blk := h.template()
	blk.Txs = txs
	fixRoot(blk)
	blk.Header.PrevHash = wire.DoubleSHA256([]byte(fmt.Sprintf("missing parent %d", i)))
	h.resolve(blk)
	return blk
}

// TestOrphansResolveInReverseOrder delivers a branch newest first: every
// block waits in the pool, OrphanRoot names the one missing ancestor, and
// when it arrives the whole branch connects, in order, as on the miner.
func TestOrphansResolveInReverseOrder(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	user, _ := newKey(t)
	var blocks []*wire.Block
	for i := 0; i < 8; i++ {
		blocks = append(blocks, b.mine(signTx(b.c, user, txSet, uint64(i), 1, fmt.Sprintf("k%d=v%d", i, i))))
	}
	syncClocks(a, b)
	events := subscribe(a.c)
	for i := len(blocks) - 1; i > 0; i-- {
		res, err := a.c.ProcessBlock(context.Background(), blocks[i])
		if err != nil || !res.Orphan || res.Accepted {
			t.Fatalf("block %d out of order: res %+v err %v", i, res, err)
		}
		mustEqual(t, "orphan count", a.c.OrphanCount(), len(blocks)-i)
		if !a.c.HaveBlock(blocks[i].Hash()) {
			t.Fatal("HaveBlock false for a pooled orphan")
		}
	}
	for i := 1; i < len(blocks); i++ {
		mustEqual(t, fmt.Sprintf("orphan root of block %d", i), a.c.OrphanRoot(blocks[i].Hash()), blocks[0].Hash())
	}
	unknown := wire.DoubleSHA256([]byte("nobody has this"))
	mustEqual(t, "root of a block not in the pool", a.c.OrphanRoot(unknown), unknown)
	mustEqual(t, "tip before the parent arrives", a.c.Tip().Height, uint64(0))

	res, err := a.c.ProcessBlock(context.Background(), blocks[0])
	if err != nil || !res.MainTip {
		t.Fatalf("missing parent: %+v %v", res, err)
	}
	mustEqual(t, "tip after the parent arrived", a.c.Tip().Hash, blocks[len(blocks)-1].Hash())
	mustEqual(t, "orphans left", a.c.OrphanCount(), 0)
	var applied []*wire.Block
	for _, ev := range *events {
		if len(ev.Reverted) != 0 {
			t.Fatal("orphan resolution reverted blocks")
		}
		applied = append(applied, ev.Applied...)
	}
	mustHashes(t, "applied in chain order", applied, blocks)
	sameChain(t, "receiver vs miner", a.c, b.c)
}

// TestOrphanFloodBounded: 10×OrphanLimit valid blocks on unknown parents
// never grow the pool past OrphanLimit, leave the chain alone, and the
// node still resolves a real orphan afterwards.
func TestOrphanFloodBounded(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	limit := net.Metadata.OrphanLimit
	for i := 0; i < 10*limit; i++ {
		blk := floodBlock(b, i)
		res, err := a.c.ProcessBlockBytes(context.Background(), blk.Encode())
		if err != nil || !res.Orphan {
			t.Fatalf("flood block %d: %+v %v", i, res, err)
		}
		if n := a.c.OrphanCount(); n > limit || (i < limit && n != i+1) {
			t.Fatalf("after %d flood blocks the pool holds %d (limit %d)", i+1, n, limit)
		}
	}
	mustEqual(t, "pool full, not over", a.c.OrphanCount(), limit)
	mustEqual(t, "tip unchanged by the flood", a.c.Tip().Height, uint64(0))

	// An orphan that fails a context-free rule never enters the pool.
	bad := floodBlock(b, -1)
	bad.Header.MinerSig[5] ^= 1
	b.solveOnly(bad)
	if _, err := a.c.ProcessBlock(context.Background(), bad); !errors.Is(err, consensus.ErrBadMinerSig) {
		t.Fatalf("orphan with a bad signature: got %v", err)
	}
	if a.c.HaveBlock(bad.Hash()) {
		t.Fatal("invalid orphan pooled")
	}

	// A genuine out-of-order pair still resolves.
	p, c := b.mine(), b.mine()
	syncClocks(a, b)
	if res, err := a.c.ProcessBlock(context.Background(), c); err != nil || !res.Orphan {
		t.Fatalf("real orphan: %+v %v", res, err)
	}
	feed(t, a.c, p)
	mustEqual(t, "tip after the real parent", a.c.Tip().Hash, c.Hash())
}

// TestOrphanPoolByteBound: with large blocks the pool is bounded by bytes
// (16 maximum-size blocks), long before the count limit.
func TestOrphanPoolByteBound(t *testing.T) {
	net := consensus.RegTest()
	net.Metadata.MaxBlockBytes = 4096
	a, b := newHarness(t, net), newHarness(t, net)
	user, _ := newKey(t)
	payload := "k=" + strings.Repeat("x", 3000)
	var size int
	for i := 0; i < 100; i++ {
		blk := floodBlock(b, i, signTx(b.c, user, txSet, uint64(i), 0, payload))
		size = len(blk.Encode())
		if res, err := a.c.ProcessBlock(context.Background(), blk); err != nil || !res.Orphan {
			t.Fatalf("orphan %d: %+v %v", i, res, err)
		}
		a.c.mu.RLock()
		bytes, max := a.c.orphans.bytes, a.c.orphans.maxBytes
		a.c.mu.RUnlock()
		if bytes > max {
			t.Fatalf("pool holds %d bytes, limit %d", bytes, max)
		}
	}
	if want := 16 * 4096 / size; a.c.OrphanCount() != want {
		t.Fatalf("pool holds %d blocks of %d bytes, want %d", a.c.OrphanCount(), size, want)
	}
}

// TestOrphansExpire: orphans older than the TTL (by the chain's clock) are
// dropped when the next one arrives.
func TestOrphansExpire(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	for i := 0; i < 5; i++ {
		feed(t, a.c, floodBlock(b, i))
	}
	mustEqual(t, "orphans", a.c.OrphanCount(), 5)
	a.clock = a.clock.Add(orphanTTL - time.Second)
	feed(t, a.c, floodBlock(b, 5))
	mustEqual(t, "orphans before the TTL", a.c.OrphanCount(), 6)
	a.clock = a.clock.Add(2 * time.Second)
	feed(t, a.c, floodBlock(b, 6))
	mustEqual(t, "orphans after the first five expired", a.c.OrphanCount(), 2)
}

// TestOrphanPoolZeroLimit: a network configured with no orphan pool must
// not hang the node on the first orphan.
func TestOrphanPoolZeroLimit(t *testing.T) {
	net := consensus.RegTest()
	net.Metadata.OrphanLimit = 0
	a, b := newHarness(t, net), newHarness(t, net)
	blk := floodBlock(b, 0)
	// First the pool alone, so a regression fails this test instead of
	// hanging the package behind a held chain lock.
	pool := newOrphanPool(0, 1<<20)
	returned := make(chan struct{})
	go func() {
		pool.add(blk, len(blk.Encode()), time.Now())
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("orphanPool.add with maxCount 0 did not return")
	}
	mustEqual(t, "pool with limit 0", pool.len(), 0)
	res, err := a.c.ProcessBlock(context.Background(), blk)
	if err != nil || !res.Orphan {
		t.Fatalf("orphan with OrphanLimit 0: %+v %v", res, err)
	}
	mustEqual(t, "chain's pool with limit 0", a.c.OrphanCount(), 0)
}
