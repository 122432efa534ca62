package consensus

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
)

func hexBig(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return n
}

// TestCompactToBigVectors uses the vectors of Bitcoin Core's
// arith_uint256_tests (SetCompact/GetCompact).
func TestCompactToBigVectors(t *testing.T) {
	cases := []struct {
		bits    uint32
		want    string // hex magnitude of the target
		ok      bool
		compact uint32 // BigToCompact of the magnitude
	}{
		{0x1d00ffff, "ffff" + zeros(52), true, 0x1d00ffff},
		{0x00000000, "0", true, 0},
		{0x00123456, "0", true, 0},
		{0x01003456, "0", true, 0},
		{0x02000056, "0", true, 0},
		{0x03000000, "0", true, 0},
		{0x04000000, "0", true, 0},
		{0x01123456, "12", true, 0x01120000},
		{0x02008000, "80", true, 0x02008000},
		{0x01fedcba, "7e", false, 0x017e0000}, // negative; magnitude 0x7e
		{0x02123456, "1234", true, 0x02123400},
		{0x03123456, "123456", true, 0x03123456},
		{0x04123456, "12345600", true, 0x04123456},
		{0x04923456, "12345600", false, 0x04123456}, // negative
		{0x05009234, "92340000", true, 0x05009234},
		{0x20123456, "123456" + zeros(58), true, 0x20123456},
		{0x207fffff, "7fffff" + zeros(58), true, 0x207fffff},
		{0x1f00ffff, "ffff" + zeros(56), true, 0x1f00ffff},
		// Negative zero is zero, not negative.
		{0x04800000, "0", true, 0},
		{0x20800000, "0", true, 0},
		// Largest encodings that still fit in 256 bits.
		{0x2100ffff, "ffff" + zeros(60), true, 0x2100ffff},
		{0x220000ff, "ff" + zeros(62), true, 0x2100ff00},
		// Overflow: more than 256 bits.
		{0x21010000, "", false, 0},
		{0x22000100, "", false, 0},
		{0x23000001, "", false, 0},
		{0xff123456, "", false, 0},
		// A zero mantissa never overflows, whatever the exponent.
		{0xff000000, "0", true, 0},
	}
	for _, c := range cases {
		got, ok := CompactToBig(c.bits)
		if ok != c.ok {
			t.Errorf("CompactToBig(%08x) ok=%v, want %v", c.bits, ok, c.ok)
		}
		if c.want == "" {
			continue
		}
		if want := hexBig(t, c.want); got.Cmp(want) != 0 {
			t.Errorf("CompactToBig(%08x) = %x, want %x", c.bits, got, want)
			continue
		}
		if back := BigToCompact(got); back != c.compact {
			t.Errorf("BigToCompact(%x) = %08x, want %08x", got, back, c.compact)
		}
	}
}

// TestCompactNegativeZeroWord covers encodings whose sign bit is set but
// whose mantissa shifts away to zero (exponent < 3). Bitcoin Core reports
// them as non-negative zero; this implementation flags them as not ok.
// Either way they are a zero target, which CheckProofOfWork rejects and
// CalcWork counts as no work, so consensus does not depend on the flag.
func TestCompactNegativeZeroWord(t *testing.T) {
	limit := targetFromBits(0x207fffff)
	for _, bits := range []uint32{0x00923456, 0x01803456, 0x02800056} {
		n, _ := CompactToBig(bits)
		if n.Sign() != 0 {
			t.Errorf("%08x: target %x, want 0", bits, n)
		}
		if err := CheckProofOfWork(wire.Hash{}, bits, limit); !errors.Is(err, ErrBitsOutOfRange) {
			t.Errorf("%08x: CheckProofOfWork = %v, want ErrBitsOutOfRange", bits, err)
		}
		if w := CalcWork(bits); w.Sign() != 0 {
			t.Errorf("%08x: work %s, want 0", bits, w)
		}
	}
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

func TestBigToCompactSmallAndEdges(t *testing.T) {
	cases := []struct {
		n    string
		want uint32
	}{
		{"0", 0},
		{"1", 0x01010000},
		{"7f", 0x017f0000},
		{"80", 0x02008000},
		{"ff", 0x0200ff00},
		{"100", 0x02010000},
		{"7fffff", 0x037fffff},
		{"800000", 0x04008000},
		{"ffffff", 0x0400ffff},
		{"1000000", 0x04010000},
		{"123456789", 0x05012345}, // rounds down
		{"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 0x2100ffff},
	}
	for _, c := range cases {
		if got := BigToCompact(hexBig(t, c.n)); got != c.want {
			t.Errorf("BigToCompact(0x%s) = %08x, want %08x", c.n, got, c.want)
		}
	}
	if got := BigToCompact(big.NewInt(-5)); got != 0 {
		t.Errorf("negative input gave %08x, want 0", got)
	}
}

// TestCompactRoundTripRandom checks for random targets that compressing
// rounds down by less than one part in 2^15 and that the compressed form is
// a fixed point.
func TestCompactRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		// Random bit length 1..255 so every exponent is exercised.
		bitLen := 1 + rng.IntN(255)
		var buf [32]byte
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		x := new(big.Int).SetBytes(buf[:])
		x.Rsh(x, uint(256-bitLen))
		x.SetBit(x, bitLen-1, 1)

		c := BigToCompact(x)
		y, ok := CompactToBig(c)
		if !ok {
			t.Fatalf("%x -> %08x does not expand", x, c)
		}
		if y.Cmp(x) > 0 {
			t.Fatalf("%x -> %08x -> %x rounds up", x, c, y)
		}
		// Loss below 2^-15 relative: x - y < x >> 15 (exact for small x).
		loss := new(big.Int).Sub(x, y)
		if bitLen <= 23 && loss.Sign() != 0 {
			t.Fatalf("%x (%d bits) not exact: %x", x, bitLen, y)
		}
		if loss.Cmp(new(big.Int).Rsh(x, 15)) > 0 {
			t.Fatalf("%x -> %x loses too much", x, y)
		}
		if c2 := BigToCompact(y); c2 != c {
			t.Fatalf("%x -> %08x -> %x -> %08x: not a fixed point", x, c, y, c2)
		}
		if c&0x00800000 != 0 {
			t.Fatalf("%x encodes with the sign bit set: %08x", x, c)
		}
	}
}

