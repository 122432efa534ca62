package keys

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
)

type signed struct {
	pub PubKey
	h   [32]byte
	sig Signature
}

func signN(t testing.TB, k *PrivateKey, n int) []signed {
	t.Helper()
	out := make([]signed, n)
	for i := range out {
		h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(k.PubKey().String()), uint64(i)))
		out[i] = signed{k.PubKey(), h, k.Sign(h)}
	}
	return out
}

// newSmallKeyCache is NewKeyCache with 4-bit key tables (16 times faster
// to build than the real ones), for tests of the cache's bookkeeping; the
// verifier with the real shape is TestKeyTableAgreesWithVerify's.
func newSmallKeyCache(cfg KeyCacheConfig) *KeyCache {
	c := NewKeyCache(cfg)
	c.tableBits = 4
	return c
}

// mustVerify verifies through c and waits for any table build the
// signature started, so the test can look at the tables.
func mustVerify(t *testing.T, c *KeyCache, s signed, want bool) {
	t.Helper()
	ok, err := c.Verify(s.pub, s.h, s.sig)
	c.WaitBuilds()
	if err != nil {
		t.Fatal(err)
	}
	if ok != want {
		t.Fatalf("key %s: KeyCache.Verify = %v, want %v", s.pub, ok, want)
	}
}

// TestKeyCacheBuildsAfterThreshold: a key that is not preferred gets its
// table with its BuildAfter-th valid signature, and invalid signatures
// neither count nor add the key.
func TestKeyCacheBuildsAfterThreshold(t *testing.T) {
	c := newSmallKeyCache(KeyCacheConfig{BuildAfter: 5})
	k := testKey(t, 40)
	sigs := signN(t, k, 8)
	bad := sigs[0]
	bad.h[0] ^= 1
	for range 10 {
		mustVerify(t, c, bad, false)
	}
	if n, _ := c.Len(); n != 0 {
		t.Fatalf("%d keys cached after invalid signatures only", n)
	}
	for i := range 4 {
		mustVerify(t, c, sigs[i], true)
		mustVerify(t, c, bad, false)
	}
	if c.Table(k.PubKey()) != nil {
		t.Fatal("table built after 4 valid signatures, BuildAfter is 5")
	}
	mustVerify(t, c, sigs[4], true)
	if c.Table(k.PubKey()) == nil {
		t.Fatal("no table after 5 valid signatures")
	}
	for _, s := range sigs {
		mustVerify(t, c, s, true)
	}
	mustVerify(t, c, bad, false)
	other := signN(t, testKey(t, 41), 1)[0]
	other.pub = k.PubKey() // another key's signature, checked with k's table
	mustVerify(t, c, other, false)
}

// TestKeyCachePreferred: a preferred key gets its table with its first
// valid signature.
func TestKeyCachePreferred(t *testing.T) {
	k := testKey(t, 42)
	c := newSmallKeyCache(KeyCacheConfig{Preferred: func(p PubKey) bool { return p == k.PubKey() }})
	mustVerify(t, c, signN(t, k, 1)[0], true)
	if c.Table(k.PubKey()) == nil {
		t.Fatal("no table for a preferred key after its first signature")
	}
	o := testKey(t, 43)
	mustVerify(t, c, signN(t, o, 1)[0], true)
	if c.Table(o.PubKey()) != nil {
		t.Fatal("a key that is not preferred got a table with its first signature")
	}
}

// TestKeyCacheBadKey: a key that does not parse is reported as such.
func TestKeyCacheBadKey(t *testing.T) {
	c := NewKeyCache(KeyCacheConfig{})
	s := signN(t, testKey(t, 44), 1)[0]
	s.pub[0] = 0x04
	ok, err := c.Verify(s.pub, s.h, s.sig)
	if ok || !errors.Is(err, ErrPubKey) {
		t.Fatalf("prefix 0x04: ok %v err %v, want ErrPubKey", ok, err)
	}
	s.pub = PubKey{0x02} // x = 0 is not on the curve
	if ok, err := c.Verify(s.pub, s.h, s.sig); ok || !errors.Is(err, ErrPubKey) {
		t.Fatalf("x = 0: ok %v err %v, want ErrPubKey", ok, err)
	}
}

