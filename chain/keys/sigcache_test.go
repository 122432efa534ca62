package keys

import (
	"crypto/sha256"
	"sync"
	"testing"
)

type triple struct {
	pub  PubKey
	hash [32]byte
	sig  Signature
}

func signedTriples(t testing.TB, n int) []triple {
	t.Helper()
	k := testKey(t, 42)
	out := make([]triple, n)
	for i := range out {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		out[i] = triple{k.PubKey(), h, k.Sign(h)}
	}
	return out
}

func TestSigCacheExistsAdd(t *testing.T) {
	tr := signedTriples(t, 2)
	c := NewSigCache(10)
	if c.Exists(tr[0].hash, tr[0].sig, tr[0].pub) {
		t.Fatal("empty cache reports a hit")
	}
	c.Add(tr[0].hash, tr[0].sig, tr[0].pub)
	c.Add(tr[0].hash, tr[0].sig, tr[0].pub)
	if c.Len() != 1 {
		t.Fatalf("Len = %d after duplicate add, want 1", c.Len())
	}
	if !c.Exists(tr[0].hash, tr[0].sig, tr[0].pub) {
		t.Fatal("added triple missing")
	}
	// Each component is part of the key.
	if c.Exists(tr[1].hash, tr[0].sig, tr[0].pub) || c.Exists(tr[0].hash, tr[1].sig, tr[0].pub) ||
		c.Exists(tr[0].hash, tr[0].sig, testKey(t, 1).PubKey()) {
		t.Fatal("cache hit for a triple differing in one component")
	}
}

func TestSigCacheBoundAndEviction(t *testing.T) {
	const max = 50
	tr := signedTriples(t, 3*max)
	c := NewSigCache(max)
	for _, x := range tr {
		c.Add(x.hash, x.sig, x.pub)
		if c.Len() > max {
			t.Fatalf("Len = %d exceeds bound %d", c.Len(), max)
		}
	}
	if c.Len() != max {
		t.Fatalf("Len = %d, want %d", c.Len(), max)
	}
	last := tr[len(tr)-1]
	if !c.Exists(last.hash, last.sig, last.pub) {
		t.Fatal("most recent entry was evicted on insert")
	}
	present := 0
	for _, x := range tr {
		if c.Exists(x.hash, x.sig, x.pub) {
			present++
		}
	}
	if present != max {
		t.Fatalf("%d triples present, want %d", present, max)
	}

	zero := NewSigCache(0)
	zero.Add(last.hash, last.sig, last.pub)
	if zero.Exists(last.hash, last.sig, last.pub) || zero.Len() != 0 {
		t.Fatal("zero-size cache stored an entry")
	}
}

func TestVerifyCachedOnlyCachesValid(t *testing.T) {
	tr := signedTriples(t, 1)[0]
	c := NewSigCache(10)
	bad := tr.sig
	bad[5] ^= 1
	if VerifyCached(c, tr.pub, tr.hash, bad) {
		t.Fatal("invalid signature verified")
	}
	if c.Len() != 0 {
		t.Fatal("invalid signature was cached")
	}
	if !VerifyCached(c, tr.pub, tr.hash, tr.sig) || !c.Exists(tr.hash, tr.sig, tr.pub) {
		t.Fatal("valid signature not verified and cached")
	}
	// A poisoned entry is trusted: this documents why only Verify'd triples
	// may be added.
	c.Add(tr.hash, bad, tr.pub)
	if !VerifyCached(c, tr.pub, tr.hash, bad) {
		t.Fatal("cache hit not honoured")
	}
	if !VerifyCached(nil, tr.pub, tr.hash, tr.sig) || VerifyCached(nil, tr.pub, tr.hash, bad) {
		t.Fatal("nil cache changes the result")
	}
}

func TestSigCacheConcurrent(t *testing.T) {
	tr := signedTriples(t, 200)
	c := NewSigCache(64)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i, x := range tr {
				if (i+w)%2 == 0 {
					c.Add(x.hash, x.sig, x.pub)
				} else {
					c.Exists(x.hash, x.sig, x.pub)
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 64 {
		t.Fatalf("Len = %d exceeds bound under concurrency", c.Len())
	}
}
