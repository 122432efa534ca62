package consensus

import (
	"math/big"

	"github.com/thingchain/thingchain/chain/wire"
)

// CompactToBig expands Bitcoin's compact "bits" form (a base-256 mantissa
// and exponent) into a target. The bool reports a negative or overflowing
// encoding, which no valid header may use.
func CompactToBig(bits uint32) (*big.Int, bool) {
	mantissa := bits & 0x007fffff
	negative := bits&0x00800000 != 0
	exponent := uint(bits >> 24)
	var n *big.Int
	if exponent <= 3 {
		n = big.NewInt(int64(mantissa >> (8 * (3 - exponent))))
	} else {
		n = big.NewInt(int64(mantissa))
		n.Lsh(n, 8*(exponent-3))
	}
	ok := !(negative && mantissa != 0) && n.BitLen() <= 256
	return n, ok
}

// BigToCompact encodes a non-negative target in compact form, rounding down.
func BigToCompact(n *big.Int) uint32 {
	if n.Sign() <= 0 {
		return 0
	}
	exponent := uint32(len(n.Bytes()))
	var mantissa uint32
	if exponent <= 3 {
		mantissa = uint32(n.Uint64()) << (8 * (3 - exponent))
	} else {
		mantissa = uint32(new(big.Int).Rsh(n, uint(8*(exponent-3))).Uint64())
	}
	// The 0x00800000 bit is the sign; keep the mantissa positive.
	if mantissa&0x00800000 != 0 {
		mantissa >>= 8
		exponent++
	}
	return exponent<<24 | mantissa
}

// HashToBig reads a block hash as a big-endian 256-bit number. Big-endian
// means a hash with more leading zero hex digits is numerically smaller, so
// the displayed hash shows its work.
func HashToBig(h wire.Hash) *big.Int { return new(big.Int).SetBytes(h[:]) }

var oneLsh256 = new(big.Int).Lsh(big.NewInt(1), 256)

// CalcWork is the expected number of hashes to find a block at bits:
// 2^256 / (target + 1). Invalid bits count as zero work.
func CalcWork(bits uint32) *big.Int {
	target, ok := CompactToBig(bits)
	if !ok || target.Sign() <= 0 {
		return new(big.Int)
	}
	return new(big.Int).Div(oneLsh256, target.Add(target, big.NewInt(1)))
}

// CheckProofOfWork checks that bits is a valid target no easier than
// powLimit and that hash meets it.
func CheckProofOfWork(hash wire.Hash, bits uint32, powLimit *big.Int) error {
	target, ok := CompactToBig(bits)
	if !ok || target.Sign() <= 0 {
		return RuleErrorf(ErrBitsOutOfRange, "bits %08x encode an invalid target", bits)
	}
	if target.Cmp(powLimit) > 0 {
		return RuleErrorf(ErrBitsOutOfRange, "target of bits %08x is easier than the proof-of-work limit", bits)
	}
	if HashToBig(hash).Cmp(target) > 0 {
		return RuleErrorf(ErrHighHash, "block hash %s is above target %064x", hash, target)
	}
	return nil
}