// TestKeyCacheBounds: however many keys sign, the cache keeps at most
// MaxKeys keys and MaxTables tables, the preferred keys' tables stay, and
// every answer is still Verify's.
func TestKeyCacheBounds(t *testing.T) {
	pref := map[PubKey]bool{testKey(t, 100).PubKey(): true, testKey(t, 101).PubKey(): true}
	c := newSmallKeyCache(KeyCacheConfig{MaxKeys: 8, MaxTables: 3, BuildAfter: 2, Preferred: func(p PubKey) bool { return pref[p] }})
	var all []signed
	for i := range 2 + 30 { // the two preferred first, then 30 others
		all = append(all, signN(t, testKey(t, 100+i), 3)...)
	}
	tables := map[*KeyTable]bool{}
	for round := range 2 {
		for i, s := range all {
			mustVerify(t, c, s, true)
			if i%5 == 0 {
				bad := s
				bad.sig[40] ^= 4
				mustVerify(t, c, bad, false)
			}
			nk, nt := c.Len()
			if nk > 8 || nt > 3 {
				t.Fatalf("round %d, signature %d: %d keys and %d tables, bounds 8 and 3", round, i, nk, nt)
			}
			if tab := c.Table(s.pub); tab != nil {
				tables[tab] = true
			}
			if i >= 6 {
				for p := range pref {
					if c.Table(p) == nil {
						t.Fatalf("round %d, signature %d: the preferred key %s lost its table", round, i, p)
					}
				}
			}
		}
	}
	if len(tables) < 3 {
		t.Fatalf("only %d tables were ever built: keys that are not preferred never got one", len(tables))
	}
	// With the budget spent on preferred keys, others get none.
	c = newSmallKeyCache(KeyCacheConfig{MaxTables: 2, BuildAfter: 1, Preferred: func(p PubKey) bool { return pref[p] }})
	for _, s := range all {
		mustVerify(t, c, s, true)
	}
	if _, nt := c.Len(); nt != 2 {
		t.Fatalf("%d tables, want the 2 preferred", nt)
	}
	for p := range pref {
		if c.Table(p) == nil {
			t.Fatalf("preferred key %s has no table", p)
		}
	}
	// More preferred keys than tables: the last one verifies the plain
	// way, correctly, and asks for a table again only after BuildAfter
	// more signatures.
	third := testKey(t, 102)
	pref[third.PubKey()] = true
	for i, s := range signN(t, third, 9) {
		mustVerify(t, c, s, true)
		bad := s
		bad.h[1] ^= 2
		mustVerify(t, c, bad, false)
		if c.Table(third.PubKey()) != nil {
			t.Fatalf("signature %d: a third preferred key got a table past the budget of 2", i)
		}
	}
	if _, nt := c.Len(); nt != 2 {
		t.Fatalf("%d tables after a third preferred key, want 2", nt)
	}
}

// TestKeyCacheConcurrent verifies from several goroutines while tables
// are built and evicted (run with -race).
func TestKeyCacheConcurrent(t *testing.T) {
	c := newSmallKeyCache(KeyCacheConfig{MaxKeys: 4, MaxTables: 2, BuildAfter: 3})
	var all []signed
	for i := range 6 {
		all = append(all, signN(t, testKey(t, 200+i), 6)...)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for w := range 4 {
		wg.Go(func() {
			for j := range all {
				s := all[(j+w*7)%len(all)]
				want := true
				if j%3 == w%3 {
					s.h[5] ^= 0x10
					want = false
				}
				if ok, err := c.Verify(s.pub, s.h, s.sig); ok != want || err != nil {
					errs <- s.pub.String()
					return
				}
			}
		})
	}
	wg.Wait()
	c.WaitBuilds()
	close(errs)
	for k := range errs {
		t.Fatalf("wrong answer for key %s", k)
	}
	if nk, nt := c.Len(); nk > 4 || nt > 2 {
		t.Fatalf("%d keys, %d tables: over the bounds", nk, nt)
	}
}
