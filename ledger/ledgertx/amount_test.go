package ledgertx

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestAmountParsing is the table of the one amount parser every CLI flag
// and API client uses: valid forms with their base units, and refused
// forms with the words their error must contain.
func TestAmountParsing(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"1", Coin}, {"0.5", Coin / 2}, {"12.00000001", 12*Coin + 1}, {"7u", 7}, {".25", Coin / 4},
		{"0", 0}, {"0u", 0}, {"0.00000001", 1}, {"1.10", Coin + Coin/10},
		{"18446744073709551615u", math.MaxUint64}, {"184467440737.09551615", math.MaxUint64},
	} {
		got, err := ParseAmount(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, why string }{
		{"", "empty"},
		{"abc", "unexpected"},
		{"1e9u", "exponent"},
		{"1e9", "exponent"},
		{"1E3", "exponent"},
		{"12.5u", "fraction of a base unit"},
		{"-1", "negative"},
		{"-1u", "negative"},
		{"+1", "sign"},
		{"0.000000001", "below one base unit"},
		{"1.123456789", "below one base unit"},
		{"1.000000000", "at most 8 decimals"},
		{"18446744073709551616u", "2^64-1"},
		{"99999999999999999999999u", "2^64-1"},
		{"184467440737.09551616", "largest amount"},
		{"184467440738", "largest amount"},
		{"1.2.3", "more than one decimal point"},
		{"5.", "after the decimal point"},
		{".", "no digits"},
		{"u", "no digits"},
		{"xu", "unexpected"},
		{"1 000", "unexpected"},
		{" 1", "unexpected"},
		{"1,5", "unexpected"},
		{"0x10u", "unexpected"},
		{"5uu", "unexpected"},
	} {
		v, err := ParseAmount(tc.in)
		if err == nil {
			t.Errorf("ParseAmount(%q) accepted as %d", tc.in, v)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), strconv.Quote(tc.in)) {
			t.Errorf("ParseAmount(%q): error %q should quote the input and say %q", tc.in, err, tc.why)
		}
	}
	if s := FormatAmount(12*Coin + 5000); s != "12.00005 THG" {
		t.Errorf("FormatAmount: %s", s)
	}
}
