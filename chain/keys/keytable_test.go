package keys

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// curveOrder is N, big-endian.
var curveOrder = [32]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41}

func mustTable(t testing.TB, pub PubKey) *KeyTable {
	t.Helper()
	tab, err := NewKeyTable(pub)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// scalarBytes returns v as 32 big-endian bytes.
func scalarBytes(v *secp256k1.ModNScalar) [32]byte { return v.Bytes() }

// encodeSig builds our r||s encoding, moving s to the lower half as Sign
// does (−s verifies as s does: it negates u1·G + u2·Q, whose x is the
// same).
func encodeSig(r, s *secp256k1.ModNScalar) Signature {
	var out Signature
	if s.IsOverHalfOrder() {
		s = new(secp256k1.ModNScalar).NegateVal(s)
	}
	r.PutBytesUnchecked(out[:32])
	s.PutBytesUnchecked(out[32:])
	return out
}

// signWithNonce is textbook ECDSA with a chosen nonce k and a chosen
// message scalar e, so tests can steer the verifier into its corners.
func signWithNonce(d, k, e *secp256k1.ModNScalar) Signature {
	var R secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(k, &R)
	R.ToAffine()
	xb := R.X.Bytes()
	var r secp256k1.ModNScalar
	r.SetBytes(xb) // x mod N
	var s secp256k1.ModNScalar
	s.Mul2(&r, d).Add(e).Mul(new(secp256k1.ModNScalar).InverseValNonConst(k))
	return encodeSig(&r, &s)
}

// verifierCase is one (key, hash, signature) the table verifier and the
// plain verifier must agree on.
type verifierCase struct {
	name string
	h    [32]byte
	sig  Signature
}

// corruptions returns the valid (h, sig) followed by the ways of
// breaking it that each rule of the verifier catches.
func corruptions(rng *rand.Rand, other *PrivateKey, h [32]byte, sig Signature) []verifierCase {
	cases := []verifierCase{{"valid", h, sig}}
	mod := func(name string, f func(h *[32]byte, s *Signature)) {
		hh, ss := h, sig
		f(&hh, &ss)
		cases = append(cases, verifierCase{name, hh, ss})
	}
	setR := func(v [32]byte) func(*[32]byte, *Signature) {
		return func(_ *[32]byte, s *Signature) { copy(s[:32], v[:]) }
	}
	setS := func(v [32]byte) func(*[32]byte, *Signature) {
		return func(_ *[32]byte, s *Signature) { copy(s[32:], v[:]) }
	}
	plus := func(v [32]byte, n byte) [32]byte { // v + n, no wrap needed for the values used
		for i := 31; i >= 0 && n != 0; i-- {
			sum := uint16(v[i]) + uint16(n)
			v[i], n = byte(sum), byte(sum>>8)
		}
		return v
	}
	var ones, zero [32]byte
	for i := range ones {
		ones[i] = 0xff
	}
	mod("hash bit", func(h *[32]byte, _ *Signature) { h[rng.IntN(32)] ^= 1 << rng.IntN(8) })
	mod("hash+1", func(h *[32]byte, _ *Signature) { *h = plus(*h, 1) })
	mod("r bit", func(_ *[32]byte, s *Signature) { s[rng.IntN(32)] ^= 1 << rng.IntN(8) })
	mod("s bit", func(_ *[32]byte, s *Signature) { s[32+rng.IntN(32)] ^= 1 << rng.IntN(8) })
	mod("r+1", func(_ *[32]byte, s *Signature) { r := plus([32]byte(s[:32]), 1); copy(s[:32], r[:]) })
	mod("high s", func(_ *[32]byte, s *Signature) { highS(s, curveOrder) })
	mod("r zero", setR(zero))
	mod("s zero", setS(zero))
	mod("r = N", setR(curveOrder))
	mod("r = N+1", setR(plus(curveOrder, 1)))
	mod("r all ones", setR(ones))
	mod("s = N", setS(curveOrder))
	mod("s all ones", setS(ones))
	mod("s = r", func(_ *[32]byte, s *Signature) { copy(s[32:], s[:32]) })
	mod("swapped", func(_ *[32]byte, s *Signature) {
		var t [32]byte
		copy(t[:], s[:32])
		copy(s[:32], s[32:])
		copy(s[32:], t[:])
	})
	mod("other key's signature", func(h *[32]byte, s *Signature) { *s = other.Sign(*h) })
	return cases
}

// checkAgree fails t unless the table and the plain verifiers give the
// same answer on c, and counts the answers.
func checkAgree(t *testing.T, tab *KeyTable, c verifierCase, valid, invalid *int) {
	t.Helper()
	got, want := tab.Verify(c.h, c.sig), VerifyPureGo(tab.PubKey(), c.h, c.sig)
	if got != want {
		t.Fatalf("key %s, %s (hash %x, sig %s): table says %v, plain verifier says %v", tab.PubKey(), c.name, c.h, c.sig, got, want)
	}
	if got != (Verify(tab.PubKey(), c.h, c.sig)) {
		t.Fatalf("key %s, %s: build's verifier (%s) disagrees with pure Go", tab.PubKey(), c.name, VerifyBackend)
	}
	if got {
		*valid++
	} else {
		*invalid++
	}
}

// TestKeyTableAgreesWithVerify compares the table verifier with the plain
// one over random keys and messages, every corruption of corruptions and
// the corner cases of the algorithm: e ≡ 0 (u1 = 0), u1·G = u2·Q (the
// halves are equal), u1·G = −u2·Q (the sum is infinity), and signatures
// whose R has x ≥ N, so that only the r + N branch accepts them.
func TestKeyTableAgreesWithVerify(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 5))
	nKeys, perKey, steered := 24, 8, 6
	if testing.Short() {
		nKeys, perKey, steered = 3, 3, 2
	}
	var valid, invalid int
	for i := range nKeys {
		k, other := testKey(t, 5000+i), testKey(t, 6000+i)
		tab := mustTable(t, k.PubKey())
		var hashes [][32]byte
		for j := range perKey {
			hashes = append(hashes, sha256.Sum256(binary.LittleEndian.AppendUint64([]byte{byte(i)}, rng.Uint64()+uint64(j))))
		}
		var ones [32]byte
		for j := range ones {
			ones[j] = 0xff
		}
		hashes = append(hashes, [32]byte{}, curveOrder, ones) // e = 0, e = 0 (N mod N), e ≥ N
		for _, h := range hashes {
			for _, c := range corruptions(rng, other, h, k.Sign(h)) {
				checkAgree(t, tab, c, &valid, &invalid)
			}
		}

		// Corners steered with a chosen nonce; d is the private key.
		var d, kk, e, r secp256k1.ModNScalar
		db := k.Bytes()
		d.SetByteSlice(db)
		clear(db)
		kk.SetInt(uint32(rng.Uint32() | 1))
		kk.Mul(&d) // some nonce
		var R secp256k1.JacobianPoint
		secp256k1.ScalarBaseMultNonConst(&kk, &R)
		R.ToAffine()
		xb := R.X.Bytes()
		r.SetBytes(xb)
		// u1·G = u2·Q: e = r·d, so e·w·G = r·w·d·G. Valid, and both halves equal.
		e.Mul2(&r, &d)
		sig := signWithNonce(&d, &kk, &e)
		eb := scalarBytes(&e)
		before := valid
		for _, c := range corruptions(rng, other, eb, sig) {
			checkAgree(t, tab, c, &valid, &invalid)
		}
		if valid == before {
			t.Fatalf("key %d: the equal-halves signature was not valid", i)
		}
		// u1·G = −u2·Q: e = −r·d; any s then sums to infinity, which both refuse.
		e.Mul2(&r, &d).Negate()
		var s secp256k1.ModNScalar
		s.SetInt(uint32(rng.Uint32() | 1))
		eb = scalarBytes(&e)
		inf := verifierCase{"u1·G = −u2·Q", eb, encodeSig(&r, &s)}
		before = invalid
		checkAgree(t, tab, inf, &valid, &invalid)
		if invalid == before {
			t.Fatal("a signature summing to infinity was accepted")
		}
	}
	for i := range steered {
		c, tab := steeredCase(t, rng, i, true)
		before := valid
		for _, cc := range corruptions(rng, testKey(t, 2), c.h, c.sig) {
			checkAgree(t, tab, cc, &valid, &invalid)
		}
		if valid != before+1 {
			t.Fatalf("wrap case %d: %d valid among its corruptions, want exactly the original", i, valid-before)
		}
		c, tab = steeredCase(t, rng, i, false)
		before = invalid
		checkAgree(t, tab, c, &valid, &invalid)
		if invalid != before+1 {
			t.Fatalf("r + N ≥ P case %d was accepted", i)
		}
	}
	if valid < nKeys*(perKey+3) || invalid < nKeys*(perKey+3)*10 {
		t.Fatalf("valid %d, invalid %d: corruptions did not corrupt", valid, invalid)
	}
	t.Logf("%d valid, %d invalid signatures, table and plain verifier agree", valid, invalid)
}

