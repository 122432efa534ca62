package consensus

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

const testAnchor = int64(1_800_000_000_000) // block 1's time, Unix ms

// retargetingChains are the chains whose difficulty follows ASERT.
func retargetingChains() map[string]*ChainParams {
	m, tn := MainNet(), TestNet()
	return map[string]*ChainParams{
		"main/metadata": &m.Metadata, "main/auction": &m.Auction,
		"test/metadata": &tn.Metadata, "test/auction": &tn.Auction,
	}
}

func targetF(bits uint32) *big.Float {
	t, _ := CompactToBig(bits)
	return new(big.Float).SetInt(t)
}

// ratio is target(bits)/target(p.GenesisBits).
func ratio(p *ChainParams, bits uint32) float64 {
	r, _ := new(big.Float).Quo(targetF(bits), targetF(p.GenesisBits)).Float64()
	return r
}

// inRange fails unless bits encode a target in [1, PowLimit].
func inRange(t *testing.T, p *ChainParams, bits uint32, what string) {
	t.Helper()
	target, ok := CompactToBig(bits)
	if !ok || target.Sign() <= 0 || target.Cmp(p.PowLimit) > 0 {
		t.Errorf("%s: bits %08x (target %x, ok=%v) outside [1, PowLimit]", what, bits, target, ok)
	}
}

func onSchedule(p *ChainParams, h uint64) int64 {
	return testAnchor + int64(h-1)*p.TargetSpacing.Milliseconds()
}

func TestASERTOnScheduleKeepsGenesisBits(t *testing.T) {
	for name, p := range retargetingChains() {
		for _, h := range []uint64{2, 3, 4, 10, 100, 1000, 12345, 100_000, 1_000_000, 10_000_000, 1 << 30} {
			if got := NextBits(p, testAnchor, h, onSchedule(p, h)); got != p.GenesisBits {
				t.Errorf("%s height %d on schedule: %08x, want %08x", name, h, got, p.GenesisBits)
			}
		}
		for h := uint64(2); h < 3000; h++ {
			if got := NextBits(p, testAnchor, h, onSchedule(p, h)); got != p.GenesisBits {
				t.Fatalf("%s height %d on schedule: %08x, want %08x", name, h, got, p.GenesisBits)
			}
		}
	}
}

func TestASERTHalfLives(t *testing.T) {
	for name, p := range retargetingChains() {
		half := p.ASERTHalfLife.Milliseconds()
		for _, h := range []uint64{2, 10, 1000, 100_000} {
			base := onSchedule(p, h)
			cases := []struct {
				offset int64
				want   float64
			}{
				{half, 2}, {-half, 0.5},
				{2 * half, 4}, {3 * half, 8}, {-2 * half, 0.25}, {-10 * half, 1.0 / 1024},
				{half / 2, math.Sqrt2}, {-half / 2, 1 / math.Sqrt2},
			}
			for k := -16; k <= 16; k++ {
				cases = append(cases, struct {
					offset int64
					want   float64
				}{int64(k) * half / 8, math.Pow(2, float64(k)/8)})
			}
			for _, c := range cases {
				r := ratio(p, NextBits(p, testAnchor, h, base+c.offset))
				if math.Abs(r/c.want-1) > 0.001 {
					t.Errorf("%s height %d offset %+d ms: ratio %.6f, want %.6f", name, h, c.offset, r, c.want)
				}
			}
		}
	}
}

func TestASERTBounds(t *testing.T) {
	times := []int64{math.MinInt64, math.MinInt64 / 2, -1, 0, testAnchor, math.MaxInt64 / 2, math.MaxInt64}
	heights := []uint64{0, 1, 2, 3, 1 << 32, 1<<62 - 1, 1<<63 - 1, 1 << 63, 1<<63 + 1, math.MaxUint64 - 1, math.MaxUint64}
	for name, p := range retargetingChains() {
		for _, at := range times {
			for _, pt := range times {
				for _, h := range heights {
					inRange(t, p, NextBits(p, at, h, pt), name)
				}
			}
		}
		// Far behind schedule: exactly the limit. Far ahead: target 1.
		if got, want := NextBits(p, testAnchor, 10, math.MaxInt64/2), BigToCompact(p.PowLimit); got != want {
			t.Errorf("%s far behind: %08x, want the limit %08x", name, got, want)
		}
		if got := NextBits(p, testAnchor, 10, math.MinInt64/2); got != 0x01010000 {
			t.Errorf("%s far ahead: %08x, want target 1", name, got)
		}
		if got := NextBits(p, testAnchor, 1<<63-1, testAnchor); got != 0x01010000 {
			t.Errorf("%s height 2^63-1 at the anchor time: %08x, want target 1", name, got)
		}
	}
}

