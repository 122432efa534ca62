package consensus

import (
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/wire"
)

func TestErrorKindStrings(t *testing.T) {
	kinds := []ErrorKind{ErrMalformed, ErrBlockTooBig, ErrTooManyTxs, ErrWrongChain, ErrBadVersion, ErrBitsOutOfRange,
		ErrHighHash, ErrBadMinerSig, ErrBadTxRoot, ErrDuplicateTx, ErrTxWrongChain, ErrTxBadSig, ErrTxSanity,
		ErrBadHeight, ErrUnexpectedBits, ErrTimeTooOld, ErrTimeTooNew, ErrMinerNotAdmitted, ErrBadAnchor,
		ErrBadStateRoot, ErrTxExpired, ErrBadNonce, ErrDuplicateBlock, ErrInvalidAncestor, ErrOrphan, ErrCheckpoint}
	seen := map[string]bool{}
	for _, k := range kinds {
		if k.Error() != string(k) || seen[k.Error()] {
			t.Errorf("kind %q: bad or duplicate string", k)
		}
		seen[k.Error()] = true
	}
	err := error(RuleErrorf(ErrHighHash, "hash %d", 7))
	var re RuleError
	if !errors.Is(err, ErrHighHash) || errors.Is(err, ErrBadHeight) || !errors.As(err, &re) || re.Description != "hash 7" {
		t.Fatalf("RuleError does not wrap its kind: %v", err)
	}
	if err.Error() != "ErrHighHash: hash 7" {
		t.Fatalf("message %q", err.Error())
	}
}

