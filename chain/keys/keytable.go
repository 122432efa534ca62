package keys

import (
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Shape of a KeyTable: the 256-bit scalar u2 is cut into tableWindows
// digits of tableBits bits, and the table holds every non-zero digit's
// multiple of Q for every window, so u2·Q is one mixed addition per
// non-zero digit. Eight-bit windows (dcrd's layout for G) give 32
// additions for 650 KB of table; four-bit windows would give 64
// additions for 77 KB (docs/performance.md, "Initial sync pipeline").
const (
	tableBits    = 8
	tableWindows = 256 / tableBits
	tableDigits  = 1<<tableBits - 1 // non-zero digits per window
)

// affinePoint is a curve point with z = 1, stored without z to keep
// tables small.
type affinePoint struct{ x, y secp256k1.FieldVal }

// KeyTable verifies signatures by one fixed public key Q with a
// precomputed fixed-base table for Q, which makes u2·Q in the ECDSA check
// cost tableWindows mixed additions instead of a full variable-base scalar
// multiplication. It accepts exactly the signatures Verify accepts for Q
// (same encoding, range and low-S rules; the x-coordinate check is
// dcrd's, step for step): only the method of computing u2·Q differs, and
// the group element is the same. Safe for concurrent use; immutable after
// NewKeyTable.
type KeyTable struct {
	pub PubKey
	// points[i][d-1] = d · 2^(tableBits·(tableWindows-1-i)) · Q: window 0
	// holds the most significant digit.
	points [tableWindows][tableDigits]affinePoint
}

// KeyTableBytes is the memory one KeyTable holds.
const KeyTableBytes = tableWindows * tableDigits * 80

// NewKeyTable builds the table for pub (tableWindows·tableDigits point
// additions and one batched inversion; BenchmarkKeyTableBuild).
func NewKeyTable(pub PubKey) (*KeyTable, error) {
	key, err := pub.secp()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPubKey, err)
	}
	var base secp256k1.JacobianPoint
	key.AsJacobian(&base)
	return newKeyTable(pub, &base), nil
}

func newKeyTable(pub PubKey, q *secp256k1.JacobianPoint) *KeyTable {
	const n = tableWindows * tableDigits
	jac := make([]secp256k1.JacobianPoint, n)
	base := *q // 2^(tableBits·k)·Q for the window being filled
	for i := tableWindows - 1; i >= 0; i-- {
		row := jac[i*tableDigits : (i+1)*tableDigits]
		row[0] = base
		for d := 1; d < tableDigits; d++ {
			secp256k1.AddNonConst(&row[d-1], &base, &row[d])
		}
		// The next window's base is 2^tableBits·base = (2^tableBits−1)·base + base.
		var next secp256k1.JacobianPoint
		secp256k1.AddNonConst(&row[tableDigits-1], &base, &next)
		base = next
	}
	// Every multiple is below the group order and Q is not the point at
	// infinity, so no entry is infinity and every z is invertible. One
	// inversion serves them all (Montgomery's trick): prefix[k] = z_0…z_k.
	prefix := make([]secp256k1.FieldVal, n)
	prefix[0].Set(&jac[0].Z)
	for k := 1; k < n; k++ {
		prefix[k].Mul2(&prefix[k-1], &jac[k].Z)
	}
	var inv secp256k1.FieldVal // (z_0…z_k)^-1, walking k down
	inv.Set(&prefix[n-1]).Normalize().Inverse()
	t := &KeyTable{pub: pub}
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
		p := &t.points[k/tableDigits][k%tableDigits]
		p.x.Mul2(&jac[k].X, &zInv2).Normalize()
		p.y.Mul2(&jac[k].Y, &zInv3).Normalize()
	}
	return t
}

// PubKey returns the key the table is for.
func (t *KeyTable) PubKey() PubKey { return t.pub }

// mulAdd sets x = x + k·Q.
func (t *KeyTable) mulAdd(k *secp256k1.ModNScalar, x *secp256k1.JacobianPoint) {
	kb := k.Bytes()
	var p secp256k1.JacobianPoint
	p.Z.SetInt(1)
	for i := range tableWindows {
		d := digit(&kb, i)
		if d == 0 {
			continue
		}
		a := &t.points[i][d-1]
		p.X, p.Y = a.x, a.y
		secp256k1.AddNonConst(x, &p, x)
	}
}

// digit returns window i's digit of the big-endian scalar kb.
func digit(kb *[32]byte, i int) int {
	if tableBits == 8 {
		return int(kb[i])
	}
	const perByte = 8 / tableBits
	b := kb[i/perByte]
	shift := tableBits * (perByte - 1 - i%perByte)
	return int(b>>shift) & (1<<tableBits - 1)
}

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
	// x-coordinate check), except that u2·Q comes from the table.
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
	// 5. X = u1·G + u2·Q.
	var X secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&u1, &X)
	t.mulAdd(&u2, &X)
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
