package auctiontx

import (
	"math/bits"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger/ledgertx"
)

// TotalPrice is a bid's or reserve's total: per-point × points, refusing
// overflow (ledger's ErrOverflow).
func TotalPrice(perPoint, points uint64) (uint64, error) {
	hi, lo := bits.Mul64(perPoint, points)
	if hi != 0 {
		return 0, consensus.RuleErrorf(ledgertx.ErrOverflow, "%d per point × %d points exceeds 2^64-1 units", perPoint, points)
	}
	return lo, nil
}

// Bond is the least deposit for a total price: ⌈total × permille / 1000⌉
// (permille is consensus.AuctionParams.BondPermille).
func Bond(total, permille uint64) uint64 {
	hi, lo := bits.Mul64(total, permille)
	lo, c := bits.Add64(lo, 999, 0)
	hi += c
	q, _ := bits.Div64(hi, lo, 1000)
	return q
}
