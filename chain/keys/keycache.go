package keys

import (
	"sync"
	"sync/atomic"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// KeyCacheConfig bounds a KeyCache. Zero fields take the defaults below.
type KeyCacheConfig struct {
	// MaxKeys is how many parsed keys (with their verification counts)
	// are kept; default 1,024 (about 200 bytes each).
	MaxKeys int
	// MaxTables is how many KeyTables are kept; default 16, i.e. at most
	// 16 × KeyTableBytes (about 58 MiB; a few MiB with the handful of
	// miners a network usually has).
	MaxTables int
	// BuildAfter is how many signatures a key must have had verified
	// before a table is built for it, unless Preferred says yes; default
	// 1,024. A build costs about as much as 300–400 plain verifications
	// (BenchmarkKeyTableBuild against BenchmarkKeyTableVerify's plain
	// rate), so a key must first have cost its sender more valid
	// signatures (each in a header with proof of work) than its table
	// costs us.
	BuildAfter int
	// Preferred, when set, names keys that get a table on their first
	// verified signature and whose tables are never evicted while it
	// still says yes: on permissioned networks, the admitted miners. It
	// must be cheap and safe for concurrent use.
	Preferred func(PubKey) bool
}

// Defaults of KeyCacheConfig.
const (
	DefaultKeyCacheKeys   = 1024
	DefaultKeyCacheTables = 16
	DefaultTableAfter     = 1024
)

// KeyCache verifies signatures of a small, recurring set of keys (block
// miners) fast: it keeps the keys it has seen sign validly in parsed form,
// so a key is not decompressed again for every header, and builds a
// KeyTable for each key that is Preferred or has had BuildAfter valid
// signatures. It gives the same answers as Verify.
//
// Bounds, so that a peer cannot make us build or keep unbounded state:
// a key enters the cache only after a valid signature by it (headers carry
// proof of work too, and a peer sending invalid ones is dropped); at most
// MaxKeys keys and MaxTables tables are kept. When full, a random key
// without a table is evicted for a new one, and a table that is not
// Preferred is evicted (at random) for a new one; Preferred tables are
// never evicted, and a key that is not Preferred never evicts one that is.
// Building is thus bounded to one table per BuildAfter valid signatures
// the peers have sent, and memory to MaxTables × KeyTableBytes.
//
// Safe for concurrent use.
type KeyCache struct {
	cfg       KeyCacheConfig
	tableBits int // keyCombBits; tests of the cache's bookkeeping use less

	mu      sync.RWMutex
	entries map[PubKey]*keyEntry
	tables  int // entries with a table or a build under way

	builds sync.WaitGroup // table builds under way (WaitBuilds)
}

type keyEntry struct {
	key      *secp256k1.PublicKey
	verified atomic.Int64
	table    atomic.Pointer[KeyTable]
	tabled   bool // a table is built or being built (guarded by KeyCache.mu)
}

// NewKeyCache returns an empty cache bounded by cfg.
func NewKeyCache(cfg KeyCacheConfig) *KeyCache {
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultKeyCacheKeys
	}
	if cfg.MaxTables <= 0 {
		cfg.MaxTables = DefaultKeyCacheTables
	}
	cfg.MaxTables = min(cfg.MaxTables, cfg.MaxKeys)
	if cfg.BuildAfter <= 0 {
		cfg.BuildAfter = DefaultTableAfter
	}
	return &KeyCache{cfg: cfg, tableBits: keyCombBits, entries: make(map[PubKey]*keyEntry)}
}

// Verify reports whether sig is a valid low-S signature of hash by pub,
// exactly as Verify does. err is non-nil (wrapping ErrPubKey) when pub is
// not a valid compressed key, in which case ok is false.
func (c *KeyCache) Verify(pub PubKey, hash [32]byte, sig Signature) (ok bool, err error) {
	c.mu.RLock()
	e := c.entries[pub]
	c.mu.RUnlock()
	if e == nil {
		key, err := pub.secp()
		if err != nil {
			return false, ErrPubKey
		}
		if !verifyParsed(key, pub, hash, sig) {
			return false, nil
		}
		c.add(pub, key)
		return true, nil
	}
	if t := e.table.Load(); t != nil {
		return t.Verify(hash, sig), nil
	}
	if !verifyParsed(e.key, pub, hash, sig) {
		return false, nil
	}
	if c.due(e.verified.Add(1), c.preferred(pub)) {
		c.maybeBuild(pub, e)
	}
	return true, nil
}