// TestCompactExpandIdempotent: for random valid bits, expanding the
// re-encoded value gives the same target (every valid target has at most
// 23 significant bits, so re-encoding is exact).
func TestCompactExpandIdempotent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		bits := rng.Uint32()&0x217fffff | uint32(rng.IntN(34))<<24
		bits &^= 0x00800000
		x, ok := CompactToBig(bits)
		if !ok {
			continue
		}
		y, ok := CompactToBig(BigToCompact(x))
		if !ok || y.Cmp(x) != 0 {
			t.Fatalf("%08x: %x re-expands to %x (ok=%v)", bits, x, y, ok)
		}
	}
}

func TestCalcWorkExact(t *testing.T) {
	cases := []struct {
		bits uint32
		want string // hex
	}{
		{0x1d00ffff, "100010001"}, // Bitcoin's genesis block work
		{0x207fffff, "2"},
		{0x01010000, "8" + zeros(63)},        // target 1: 2^255
		{0x03000001, "8" + zeros(63)},        // also target 1
		{0x1e040000, "3fffff"},               // 2^256/(2^234+1)
		{0x2100ffff, "1"},                    // target 0xffff<<240
		{0x220000ff, "1"},                    // target 0xff<<248
		{0x00000000, "0"}, {0x04923456, "0"}, // invalid: zero work
		{0xff123456, "0"},
	}
	for _, c := range cases {
		if got := CalcWork(c.bits); got.Cmp(hexBig(t, c.want)) != 0 {
			t.Errorf("CalcWork(%08x) = %x, want %s", c.bits, got, c.want)
		}
	}
	// Cross-check the definition for every network's genesis bits.
	for _, p := range []*Params{MainNet(), TestNet(), RegTest()} {
		for _, c := range []*ChainParams{&p.Metadata, &p.Auction} {
			target, _ := CompactToBig(c.GenesisBits)
			want := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 256), new(big.Int).Add(target, big.NewInt(1)))
			if got := CalcWork(c.GenesisBits); got.Cmp(want) != 0 {
				t.Errorf("%s/%s: CalcWork %s, want %s", p.Name, c.Kind, got, want)
			}
		}
	}
}

func TestCalcWorkMonotonic(t *testing.T) {
	// Targets from hardest to easiest: work must not increase.
	rng := rand.New(rand.NewPCG(5, 6))
	targets := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(0xffff)}
	for i := 0; i < 2000; i++ {
		var buf [32]byte
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		x := new(big.Int).SetBytes(buf[:])
		x.Rsh(x, uint(rng.IntN(256)))
		if x.Sign() > 0 {
			targets = append(targets, x)
		}
	}
	type tw struct {
		bits   uint32
		target *big.Int
	}
	var all []tw
	for _, x := range targets {
		b := BigToCompact(x)
		tgt, _ := CompactToBig(b)
		all = append(all, tw{b, tgt})
	}
	slices.SortFunc(all, func(a, b tw) int { return a.target.Cmp(b.target) })
	for i := 1; i < len(all); i++ {
		if CalcWork(all[i].bits).Cmp(CalcWork(all[i-1].bits)) > 0 {
			t.Fatalf("easier %08x has more work than %08x", all[i].bits, all[i-1].bits)
		}
	}
	// Strictly more work for a clearly harder target.
	ordered := []uint32{0x207fffff, 0x1f00ffff, 0x1e0fffff, 0x1e080000, 0x1e040000, 0x1d00ffff, 0x1b0404cb, 0x01010000}
	for i := 1; i < len(ordered); i++ {
		if CalcWork(ordered[i]).Cmp(CalcWork(ordered[i-1])) <= 0 {
			t.Errorf("%08x (harder) does not have more work than %08x", ordered[i], ordered[i-1])
		}
	}
	// Halving the target roughly doubles the work.
	a, b := CalcWork(0x1e080000), CalcWork(0x1e040000)
	if d := new(big.Int).Sub(new(big.Int).Lsh(a, 1), b); d.CmpAbs(big.NewInt(2)) > 0 {
		t.Errorf("work %s at half the target of work %s is not double", b, a)
	}
}