// TestASERTNoWrap guards the int64 overflows fixed in NextBits: a parent
// time or height so extreme that the differences overflow int64 must still
// move the target in the right direction.
func TestASERTNoWrap(t *testing.T) {
	for name, p := range retargetingChains() {
		limit := BigToCompact(p.PowLimit)
		cases := []struct {
			anchor, parent int64
			height         uint64
			want           uint32
		}{
			{testAnchor, math.MinInt64, 5, 0x01010000},    // far ahead
			{math.MaxInt64, math.MinInt64, 5, 0x01010000}, // far ahead
			{math.MinInt64, math.MaxInt64, 5, limit},      // far behind
			{testAnchor, testAnchor, 1<<63 + 1, 0x01010000},
			{testAnchor, testAnchor, math.MaxUint64, 0x01010000},
		}
		for _, c := range cases {
			if got := NextBits(p, c.anchor, c.height, c.parent); got != c.want {
				t.Errorf("%s anchor %d parent %d height %d: %08x, want %08x", name, c.anchor, c.parent, c.height, got, c.want)
			}
		}
	}
}

func TestASERTGenesisBitsForFirstBlocks(t *testing.T) {
	for name, p := range retargetingChains() {
		for _, pt := range []int64{math.MinInt64, 0, testAnchor, testAnchor + 1e9, math.MaxInt64} {
			for _, h := range []uint64{0, 1} {
				if got := NextBits(p, testAnchor, h, pt); got != p.GenesisBits {
					t.Errorf("%s parent height %d time %d: %08x, want GenesisBits", name, h, pt, got)
				}
			}
		}
	}
}

func TestASERTNoRetarget(t *testing.T) {
	r := RegTest()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range []*ChainParams{&r.Metadata, &r.Auction} {
		if !p.NoRetarget {
			t.Fatalf("regtest %s retargets", p.Kind)
		}
		for i := 0; i < 1000; i++ {
			at, pt, h := int64(rng.Uint64()), int64(rng.Uint64()), rng.Uint64()
			if got := NextBits(p, at, h, pt); got != p.GenesisBits {
				t.Fatalf("regtest %s: NextBits(%d, %d, %d) = %08x", p.Kind, at, h, pt, got)
			}
		}
	}
	// NoRetarget on a chain that would otherwise retarget.
	p := TestNet().Auction
	p.NoRetarget = true
	if got := NextBits(&p, testAnchor, 500, testAnchor); got != p.GenesisBits {
		t.Errorf("NoRetarget ignored: %08x", got)
	}
}

// TestASERTMonotonic: a later parent never makes the target harder, and a
// higher parent at the same time never makes it easier.
func TestASERTMonotonic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for name, p := range retargetingChains() {
		spacing := p.TargetSpacing.Milliseconds()
		// Fine sweep through the schedule, several half-lives either side.
		for _, h := range []uint64{2, 50, 100_000} {
			base := onSchedule(p, h)
			prev := NextBits(p, testAnchor, h, base-200*spacing)
			for dt := -200 * spacing; dt <= 200*spacing; dt += spacing / 7 {
				b := NextBits(p, testAnchor, h, base+dt)
				if targetF(b).Cmp(targetF(prev)) < 0 {
					t.Fatalf("%s height %d: later parent (dt=%d) gave harder %08x < %08x", name, h, dt, b, prev)
				}
				prev = b
			}
		}
		// Random pairs over the whole int64 and uint64 range.
		for i := 0; i < 3000; i++ {
			t1, t2 := int64(rng.Uint64()), int64(rng.Uint64())
			if t1 > t2 {
				t1, t2 = t2, t1
			}
			h := rng.Uint64()
			if targetF(NextBits(p, testAnchor, h, t2)).Cmp(targetF(NextBits(p, testAnchor, h, t1))) < 0 {
				t.Fatalf("%s height %d: time %d gave a harder target than %d", name, h, t2, t1)
			}
			h1, h2 := rng.Uint64(), rng.Uint64()
			if h1 > h2 {
				h1, h2 = h2, h1
			}
			if targetF(NextBits(p, testAnchor, h2, t1)).Cmp(targetF(NextBits(p, testAnchor, h1, t1))) > 0 {
				t.Fatalf("%s time %d: height %d gave an easier target than %d", name, t1, h2, h1)
			}
		}
	}
}

// refNextBits is aserti3-2d written independently in int64 arithmetic (valid
// only while nothing overflows), with the exponent divided rounding down.
func refNextBits(p *ChainParams, anchorTime int64, parentHeight uint64, parentTime int64) uint32 {
	if p.NoRetarget || parentHeight <= 1 {
		return p.GenesisBits
	}
	spacing, half := p.TargetSpacing.Milliseconds(), p.ASERTHalfLife.Milliseconds()
	num := (parentTime - anchorTime - spacing*int64(parentHeight-1)) * 65536
	exponent := num / half
	if num%half != 0 && num < 0 {
		exponent--
	}
	shifts := exponent >> 16
	frac := uint64(exponent & 0xffff)
	factor := 65536 + (195766423245049*frac+971821376*frac*frac+5127*frac*frac*frac+1<<47)>>48
	target, _ := CompactToBig(p.GenesisBits)
	target.Mul(target, new(big.Int).SetUint64(factor))
	shifts -= 16
	if shifts >= 0 {
		target.Lsh(target, uint(shifts))
	} else {
		target.Rsh(target, uint(-shifts))
	}
	if target.Sign() == 0 {
		target.SetInt64(1)
	}
	if target.Cmp(p.PowLimit) > 0 {
		target.Set(p.PowLimit)
	}
	return BigToCompact(target)
}

func TestASERTMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for name, p := range retargetingChains() {
		half := p.ASERTHalfLife.Milliseconds()
		for i := 0; i < 20000; i++ {
			h := 2 + rng.Uint64N(10_000_000)
			// Within ±40 half-lives of the schedule, at millisecond resolution.
			pt := onSchedule(p, h) + rng.Int64N(80*half) - 40*half
			if got, want := NextBits(p, testAnchor, h, pt), refNextBits(p, testAnchor, h, pt); got != want {
				t.Fatalf("%s height %d time %d: %08x, reference %08x", name, h, pt, got, want)
			}
		}
	}
}

func TestASERTDoesNotMutateParams(t *testing.T) {
	p := TestNet().Auction
	limit := new(big.Int).Set(p.PowLimit)
	for _, pt := range []int64{math.MinInt64, testAnchor, math.MaxInt64} {
		NextBits(&p, testAnchor, 10, pt)
	}
	if p.PowLimit.Cmp(limit) != 0 || p.GenesisBits != TestNet().Auction.GenesisBits {
		t.Error("NextBits changed its params")
	}
}

// simulate mines blocks 2..n with a fixed hash rate starting at
// rateFactor times what GenesisBits assumes, and returns the mean interval
// of the last tail blocks in seconds and the last block's bits. With rng
// nil each interval is exactly expected work / hash rate; otherwise it is
// exponentially distributed with that mean.
func simulate(p *ChainParams, rateFactor float64, n, tail int, rng *rand.Rand) (float64, uint32) {
	work := func(bits uint32) float64 { w, _ := new(big.Float).SetInt(CalcWork(bits)).Float64(); return w }
	rate := rateFactor * work(p.GenesisBits) / p.TargetSpacing.Seconds()
	parentTime := testAnchor // block 1
	var sum float64
	var bits uint32
	for h := uint64(1); h < uint64(n); h++ { // h is the parent's height
		bits = NextBits(p, testAnchor, h, parentTime)
		dt := work(bits) / rate
		if rng != nil {
			dt *= rng.ExpFloat64()
		}
		parentTime += int64(math.Round(dt * 1000))
		if h >= uint64(n-tail) {
			sum += dt
		}
	}
	return sum / float64(tail), bits
}

func TestASERTConvergesDeterministic(t *testing.T) {
	tn := TestNet()
	for _, p := range []*ChainParams{&tn.Metadata, &tn.Auction} {
		mean, bits := simulate(p, 10, 3000, 500, nil)
		target := p.TargetSpacing.Seconds()
		if math.Abs(mean-target) > 0.1*target {
			t.Errorf("test/%s: mean interval %.3fs over the last 500 blocks, want %.0fs ±10%%", p.Kind, mean, target)
		}
		// Difficulty must have risen about tenfold to absorb the hash rate.
		if r := ratio(p, bits); math.Abs(r*10-1) > 0.1 {
			t.Errorf("test/%s: final target ratio %.4f, want about 0.1", p.Kind, r)
		}
		t.Logf("test/%s deterministic: mean %.3fs, final bits %08x", p.Kind, mean, bits)
	}
}

func TestASERTConvergesRandom(t *testing.T) {
	tn := TestNet()
	for _, p := range []*ChainParams{&tn.Metadata, &tn.Auction} {
		for seed := uint64(1); seed <= 5; seed++ {
			mean, bits := simulate(p, 10, 3000, 500, rand.New(rand.NewPCG(seed, 99)))
			target := p.TargetSpacing.Seconds()
			if math.Abs(mean-target) > 0.1*target {
				t.Errorf("test/%s seed %d: mean interval %.3fs over the last 500 blocks, want %.0fs ±10%%", p.Kind, seed, mean, target)
			}
			t.Logf("test/%s seed %d: mean %.3fs, final bits %08x", p.Kind, seed, mean, bits)
		}
	}
	// Too little hash rate (a tenth) converges too, from the other side.
	p := &tn.Auction
	mean, _ := simulate(p, 0.1, 3000, 500, nil)
	if target := p.TargetSpacing.Seconds(); math.Abs(mean-target) > 0.1*target {
		t.Errorf("test/auction at a tenth of the hash rate: mean %.3fs", mean)
	}
}

func BenchmarkNextBits(b *testing.B) {
	p := TestNet().Auction
	for i := 0; b.Loop(); i++ {
		NextBits(&p, testAnchor, uint64(1000+i%100), testAnchor+int64(i%1000)*5000)
	}
}
