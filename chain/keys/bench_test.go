package keys

import (
	"context"
	"crypto/sha256"
	"runtime"
	"testing"
)

func BenchmarkSign(b *testing.B) {
	k := testKey(b, 1)
	h := sha256.Sum256([]byte("bench"))
	for b.Loop() {
		k.Sign(h)
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKey(b, 1)
	h := sha256.Sum256([]byte("bench"))
	sig := k.Sign(h)
	pub := k.PubKey()
	for b.Loop() {
		if !Verify(pub, h, sig) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	k := testKey(b, 1)
	h := sha256.Sum256([]byte("bench"))
	sig := k.Sign(h)
	pub := k.PubKey()
	c := NewSigCache(1000)
	c.Add(h, sig, pub)
	for b.Loop() {
		if !VerifyCached(c, pub, h, sig) {
			b.Fatal("verify failed")
		}
	}
}

func benchmarkVerifyBatch(b *testing.B, workers int) {
	const n = 4096
	jobs := batchJobs(b, n)
	ctx := context.Background()
	for b.Loop() {
		if _, ok := VerifyBatch(ctx, jobs, nil, workers); !ok {
			b.Fatal("batch failed")
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "sigs/s")
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	b.ReportMetric(float64(workers), "workers")
}

func BenchmarkVerifyBatchAllCores(b *testing.B) { benchmarkVerifyBatch(b, 0) }

// BenchmarkVerifyBatchOneWorker is the baseline for the all-cores speedup.
func BenchmarkVerifyBatchOneWorker(b *testing.B) { benchmarkVerifyBatch(b, 1) }