func hashOf(n *big.Int) wire.Hash {
	var h wire.Hash
	n.FillBytes(h[:])
	return h
}

func TestCheckProofOfWork(t *testing.T) {
	limit := targetFromBits(0x207fffff)
	mainLimit := targetFromBits(0x1f00ffff)
	target := targetFromBits(0x1e0fffff)
	plus1 := new(big.Int).Add(target, big.NewInt(1))
	var ones wire.Hash
	for i := range ones {
		ones[i] = 0xff
	}
	cases := []struct {
		name  string
		hash  wire.Hash
		bits  uint32
		limit *big.Int
		want  error
	}{
		{"zero hash meets target", wire.Hash{}, 0x1e0fffff, limit, nil},
		{"small hash meets target", wire.Hash{0x00, 0x00, 0x00, 0x01}, 0x1e0fffff, limit, nil},
		{"hash equal to target", hashOf(target), 0x1e0fffff, limit, nil},
		{"hash target+1", hashOf(plus1), 0x1e0fffff, limit, ErrHighHash},
		{"all-ones hash", ones, 0x207fffff, limit, ErrHighHash},
		{"high first byte", wire.Hash{0x80}, 0x207fffff, limit, ErrHighHash},
		{"bits at limit", wire.Hash{0x7f}, 0x207fffff, limit, nil},
		{"main bits at limit", wire.Hash{0x00, 0x00, 0xff}, 0x1f00ffff, mainLimit, nil},
		{"main bits one step above limit", wire.Hash{}, 0x1f010000, mainLimit, ErrBitsOutOfRange},
		{"easier than limit", wire.Hash{}, 0x2100ffff, limit, ErrBitsOutOfRange},
		{"regtest bits on main", wire.Hash{}, 0x207fffff, mainLimit, ErrBitsOutOfRange},
		{"negative", wire.Hash{}, 0x1d800001, limit, ErrBitsOutOfRange},
		{"negative 0x04923456", wire.Hash{}, 0x04923456, limit, ErrBitsOutOfRange},
		{"zero bits", wire.Hash{}, 0x00000000, limit, ErrBitsOutOfRange},
		{"zero mantissa", wire.Hash{}, 0x1d000000, limit, ErrBitsOutOfRange},
		{"shifts to zero", wire.Hash{}, 0x01003456, limit, ErrBitsOutOfRange},
		{"negative zero", wire.Hash{}, 0x04800000, limit, ErrBitsOutOfRange},
		{"overflow 0xff", wire.Hash{}, 0xff7fffff, limit, ErrBitsOutOfRange},
		{"overflow 257 bits", wire.Hash{}, 0x21010000, limit, ErrBitsOutOfRange},
		{"overflow 0x23", wire.Hash{}, 0x23000001, limit, ErrBitsOutOfRange},
	}
	for _, c := range cases {
		err := CheckProofOfWork(c.hash, c.bits, c.limit)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: unexpected %v", c.name, err)
			}
			continue
		}
		var re RuleError
		if !errors.Is(err, c.want) || !errors.As(err, &re) || re.Kind != c.want {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// TestHashToBigBigEndian: the first byte is the most significant.
func TestHashToBigBigEndian(t *testing.T) {
	if HashToBig(wire.Hash{0x01}).Cmp(new(big.Int).Lsh(big.NewInt(1), 248)) != 0 {
		t.Error("first byte is not the most significant")
	}
	var h wire.Hash
	h[31] = 0x02
	if HashToBig(h).Int64() != 2 {
		t.Error("last byte is not the least significant")
	}
}

func BenchmarkCheckProofOfWork(b *testing.B) {
	limit := targetFromBits(0x207fffff)
	valid := wire.DoubleSHA256([]byte("thingchain"))
	valid[0], valid[1], valid[2] = 0, 0, 0 // below the 0x1e0fffff target
	high := valid
	high[0] = 0xff
	b.Run("valid", func(b *testing.B) {
		for b.Loop() {
			if err := CheckProofOfWork(valid, 0x1e0fffff, limit); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("high-hash", func(b *testing.B) {
		for b.Loop() {
			if err := CheckProofOfWork(high, 0x1e0fffff, limit); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

func BenchmarkCalcWork(b *testing.B) {
	for b.Loop() {
		_ = CalcWork(0x1e0fffff)
	}
}