// steeredCase makes a signature whose point R = u1·G + u2·Q is chosen
// first. No nonce is known for such an R, so the key is derived instead:
// pick R, u1 and u2, set Q = u2^-1·(R − u1·G), s = r·u2^-1, e = u1·s.
//
// With wrap, x(R) ≥ N and r = x − N: a valid signature that only step 10
// of the check (r + N) accepts. Without, x(R) is small and r = x + P − N,
// so r + N wraps past P to x: an invalid signature that only step 9
// (r + N ≥ P) refuses.
func steeredCase(t *testing.T, rng *rand.Rand, i int, wrap bool) (verifierCase, *KeyTable) {
	t.Helper()
	var start [32]byte // x = start + δ for the first small δ with x³ + 7 a square mod P
	if wrap {
		start = curveOrder
	}
	var xb [32]byte
	var R secp256k1.JacobianPoint
	for delta := uint64(1 + 1000*i); ; delta++ {
		var x, y, d secp256k1.FieldVal
		x.SetBytes(&start)
		x.Add(d.SetInt(uint16(delta))).Normalize()
		if secp256k1.DecompressY(&x, false, &y) {
			xb = *x.Bytes()
			R = secp256k1.MakeJacobianPoint(&x, &y, new(secp256k1.FieldVal).SetInt(1))
			break
		}
	}
	var u1, u2, r secp256k1.ModNScalar
	u1.SetInt(uint32(rng.Uint32() | 1)).Mul(new(secp256k1.ModNScalar).SetInt(uint32(rng.Uint32() | 1)))
	u2.SetInt(uint32(rng.Uint32() | 1))
	if wrap {
		if overflow := r.SetBytes(&xb); overflow == 0 { // r = x − N
			t.Fatal("x was meant to be at least N")
		}
	} else {
		// r = x + (P − N).
		var pn [32]byte
		new(big.Int).Sub(secp256k1.Params().P, secp256k1.Params().N).FillBytes(pn[:])
		var pMinusN, x secp256k1.ModNScalar
		pMinusN.SetBytes(&pn)
		x.SetBytes(&xb)
		r.Add2(&x, &pMinusN)
	}
	// Q = u2^-1·(R − u1·G).
	var u1G, diff, Q secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&u1, &u1G)
	u1G.Y.Negate(1).Normalize()
	secp256k1.AddNonConst(&R, &u1G, &diff)
	u2inv := new(secp256k1.ModNScalar).InverseValNonConst(&u2)
	secp256k1.ScalarMultNonConst(u2inv, &diff, &Q)
	Q.ToAffine()
	pub := PubKey(secp256k1.NewPublicKey(&Q.X, &Q.Y).SerializeCompressed())
	var s, e secp256k1.ModNScalar
	s.Mul2(&r, u2inv)
	e.Mul2(&u1, &s)
	name := "r + N ≥ P"
	if wrap {
		name = "r + N"
	}
	return verifierCase{name, scalarBytes(&e), encodeSig(&r, &s)}, mustTable(t, pub)
}

