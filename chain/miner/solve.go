package miner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// checkEvery is how many nonces a thread tries between looks at its
// cancellation signal: small enough to stop within a millisecond, large
// enough not to matter for the hash rate.
const checkEvery = 1 << 12

// Sign fills in MinerKey and MinerSig. The signature covers every field
// except the nonce, so it is made once per template, not per nonce.
func Sign(h *wire.Header, key *keys.PrivateKey) {
	h.MinerKey = key.PubKey()
	h.MinerSig = key.Sign(h.SigningHash())
}

// Solve grinds h.Nonce on threads goroutines until the header's hash meets
// its target, and reports whether it did before ctx ended. h must already
// be signed. hashes counts the attempts (for hash-rate reporting); it may
// be nil.
func Solve(ctx context.Context, h *wire.Header, threads int, hashes *atomic.Uint64) bool {
	target, ok := consensus.CompactToBig(h.Bits)
	if !ok {
		return false
	}
	var targetBytes [32]byte
	target.FillBytes(targetBytes[:])
	threads = max(threads, 1)
	var found atomic.Bool
	var winner atomic.Uint64
	var wg sync.WaitGroup
	start := h.Nonce
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(offset uint64) {
			defer wg.Done()
			buf := h.Encode()
			nonceAt := len(buf) - 8
			for nonce := start + offset; ; nonce += uint64(threads) {
				if (nonce-start)%checkEvery < uint64(threads) {
					if found.Load() || ctx.Err() != nil {
						return
					}
					if hashes != nil {
						hashes.Add(checkEvery / uint64(threads))
					}
				}
				binary.LittleEndian.PutUint64(buf[nonceAt:], nonce)
				first := sha256.Sum256(buf)
				sum := sha256.Sum256(first[:])
				if leq(&sum, &targetBytes) && found.CompareAndSwap(false, true) {
					winner.Store(nonce)
					return
				}
			}
		}(uint64(t))
	}
	wg.Wait()
	if !found.Load() {
		return false
	}
	h.Nonce = winner.Load()
	return true
}

// leq compares two big-endian 256-bit numbers.
func leq(a, b *[32]byte) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return true
}

// ExpectedHashes is the mean number of attempts to solve at bits.
func ExpectedHashes(bits uint32) *big.Int { return consensus.CalcWork(bits) }
