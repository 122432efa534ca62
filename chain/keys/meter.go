package keys

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// VerifyMeter measures this machine's all-core batch verification rate
// (VerifyBatch with GOMAXPROCS workers and no cache) in samples taken
// between the steps of another measurement, so a pipeline's throughput can
// be reported as a ratio to the verify rate of the same run on the same,
// possibly busy, machine. Performance goals are stated as such ratios
// (docs/performance.md).
type VerifyMeter struct {
	jobs    []VerifyJob
	sigs    int
	elapsed time.Duration
}

// NewVerifyMeter prepares n distinct signatures (n below 64 is raised to
// 64 so every core gets work).
func NewVerifyMeter(n int) *VerifyMeter {
	n = max(n, 64)
	jobs := make([]VerifyJob, n)
	seed := sha256.Sum256([]byte("thingchain verify meter"))
	k, err := PrivateKeyFromBytes(seed[:])
	if err != nil {
		panic("keys: verify meter key: " + err.Error())
	}
	for i := range jobs {
		var h [32]byte
		binary.BigEndian.PutUint64(h[:], uint64(i))
		h = sha256.Sum256(h[:])
		jobs[i] = VerifyJob{Pub: k.PubKey(), Hash: h, Sig: k.Sign(h)}
	}
	return &VerifyMeter{jobs: jobs}
}

// Sample verifies the meter's signatures once in a batch and adds the time
// taken to the meter.
func (m *VerifyMeter) Sample() {
	start := time.Now()
	if _, ok := VerifyBatch(context.Background(), m.jobs, nil, 0); !ok {
		panic("keys: verify meter signature does not verify")
	}
	m.elapsed += time.Since(start)
	m.sigs += len(m.jobs)
}

// Rate is the signatures per second over every sample so far (0 before
// the first).
func (m *VerifyMeter) Rate() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.sigs) / m.elapsed.Seconds()
}