// TestKeyTableRefusesBadKey: a table is built only for a valid compressed key.
func TestKeyTableRefusesBadKey(t *testing.T) {
	pub := testKey(t, 1).PubKey()
	bad := pub
	bad[0] = 0x04
	if _, err := NewKeyTable(bad); err == nil {
		t.Fatal("a table was built for a key with prefix 0x04")
	}
	var zero PubKey
	zero[0] = 0x02
	if _, err := NewKeyTable(zero); err == nil {
		t.Fatal("a table was built for x = 0, which is not on the curve")
	}
}

// FuzzKeyTableVerify compares the table verifier with the plain one on
// arbitrary hashes and signatures for a few fixed keys.
func FuzzKeyTableVerify(f *testing.F) {
	ks := []*PrivateKey{testKey(f, 71), testKey(f, 72), testKey(f, 73)}
	tabs := make([]*KeyTable, len(ks))
	for i, k := range ks {
		tabs[i] = mustTable(f, k.PubKey())
		h := sha256.Sum256([]byte{byte(i)})
		sig := k.Sign(h)
		f.Add(uint8(i), h[:], sig[:])
		f.Add(uint8(i+1), h[:], sig[:]) // another key's
	}
	f.Add(uint8(0), make([]byte, 32), make([]byte, 64))
	f.Add(uint8(0), curveOrder[:], append(curveOrder[:], curveOrder[:]...))
	f.Fuzz(func(t *testing.T, which uint8, hb, sb []byte) {
		if len(hb) != 32 || len(sb) != SignatureSize {
			return
		}
		tab := tabs[int(which)%len(tabs)]
		h, sig := [32]byte(hb), Signature(sb)
		if got, want := tab.Verify(h, sig), VerifyPureGo(tab.PubKey(), h, sig); got != want {
			t.Fatalf("key %s hash %x sig %s: table says %v, plain verifier %v", tab.PubKey(), h, sig, got, want)
		}
	})
}