func TestCompactVectors(t *testing.T) {
	cases := []struct {
		bits uint32
		want string // hex target
		ok   bool
	}{
		{0x1d00ffff, "ffff0000000000000000000000000000000000000000000000000000", true},
		{0x01003456, "0", true},
		{0x01123456, "12", true},
		{0x02123456, "1234", true},
		{0x03123456, "123456", true},
		{0x04123456, "12345600", true},
		{0x05009234, "92340000", true},
		{0x04923456, "12345600", false}, // negative
		{0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", true},
		{0xff123456, "", false}, // overflow
	}
	for _, c := range cases {
		got, ok := CompactToBig(c.bits)
		if ok != c.ok {
			t.Errorf("%08x: ok=%v, want %v", c.bits, ok, c.ok)
			continue
		}
		if c.want != "" && ok && got.Text(16) != c.want {
			t.Errorf("%08x: %s, want %s", c.bits, got.Text(16), c.want)
		}
	}
	for _, bits := range []uint32{0x1d00ffff, 0x207fffff, 0x1e0fffff, 0x1b0404cb, 0x03123456} {
		n, _ := CompactToBig(bits)
		if back := BigToCompact(n); back != bits {
			t.Errorf("round trip %08x -> %08x", bits, back)
		}
	}
	if BigToCompact(big.NewInt(0)) != 0 {
		t.Error("zero target")
	}
}

func TestProofOfWork(t *testing.T) {
	limit, _ := CompactToBig(0x207fffff)
	easy := wire.Hash{0x00, 0x01}
	hard := wire.Hash{0xff}
	cases := []struct {
		name string
		hash wire.Hash
		bits uint32
		want error
	}{
		{"meets target", easy, 0x207fffff, nil},
		{"above target", hard, 0x207fffff, ErrHighHash},
		{"easier than limit", easy, 0x2100ffff, ErrBitsOutOfRange},
		{"negative", easy, 0x1d800001, ErrBitsOutOfRange},
		{"zero", easy, 0x00000000, ErrBitsOutOfRange},
		{"overflow", easy, 0xff7fffff, ErrBitsOutOfRange},
	}
	for _, c := range cases {
		err := CheckProofOfWork(c.hash, c.bits, limit)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if CalcWork(0x1d00ffff).Cmp(CalcWork(0x207fffff)) <= 0 {
		t.Error("a harder target must count as more work")
	}
	if w := CalcWork(0x207fffff); w.Int64() != 2 {
		t.Errorf("regtest work per block %s, want 2", w)
	}
}

func targetOf(bits uint32) *big.Float {
	t, _ := CompactToBig(bits)
	return new(big.Float).SetInt(t)
}

func TestASERT(t *testing.T) {
	p := TestNet().Auction
	anchor := int64(1_800_000_000_000)
	spacing := p.TargetSpacing.Milliseconds()
	half := p.ASERTHalfLife.Milliseconds()
	ratio := func(bits uint32) float64 {
		r, _ := new(big.Float).Quo(targetOf(bits), targetOf(p.GenesisBits)).Float64()
		return r
	}
	for _, h := range []uint64{2, 10, 1000, 100000} {
		onSchedule := anchor + int64(h-1)*spacing
		if r := ratio(NextBits(&p, anchor, h, onSchedule)); math.Abs(r-1) > 0.001 {
			t.Errorf("height %d on schedule: target ratio %f, want 1", h, r)
		}
		if r := ratio(NextBits(&p, anchor, h, onSchedule+half)); math.Abs(r-2) > 0.002 {
			t.Errorf("height %d one half-life behind: ratio %f, want 2", h, r)
		}
		if r := ratio(NextBits(&p, anchor, h, onSchedule-half)); math.Abs(r-0.5) > 0.001 {
			t.Errorf("height %d one half-life ahead: ratio %f, want 0.5", h, r)
		}
	}
	if NextBits(&p, anchor, 1, anchor+999999) != p.GenesisBits || NextBits(&p, anchor, 0, 0) != p.GenesisBits {
		t.Error("blocks 1 and 2 must use GenesisBits")
	}
	for _, pt := range []int64{math.MinInt64 / 2, math.MaxInt64 / 2} {
		bits := NextBits(&p, anchor, 5, pt)
		target, ok := CompactToBig(bits)
		if !ok || target.Sign() <= 0 || target.Cmp(p.PowLimit) > 0 {
			t.Errorf("absurd time %d: bits %08x out of range", pt, bits)
		}
	}
	prev := NextBits(&p, anchor, 50, anchor)
	for dt := int64(0); dt < 100*spacing; dt += spacing {
		b := NextBits(&p, anchor, 50, anchor+dt)
		if targetOf(b).Cmp(targetOf(prev)) < 0 {
			t.Fatalf("later parent gave a harder target at dt=%d", dt)
		}
		prev = b
	}
	r := RegTest().Metadata
	if NextBits(&r, anchor, 100, anchor) != r.GenesisBits {
		t.Error("regtest must not retarget")
	}
}

// TestASERTConverges simulates a miner with ten times the hash rate the
// start difficulty assumes; the block interval must settle at the target.
func TestASERTConverges(t *testing.T) {
	p := TestNet().Auction
	expected := func(bits uint32) float64 { w, _ := new(big.Float).SetInt(CalcWork(bits)).Float64(); return w }
	rate := 10 * expected(p.GenesisBits) / p.TargetSpacing.Seconds() // hashes per second
	anchor := int64(1_800_000_000_000)
	now := anchor
	var sum float64
	const blocks, tail = 3000, 500
	for h := uint64(1); h <= blocks; h++ {
		bits := NextBits(&p, anchor, h, now)
		dt := expected(bits) / rate // deterministic: mean interval at this difficulty
		now += int64(dt * 1000)
		if h > blocks-tail {
			sum += dt
		}
	}
	if mean := sum / tail; math.Abs(mean-p.TargetSpacing.Seconds()) > 0.1*p.TargetSpacing.Seconds() {
		t.Fatalf("mean interval %.2fs over the last %d blocks, target %s", mean, tail, p.TargetSpacing)
	}
}

func TestTimeRules(t *testing.T) {
	if MedianTime(nil) != 0 || MedianTime([]int64{5, 1, 3}) != 3 || MedianTime([]int64{4, 1, 3, 2}) != 3 {
		t.Fatal("median")
	}
	p := RegTest().Metadata
	now := int64(1_000_000)
	drift := p.MaxFutureDrift.Milliseconds()
	cases := []struct {
		ts   int64
		want error
	}{
		{500, ErrTimeTooOld}, {499, ErrTimeTooOld}, {501, nil}, {now + drift, nil}, {now + drift + 1, ErrTimeTooNew},
	}
	for _, c := range cases {
		err := CheckTimestamp(&p, c.ts, 500, now)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("timestamp %d: got %v, want %v", c.ts, err, c.want)
		}
	}
}

func TestParams(t *testing.T) {
	ids := map[uint32]string{}
	for _, name := range []string{"main", "test", "regtest"} {
		p, err := ForNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*ChainParams{&p.Metadata, &p.Auction} {
			if prev, dup := ids[c.ChainID]; dup {
				t.Errorf("chain ID %08x used by %s and %s/%s", c.ChainID, prev, name, c.Kind)
			}
			ids[c.ChainID] = name + "/" + c.Kind.String()
			if start, _ := CompactToBig(c.GenesisBits); start.Cmp(c.PowLimit) > 0 {
				t.Errorf("%s/%s starts easier than its limit", name, c.Kind)
			}
			if p.Chain(c.Kind) != c {
				t.Errorf("Chain(%s) returns the wrong chain", c.Kind)
			}
		}
	}
	if !MainNet().Permissioned || !RegTest().MineOnDemand || !RegTest().Metadata.NoRetarget {
		t.Error("network flags")
	}
	a, b := TestNet(), TestNet()
	a.Auction.MaxBlockTxs = 1
	if b.Auction.MaxBlockTxs == 1 {
		t.Error("params values share state")
	}
	if _, err := ForNetwork("moon"); err == nil {
		t.Error("unknown network accepted")
	}
	for _, s := range []string{"metadata", "auction"} {
		if k, err := ParseChainKind(s); err != nil || k.String() != s {
			t.Errorf("ParseChainKind(%q)", s)
		}
	}
	if _, err := ParseChainKind("side"); err == nil {
		t.Error("unknown chain accepted")
	}
	_ = time.Second
}

func BenchmarkNextBits(b *testing.B) {
	p := TestNet().Auction
	for i := 0; b.Loop(); i++ {
		NextBits(&p, 1_800_000_000_000, uint64(1000+i%100), 1_800_000_000_000+int64(i)*5000)
	}
}
