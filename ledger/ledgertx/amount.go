package ledgertx

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// Coin is the number of base units in one THG.
const Coin = 100_000_000

// FormatAmount renders base units as THG with up to 8 decimals.
func FormatAmount(units uint64) string {
	whole, frac := units/Coin, units%Coin
	if frac == 0 {
		return fmt.Sprintf("%d THG", whole)
	}
	s := fmt.Sprintf("%d.%08d", whole, frac)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s + " THG"
}

// ParseAmount reads an amount the one way every command and API client
// accepts it: THG as digits with at most 8 decimals ("12.5", "0.0001")
// or base units as digits followed by "u" ("1250000000u"). Nothing else
// is an amount: no sign, exponent, spaces or thousands separators, no
// fraction of a base unit ("12.5u", "0.000000001"), nothing above
// 2^64−1 base units. The error says which rule was broken.
func ParseAmount(s string) (uint64, error) {
	bad := func(format string, args ...any) (uint64, error) {
		return 0, fmt.Errorf("amount %q: %s", s, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return bad("empty: give THG like 12.5 or base units like 1250000000u")
	}
	switch {
	case s[0] == '-':
		return bad("negative amounts are not allowed")
	case s[0] == '+':
		return bad("write the number without a sign")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '.':
		case c == 'u' && i == len(s)-1:
		case c == 'e' || c == 'E':
			return bad("exponents are not allowed: write all the digits")
		default:
			return bad("unexpected %q: give THG like 12.5 or base units like 1250000000u", c)
		}
	}
	if units, ok := strings.CutSuffix(s, "u"); ok {
		if strings.Contains(units, ".") {
			return bad("base units are whole: a fraction of a base unit does not exist (1u = 0.00000001 THG)")
		}
		if units == "" {
			return bad("no digits before u")
		}
		v, ok := digits(units)
		if !ok {
			return bad("more than 2^64-1 = %du", uint64(math.MaxUint64))
		}
		return v, nil
	}
	intPart, fracPart, hasFrac := strings.Cut(s, ".")
	switch {
	case intPart == "" && !hasFrac:
		return bad("no digits")
	case intPart == "" && fracPart == "":
		return bad("no digits around the decimal point")
	case hasFrac && fracPart == "":
		return bad("no digits after the decimal point")
	case strings.Contains(fracPart, "."):
		return bad("more than one decimal point")
	case len(fracPart) > 8:
		if strings.Trim(fracPart[8:], "0") != "" {
			return bad("below one base unit: THG has 8 decimals (the smallest amount is 0.00000001 or 1u)")
		}
		return bad("at most 8 decimals")
	}
	whole, ok := digits(intPart)
	frac, _ := digits((fracPart + "00000000")[:8])
	hi, lo := bits.Mul64(whole, Coin)
	total, carry := bits.Add64(lo, frac, 0)
	if !ok || hi != 0 || carry != 0 {
		return bad("more than the largest amount, %s (%du)", strings.TrimSuffix(FormatAmount(math.MaxUint64), " THG"), uint64(math.MaxUint64))
	}
	return total, nil
}

// digits parses a non-empty run of ASCII digits; false on overflow.
func digits(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		hi, lo := bits.Mul64(v, 10)
		sum, carry := bits.Add64(lo, uint64(s[i]-'0'), 0)
		if hi != 0 || carry != 0 {
			return 0, false
		}
		v = sum
	}
	return v, true
}
