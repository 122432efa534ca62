package keys

import (
	"context"
	"crypto/sha256"
	"runtime"
	"testing"
	"time"
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

// BenchmarkVerifyPureGo is dcrd's verifier whatever the build, so a run
// with -tags libsecp256k1 measures both backends side by side.
func BenchmarkVerifyPureGo(b *testing.B) {
	k := testKey(b, 1)
	h := sha256.Sum256([]byte("bench"))
	sig := k.Sign(h)
	pub := k.PubKey()
	for b.Loop() {
		if !VerifyPureGo(pub, h, sig) {
			b.Fatal("verify failed")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
}

// BenchmarkVerifyBackendSpeedup alternates the build's verifier and the
// pure-Go one over the same signatures and reports the build's rate and
// its ratio to pure Go (1.0 in the default build; the libsecp256k1 build
// targets ≥ 3).
func BenchmarkVerifyBackendSpeedup(b *testing.B) {
	jobs := batchJobs(b, 64)
	var backend, pure time.Duration
	for b.Loop() {
		t0 := time.Now()
		for _, j := range jobs {
			if !Verify(j.Pub, j.Hash, j.Sig) {
				b.Fatal("verify failed")
			}
		}
		t1 := time.Now()
		for _, j := range jobs {
			if !VerifyPureGo(j.Pub, j.Hash, j.Sig) {
				b.Fatal("verify failed")
			}
		}
		backend += t1.Sub(t0)
		pure += time.Since(t1)
	}
	b.ReportMetric(float64(len(jobs)*b.N)/backend.Seconds(), "sigs/s")
	b.ReportMetric(pure.Seconds()/backend.Seconds(), "x_pure_go")
}

// BenchmarkKeyTableVerify alternates the table verifier and the plain
// pure-Go verifier signature by signature over the same signatures by one
// key, and reports the table's rate and its speedup over plain
// verification (x_plain). The speedup is taken over each signature's
// fastest time on either side, so that a descheduling by other processes
// (the project machine is shared) does not land on one side only.
func BenchmarkKeyTableVerify(b *testing.B) {
	k := testKey(b, 1)
	tab, err := NewKeyTable(k.PubKey())
	if err != nil {
		b.Fatal(err)
	}
	jobs := make([]VerifyJob, 64)
	for i := range jobs {
		h := sha256.Sum256([]byte{byte(i)})
		jobs[i] = VerifyJob{Pub: k.PubKey(), Hash: h, Sig: k.Sign(h)}
	}
	var table time.Duration
	fastTable := make([]time.Duration, len(jobs))
	fastPlain := make([]time.Duration, len(jobs))
	for b.Loop() {
		for i, j := range jobs {
			t0 := time.Now()
			okTable := tab.Verify(j.Hash, j.Sig)
			t1 := time.Now()
			okPlain := VerifyPureGo(j.Pub, j.Hash, j.Sig)
			dt, dp := t1.Sub(t0), time.Since(t1)
			table += dt
			if fastTable[i] == 0 || dt < fastTable[i] {
				fastTable[i] = dt
			}
			if fastPlain[i] == 0 || dp < fastPlain[i] {
				fastPlain[i] = dp
			}
			if !okTable || !okPlain {
				b.Fatal("verify failed")
			}
		}
	}
	var sumTable, sumPlain time.Duration
	for i := range jobs {
		sumTable += fastTable[i]
		sumPlain += fastPlain[i]
	}
	b.ReportMetric(float64(len(jobs)*b.N)/table.Seconds(), "sigs/s")
	b.ReportMetric(sumTable.Seconds()*1e6/float64(len(jobs)), "best_µs/sig")
	b.ReportMetric(sumPlain.Seconds()*1e6/float64(len(jobs)), "plain_best_µs/sig")
	b.ReportMetric(sumPlain.Seconds()/sumTable.Seconds(), "x_plain")
}

// BenchmarkKeyTableBuild is the cost of one table; table_bytes is the
// memory it keeps.
func BenchmarkKeyTableBuild(b *testing.B) {
	pub := testKey(b, 1).PubKey()
	for b.Loop() {
		if _, err := NewKeyTable(pub); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(KeyTableBytes, "table_bytes")
	b.ReportMetric(float64(baseComb().bytes()), "g_table_bytes")
}
