package keys

import (
	"context"
	"testing"
)

func batchJobs(t testing.TB, n int) []VerifyJob {
	t.Helper()
	keys := make([]*PrivateKey, 8)
	for i := range keys {
		keys[i] = testKey(t, 1000+i)
	}
	jobs := make([]VerifyJob, n)
	for i := range jobs {
		k := keys[i%len(keys)]
		var h [32]byte
		h[0], h[1], h[2] = byte(i), byte(i>>8), byte(i>>16)
		jobs[i] = VerifyJob{Pub: k.PubKey(), Hash: h, Sig: k.Sign(h)}
	}
	return jobs
}

func TestVerifyBatchAllValid(t *testing.T) {
	jobs := batchJobs(t, 500)
	cache := NewSigCache(1000)
	for _, w := range []int{0, 1, 2, 7} {
		if bad, ok := VerifyBatch(context.Background(), jobs, nil, w); !ok || bad != -1 {
			t.Fatalf("workers=%d: (%d, %v), want (-1, true)", w, bad, ok)
		}
	}
	if _, ok := VerifyBatch(context.Background(), jobs, cache, 4); !ok {
		t.Fatal("cached run failed")
	}
	if cache.Len() != len(jobs) {
		t.Fatalf("cache holds %d, want %d", cache.Len(), len(jobs))
	}
	if bad, ok := VerifyBatch(context.Background(), nil, nil, 4); !ok || bad != -1 {
		t.Fatalf("empty batch: (%d, %v)", bad, ok)
	}
}

func TestVerifyBatchFindsLowestBad(t *testing.T) {
	jobs := batchJobs(t, 3000)
	jobs[2999].Sig[10] ^= 1
	jobs[1337].Hash[0] ^= 1
	jobs[2100].Pub = testKey(t, 9999).PubKey()
	for _, w := range []int{1, 2, 4, 16} {
		for range 3 {
			bad, ok := VerifyBatch(context.Background(), jobs, NewSigCache(4096), w)
			if ok || bad != 1337 {
				t.Fatalf("workers=%d: (%d, %v), want (1337, false)", w, bad, ok)
			}
		}
	}
	single := []VerifyJob{jobs[2999]}
	if bad, ok := VerifyBatch(context.Background(), single, nil, 4); ok || bad != 0 {
		t.Fatalf("single bad job: (%d, %v)", bad, ok)
	}
}

func TestVerifyBatchCancelled(t *testing.T) {
	jobs := batchJobs(t, 200)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if bad, ok := VerifyBatch(ctx, jobs, nil, 2); ok || bad != -1 {
		t.Fatalf("cancelled: (%d, %v), want (-1, false)", bad, ok)
	}
}
