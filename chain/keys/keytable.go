package keys

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Shapes of the fixed-base tables (combs). A scalar is recoded into
// signed digits of combBits bits, one per window, so a multiple k·P is
// one mixed addition per non-zero digit, with the table holding
// d·2^(combBits·i)·P for d = 1…2^(combBits−1) in every window i (a negative
// digit negates y). A key's table and G's (shared by the process) both
// use 12-bit windows: 22 additions each for 3.6 MiB each, where dcrd's own
// table for G takes 32 additions and u2·Q a full scalar multiplication.
// Smaller windows were measured slower (docs/performance.md, "Initial sync
// pipeline").
const (
	keyCombBits  = 12
	baseCombBits = 12
)

// affinePoint is a curve point with z = 1, stored without z to keep
// tables small.
type affinePoint struct{ x, y secp256k1.FieldVal }

// comb is a fixed-base table for one point P.
type comb struct {
	bits, windows, half int
	// points[i*half + |d| − 1] = |d| · 2^(bits·i) · P.
	points []affinePoint
}

// combWindows is how many signed digits of bits bits a 256-bit scalar
// needs: the recoding may carry one into a window above the top bit.
func combWindows(bits int) int { return (256 + bits) / bits }

// newComb builds the table for P (windows·half point additions and one
// batched inversion).
func newComb(p *secp256k1.JacobianPoint, bits int) *comb {
	c := &comb{bits: bits, windows: combWindows(bits), half: 1 << (bits - 1)}
	n := c.windows * c.half
	jac := make([]secp256k1.JacobianPoint, n)
	base := *p // 2^(bits·i)·P for the window being filled
	for i := range c.windows {
		// With base affine (one inversion per window), each step of the
		// row is a mixed addition, cheaper than a generic one.
		base.ToAffine()
		row := jac[i*c.half : (i+1)*c.half]
		row[0] = base
		for d := 1; d < c.half; d++ {
			secp256k1.AddNonConst(&row[d-1], &base, &row[d])
		}
		// The next window's base is 2^bits·base = 2·(half·base).
		secp256k1.DoubleNonConst(&row[c.half-1], &base)
	}
	// P has prime order N (the cofactor is 1) and N, an odd prime, divides
	// no d·2^(bits·i), so no entry is the point at infinity (and no step
	// of a row adds a point to its negation): every z is invertible. One inversion serves them all (Montgomery's trick):
	// prefix[k] = z_0…z_k.
	prefix := make([]secp256k1.FieldVal, n)
	prefix[0].Set(&jac[0].Z)
	for k := 1; k < n; k++ {
		prefix[k].Mul2(&prefix[k-1], &jac[k].Z)
	}
	var inv secp256k1.FieldVal // (z_0…z_k)^-1, walking k down
	inv.Set(&prefix[n-1]).Normalize().Inverse()
	c.points = make([]affinePoint, n)
	var zInv, zInv2, zInv3 secp256k1.FieldVal
	for k := n - 1; k >= 0; k-- {
		if k > 0 {
			zInv.Mul2(&inv, &prefix[k-1]) // z_k^-1
			inv.Mul(&jac[k].Z)
		} else {
			zInv.Set(&inv)
		}
		zInv2.SquareVal(&zInv)
		zInv3.Mul2(&zInv2, &zInv)
		c.points[k].x.Mul2(&jac[k].X, &zInv2).Normalize()
		c.points[k].y.Mul2(&jac[k].Y, &zInv3).Normalize()
	}
	return c
}

// bytes is the memory the table holds.
func (c *comb) bytes() int { return len(c.points) * 80 }

// recode writes k's signed digits, least significant window first:
// k = Σ digits[i]·2^(bits·i), each digit in (−half, half].
func (c *comb) recode(k *secp256k1.ModNScalar, digits []int) {
	kb := k.Bytes()
	var limbs [4]uint64 // little-endian 64-bit limbs of k
	for i := range limbs {
		for j := range 8 {
			limbs[i] |= uint64(kb[31-8*i-j]) << (8 * j)
		}
	}
	carry := 0
	for i := range c.windows {
		v := int(bitsAt(&limbs, i*c.bits, c.bits)) + carry
		if v > c.half {
			digits[i], carry = v-2*c.half, 1
		} else {
			digits[i], carry = v, 0
		}
	}
	if carry != 0 {
		panic("keys: comb recoding carried past its last window")
	}
}

// bitsAt returns n bits of the 256-bit number at bit pos (bits at or
// above 256 read as zero).
func bitsAt(limbs *[4]uint64, pos, n int) uint64 {
	if pos >= 256 {
		return 0
	}
	w, off := pos/64, pos%64
	v := limbs[w] >> off
	if off+n > 64 && w+1 < 4 {
		v |= limbs[w+1] << (64 - off)
	}
	return v & (1<<n - 1)
}