// due reports whether a key with n counted valid signatures should get a
// table now: at its first for a preferred key, at BuildAfter for others.
func (c *KeyCache) due(n int64, preferred bool) bool {
	return n >= int64(c.cfg.BuildAfter) || preferred && n >= 1
}

// VerifyCached is Verify consulting and filling sigs (which may be nil)
// as the package's VerifyCached does.
func (c *KeyCache) VerifyCached(sigs *SigCache, pub PubKey, hash [32]byte, sig Signature) (ok bool, err error) {
	if sigs != nil && sigs.Exists(hash, sig, pub) {
		return true, nil
	}
	if ok, err = c.Verify(pub, hash, sig); ok && sigs != nil {
		sigs.Add(hash, sig, pub)
	}
	return ok, err
}

// Table returns the table built for pub, if any (for tests and metrics).
func (c *KeyCache) Table(pub PubKey) *KeyTable {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e := c.entries[pub]; e != nil {
		return e.table.Load()
	}
	return nil
}

// Len returns how many keys and how many tables (built or being built) the
// cache holds.
func (c *KeyCache) Len() (keys, tables int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries), c.tables
}

func (c *KeyCache) preferred(pub PubKey) bool {
	return c.cfg.Preferred != nil && c.cfg.Preferred(pub)
}

// add records a key that has just signed validly.
func (c *KeyCache) add(pub PubKey, key *secp256k1.PublicKey) {
	pref := c.preferred(pub)
	c.mu.Lock()
	e := c.entries[pub]
	if e == nil {
		if len(c.entries) >= c.cfg.MaxKeys {
			for victim, ve := range c.entries { // random start: Go map order
				if !ve.tabled {
					delete(c.entries, victim)
					break
				}
			}
		}
		if len(c.entries) >= c.cfg.MaxKeys {
			c.mu.Unlock()
			return // every key has a table: MaxTables == MaxKeys
		}
		e = &keyEntry{key: key}
		c.entries[pub] = e
	}
	c.mu.Unlock()
	if c.due(e.verified.Add(1), pref) {
		c.maybeBuild(pub, e)
	}
}

// maybeBuild starts building e's table unless it is built or being
// built or the table budget is spent on tables that may not be evicted
// for it. The build runs on a goroutine of its own (it takes tens of
// milliseconds, seconds under the race detector), so no caller waits for
// it: verifications go on the plain way until the table is stored.
func (c *KeyCache) maybeBuild(pub PubKey, e *keyEntry) {
	pref := c.preferred(pub)
	c.mu.Lock()
	if e.tabled || c.entries[pub] != e {
		c.mu.Unlock()
		return
	}
	if c.tables >= c.cfg.MaxTables && !c.evictTable(pub) {
		c.mu.Unlock()
		// Ask again after another BuildAfter signatures (a preferred key
		// too, so that more preferred keys than MaxTables do not scan the
		// cache on every signature).
		if pref {
			e.verified.Store(-int64(c.cfg.BuildAfter))
		} else {
			e.verified.Store(0)
		}
		return
	}
	e.tabled = true
	c.tables++
	c.mu.Unlock()
	c.builds.Go(func() {
		var q secp256k1.JacobianPoint
		e.key.AsJacobian(&q)
		e.table.Store(newKeyTable(pub, &q, c.tableBits))
	})
}

// WaitBuilds waits until every table build started so far has stored its
// table. A node need not call it (builds end on their own); tests and
// benchmarks do, to look at a table right after the signature that
// asked for it.
func (c *KeyCache) WaitBuilds() { c.builds.Wait() }

// evictTable drops one table that is not Preferred, chosen at random, to
// make room for pub's, and reports whether it did. Called with c.mu held.
func (c *KeyCache) evictTable(pub PubKey) bool {
	for victim, ve := range c.entries {
		if victim == pub || !ve.tabled || ve.table.Load() == nil || c.preferred(victim) {
			continue // a table being built is not evicted
		}
		// The entry goes with its table, so a goroutine still holding it
		// cannot store a table the count no longer includes.
		delete(c.entries, victim)
		c.tables--
		return true
	}
	return false
}
