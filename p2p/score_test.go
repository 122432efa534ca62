package p2p

import (
	"math"
	"testing"
	"time"
)

func TestBanScoreDecay(t *testing.T) {
	var s banScore
	t0 := time.Unix(1_000_000, 0)
	if got := s.add(30, 40, t0); got != 70 {
		t.Fatalf("score %v, want 70", got)
	}
	if got := s.value(t0.Add(transientHalfLife)); math.Abs(got-50) > 1e-9 {
		t.Fatalf("after one half-life: %v, want 50 (30 persistent + 20 transient)", got)
	}
	if got := s.value(t0.Add(20 * transientHalfLife)); math.Abs(got-30) > 1e-3 {
		t.Fatalf("long after: %v, want the persistent 30", got)
	}
	// Transient offences in quick succession accumulate.
	var burst banScore
	var total float64
	for i := range 100 {
		total = burst.add(0, PenaltyUnsolicited, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if total < 99 || total > 100 {
		t.Fatalf("100 quick unsolicited blocks: score %v", total)
	}
	// A clock step backwards does not inflate the score.
	if got := burst.value(t0.Add(-time.Hour)); got > 100 {
		t.Fatalf("score grew when time went backwards: %v", got)
	}
}