// mulAdd sets x = x + k·P.
func (c *comb) mulAdd(k *secp256k1.ModNScalar, x *secp256k1.JacobianPoint) {
	var digits [256]int
	c.recode(k, digits[:c.windows])
	// Load every entry this multiplication needs before the first
	// addition, so that the cache misses (the tables are megabytes)
	// overlap instead of each stalling its own addition.
	var idx [256]int
	var touch uint32
	for i, d := range digits[:c.windows] {
		if d < 0 {
			d = -d
		}
		if d != 0 {
			idx[i] = i*c.half + d - 1
			a := unsafe.Pointer(&c.points[idx[i]]) // both cache lines of the entry
			touch ^= *(*uint32)(a) ^ *(*uint32)(unsafe.Add(a, unsafe.Sizeof(affinePoint{})-4))
		}
	}
	if touch == 0xffffffff { // never: keeps the loads above
		panic("keys: impossible table byte")
	}
	var p secp256k1.JacobianPoint
	p.Z.SetInt(1)
	for i, d := range digits[:c.windows] {
		if d == 0 {
			continue
		}
		neg := d < 0
		a := &c.points[idx[i]]
		p.X, p.Y = a.x, a.y
		if neg {
			p.Y.Negate(1).Normalize()
		}
		secp256k1.AddNonConst(x, &p, x)
	}
}

// baseComb is G's table, built on first use.
var baseComb = sync.OnceValue(func() *comb {
	var g secp256k1.JacobianPoint
	g.X.SetByteSlice(secp256k1.Params().Gx.Bytes())
	g.Y.SetByteSlice(secp256k1.Params().Gy.Bytes())
	g.Z.SetInt(1)
	return newComb(&g, baseCombBits)
})

// KeyTable verifies signatures by one fixed public key Q with a
// precomputed fixed-base table for Q (and a process-wide one for G),
// which makes u1·G + u2·Q in the ECDSA check cost at most 44 mixed
// additions instead of dcrd's 32 for u1·G plus a full variable-base
// scalar multiplication for u2·Q. It accepts exactly the signatures
// Verify accepts for Q (same encoding, range and low-S rules; the
// x-coordinate check is dcrd's, step for step): only the way the point
// u1·G + u2·Q is computed differs, and the point is the same. Safe for
// concurrent use; immutable after NewKeyTable.
type KeyTable struct {
	pub PubKey
	q   *comb
}

// KeyTableBytes is the memory one KeyTable holds.
const KeyTableBytes = (256 + keyCombBits) / keyCombBits * (1 << (keyCombBits - 1)) * 80

// NewKeyTable builds the table for pub (BenchmarkKeyTableBuild).
func NewKeyTable(pub PubKey) (*KeyTable, error) {
	key, err := pub.secp()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPubKey, err)
	}
	var q secp256k1.JacobianPoint
	key.AsJacobian(&q)
	return newKeyTable(pub, &q, keyCombBits), nil
}

// newKeyTable builds a table for q with windows of bits bits (keyCombBits
// but in tests of the cache, which use small tables to build fast).
func newKeyTable(pub PubKey, q *secp256k1.JacobianPoint, bits int) *KeyTable {
	baseComb() // built with the first key's table, not on a verify
	return &KeyTable{pub: pub, q: newComb(q, bits)}
}

// PubKey returns the key the table is for.
func (t *KeyTable) PubKey() PubKey { return t.pub }

// orderAsField is the group order N as a field element, for the r + N case
// of the x-coordinate check.
var orderAsField = func() secp256k1.FieldVal {
	var b [32]byte
	secp256k1.Params().N.FillBytes(b[:])
	var f secp256k1.FieldVal
	f.SetBytes(&b)
	return f
}()

// Verify reports whether sig is a valid low-S signature of hash by the
// table's key: the same answer as Verify(t.PubKey(), hash, sig).
func (t *KeyTable) Verify(hash [32]byte, sig Signature) bool {
	// The steps are dcrd's ecdsa.Signature.Verify (algorithm 4.30 of
	// "Guide to Elliptic Curve Cryptography", with the inversion-free
	// x-coordinate check), except that u1·G + u2·Q comes from the tables.
	//
	// 1. r and s in [1, N-1], s ≤ N/2 (our encoding rules).
	r, s, ok := sig.scalars()
	if !ok {
		return false
	}
	// 2. e = H(m) mod N.
	var e secp256k1.ModNScalar
	e.SetByteSlice(hash[:])
	// 3, 4. w = s^-1, u1 = e·w, u2 = r·w.
	var w, u1, u2 secp256k1.ModNScalar
	w.InverseValNonConst(&s)
	u1.Mul2(&e, &w)
	u2.Mul2(&r, &w)
	// 5. X = u1·G + u2·Q (X starts as the point at infinity).
	var X secp256k1.JacobianPoint
	baseComb().mulAdd(&u1, &X)
	t.q.mulAdd(&u2, &X)
	// 6. Fail if X is the point at infinity.
	if (X.X.IsZero() && X.Y.IsZero()) || X.Z.IsZero() {
		return false
	}
	// 7, 8. Valid if r·z² == X.x (mod P), z = X.z.
	var z, rField, result secp256k1.FieldVal
	z.SquareVal(&X.Z)
	rb := r.Bytes()
	rField.SetBytes(&rb)
	result.Mul2(&rField, &z).Normalize()
	if result.Equals(&X.X) {
		return true
	}
	// 9. Fail if r + N ≥ P (then x = r + N is no field element).
	if rField.IsGtOrEqPrimeMinusOrder() {
		return false
	}
	// 10. Valid if (r + N)·z² == X.x (mod P).
	rField.Add(&orderAsField)
	result.Mul2(&rField, &z).Normalize()
	return result.Equals(&X.X)
}
