package consensus

import "math/big"

// NextBits computes the difficulty of the block after a parent with the
// ASERT rule of Bitcoin Cash's aserti3-2d: the target doubles for every
// half-life the chain falls behind its ideal schedule and halves for every
// half-life it runs ahead. The schedule depends only on header heights and
// times, so a header chain is checked without state, and a burst of blocks
// or a pause corrects smoothly, which suits small networks.
//
// The anchor is block 1, not genesis: genesis carries a fixed timestamp
// that may be months old when a network first starts, and anchoring there
// would leave difficulty at the limit until the chain caught up with a
// schedule nobody was mining. Blocks 1 and 2 are mined at GenesisBits;
// after that the parent at height h is expected at
// anchorTime + (h-1)*TargetSpacing.
//
// Times are Unix milliseconds; anchorTime is block 1's timestamp on the
// parent's branch.
func NextBits(p *ChainParams, anchorTime int64, parentHeight uint64, parentTime int64) uint32 {
	if p.NoRetarget || parentHeight <= 1 {
		return p.GenesisBits
	}
	anchorTarget, _ := CompactToBig(p.GenesisBits)
	spacing := p.TargetSpacing.Milliseconds()
	halfLife := p.ASERTHalfLife.Milliseconds()
	// Both differences are taken in big.Int: parentTime-anchorTime can
	// overflow int64 and parentHeight-1 can exceed it.
	timeDelta := new(big.Int).Sub(big.NewInt(parentTime), big.NewInt(anchorTime))
	blocksAfterAnchor := new(big.Int).SetUint64(parentHeight - 1)

	// exponent in 16.16 fixed point. big.Int avoids overflow for absurd
	// timestamps; validation has already bounded them, but this must not
	// panic or wrap for any input.
	num := new(big.Int).Sub(timeDelta, new(big.Int).Mul(big.NewInt(spacing), blocksAfterAnchor))
	num.Lsh(num, 16)
	exponent := quoFloor(num, big.NewInt(halfLife))

	shifts := new(big.Int).Rsh(exponent, 16) // floor division by 65536
	frac := new(big.Int).Sub(exponent, new(big.Int).Lsh(shifts, 16)).Uint64()

	// 2^(frac/65536) ≈ 1 + cubic polynomial, the constants of aserti3-2d.
	f := new(big.Int).SetUint64(195766423245049 * frac)
	f.Add(f, new(big.Int).SetUint64(971821376*frac*frac))
	f.Add(f, new(big.Int).Mul(big.NewInt(5127), new(big.Int).SetUint64(frac*frac*frac)))
	f.Add(f, new(big.Int).Lsh(big.NewInt(1), 47))
	f.Rsh(f, 48)
	factor := f.Add(f, big.NewInt(65536))

	next := new(big.Int).Mul(anchorTarget, factor)
	if shifts.Sign() >= 0 {
		if shifts.Cmp(big.NewInt(512)) > 0 {
			return BigToCompact(p.PowLimit)
		}
		next.Lsh(next, uint(shifts.Int64()))
	} else {
		s := new(big.Int).Neg(shifts)
		if s.Cmp(big.NewInt(512)) > 0 {
			next.SetInt64(0)
		} else {
			next.Rsh(next, uint(s.Int64()))
		}
	}
	next.Rsh(next, 16)
	if next.Sign() == 0 {
		next.SetInt64(1)
	}
	if next.Cmp(p.PowLimit) > 0 {
		next.Set(p.PowLimit)
	}
	return BigToCompact(next)
}

// quoFloor divides rounding towards negative infinity, as the ASERT
// reference does with arithmetic shifts.
func quoFloor(a, b *big.Int) *big.Int {
	q, m := new(big.Int).QuoRem(a, b, new(big.Int))
	if m.Sign() != 0 && (m.Sign() < 0) != (b.Sign() < 0) {
		q.Sub(q, big.NewInt(1))
	}
	return q
}