// TestCombRecode: the signed digits of a scalar sum back to it, each in
// (−half, half], for both table shapes and edge scalars.
func TestCombRecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var scalars [][32]byte
	nMinus1 := new(big.Int).Sub(secp256k1.Params().N, big.NewInt(1))
	var b [32]byte
	nMinus1.FillBytes(b[:])
	scalars = append(scalars, [32]byte{}, [32]byte{31: 1}, b, [32]byte{0: 0x80}, [32]byte{0: 0x7f, 1: 0xff})
	for range 2000 {
		var r [32]byte
		for i := range r {
			r[i] = byte(rng.Uint32())
		}
		scalars = append(scalars, r)
	}
	for _, bits := range []int{keyCombBits, baseCombBits, 4, 8, 9} {
		c := &comb{bits: bits, windows: combWindows(bits), half: 1 << (bits - 1)}
		digits := make([]int, c.windows)
		for _, sb := range scalars {
			var k secp256k1.ModNScalar
			k.SetBytes(&sb) // reduced mod N
			c.recode(&k, digits)
			sum := new(big.Int)
			for i := c.windows - 1; i >= 0; i-- {
				if digits[i] <= -c.half || digits[i] > c.half {
					t.Fatalf("bits %d: digit %d = %d out of (−%d, %d]", bits, i, digits[i], c.half, c.half)
				}
				sum.Lsh(sum, uint(bits)).Add(sum, big.NewInt(int64(digits[i])))
			}
			kb := k.Bytes()
			if want := new(big.Int).SetBytes(kb[:]); sum.Cmp(want) != 0 {
				t.Fatalf("bits %d: digits of %x sum to %x", bits, want, sum)
			}
		}
	}
}
