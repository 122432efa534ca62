package miner

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

func signedHeader(t testing.TB, bits uint32) (*wire.Header, *keys.PrivateKey) {
	t.Helper()
	key, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	h := &wire.Header{Version: 1, ChainID: 7, Height: 1, Timestamp: 1, Bits: bits}
	Sign(h, key)
	return h, key
}

func TestSolveMeetsTarget(t *testing.T) {
	for _, threads := range []int{1, 2, 4} {
		h, key := signedHeader(t, 0x1f00ffff) // ~2^16 expected hashes
		if !Solve(context.Background(), h, threads, nil) {
			t.Fatal("solve failed without cancellation")
		}
		limit, _ := consensus.CompactToBig(0x207fffff)
		if err := consensus.CheckProofOfWork(h.Hash(), h.Bits, limit); err != nil {
			t.Fatalf("%d threads: solved header fails PoW: %v", threads, err)
		}
		if !keys.Verify(key.PubKey(), h.SigningHash(), keys.Signature(h.MinerSig)) {
			t.Fatal("solving must not invalidate the signature")
		}
	}
}

func TestSolveStopsOnCancel(t *testing.T) {
	h, _ := signedHeader(t, 0x03000001) // practically impossible target
	ctx, cancel := context.WithCancel(context.Background())
	var hashes atomic.Uint64
	done := make(chan bool)
	go func() { done <- Solve(ctx, h, 2, &hashes) }()
	// Let it start working, then cancel; it must return promptly.
	for hashes.Load() == 0 {
		select {
		case <-done:
			t.Fatal("returned before cancellation")
		default:
		}
	}
	cancel()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("reported success on an impossible target")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Solve did not stop after cancellation")
	}
}

// BenchmarkHashRate reports nonces per second on one thread.
func BenchmarkHashRate(b *testing.B) {
	h, _ := signedHeader(b, 0x03000001)
	var hashes atomic.Uint64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Solve(ctx, h, 1, &hashes); close(done) }()
	start := time.Now()
	for b.Loop() {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	b.ReportMetric(float64(hashes.Load())/time.Since(start).Seconds(), "hashes/s")
}
