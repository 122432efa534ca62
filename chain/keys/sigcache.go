package keys

import (
	"crypto/sha256"
	"sync"
)

// SigCache remembers (hash, signature, pubkey) triples that have already been
// verified, so a transaction checked on entry to the mempool is not checked
// again when it arrives in a block. Only valid triples may be added: the
// cache is trusted blindly by VerifyCached, so callers add after a successful
// Verify (VerifyCached does this for you).
//
// Entries are keyed by SHA-256 of the triple, which makes the key fixed-size
// and means an attacker cannot find a colliding triple to smuggle an invalid
// signature in. When full, a random entry is evicted: an attacker who knows
// the eviction order could otherwise flush specific entries to force
// re-verification of a block's signatures.
type SigCache struct {
	mu         sync.RWMutex
	entries    map[[32]byte]struct{}
	maxEntries int
}

// NewSigCache returns a cache holding at most maxEntries triples. A
// maxEntries of zero or less gives a cache that stores nothing.
func NewSigCache(maxEntries int) *SigCache {
	if maxEntries < 0 {
		maxEntries = 0
	}
	return &SigCache{
		entries:    make(map[[32]byte]struct{}, min(maxEntries, 1<<16)),
		maxEntries: maxEntries,
	}
}

func sigCacheKey(sigHash [32]byte, sig Signature, pub PubKey) [32]byte {
	var buf [32 + SignatureSize + PubKeySize]byte
	copy(buf[:32], sigHash[:])
	copy(buf[32:], sig[:])
	copy(buf[32+SignatureSize:], pub[:])
	return sha256.Sum256(buf[:])
}

// Exists reports whether the triple was previously added.
func (c *SigCache) Exists(sigHash [32]byte, sig Signature, pub PubKey) bool {
	k := sigCacheKey(sigHash, sig, pub)
	c.mu.RLock()
	_, ok := c.entries[k]
	c.mu.RUnlock()
	return ok
}

// Add records a triple the caller has verified as valid.
func (c *SigCache) Add(sigHash [32]byte, sig Signature, pub PubKey) {
	if c.maxEntries <= 0 {
		return
	}
	k := sigCacheKey(sigHash, sig, pub)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; ok {
		return
	}
	if len(c.entries) >= c.maxEntries {
		// Go randomises map iteration start, which gives the random eviction
		// we want without a separate RNG.
		for victim := range c.entries {
			delete(c.entries, victim)
			break
		}
	}
	c.entries[k] = struct{}{}
}

// Len returns the number of cached triples.
func (c *SigCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// VerifyCached verifies sig, consulting cache first and adding the triple
// when it verifies. cache may be nil.
func VerifyCached(cache *SigCache, pub PubKey, hash [32]byte, sig Signature) bool {
	if cache != nil && cache.Exists(hash, sig, pub) {
		return true
	}
	if !Verify(pub, hash, sig) {
		return false
	}
	if cache != nil {
		cache.Add(hash, sig, pub)
	}
	return true
}
