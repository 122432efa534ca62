package keys

import (
	"errors"
	"strings"
	"testing"
)

// Test vectors from BIP-173 and BIP-350.
func TestBech32ValidVectors(t *testing.T) {
	cases := []struct {
		s string
		v bech32Variant
	}{
		{"A12UEL5L", variantBech32},
		{"a12uel5l", variantBech32},
		{"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs", variantBech32},
		{"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", variantBech32},
		{"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j", variantBech32},
		{"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", variantBech32},
		{"?1ezyfcl", variantBech32},
		{"A1LQFN3A", variantBech32m},
		{"a1lqfn3a", variantBech32m},
		{"an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6", variantBech32m},
		{"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", variantBech32m},
		{"11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8", variantBech32m},
		{"split1checkupstagehandshakeupstreamerranterredcaperredlc445v", variantBech32m},
		{"?1v759aa", variantBech32m},
	}
	for _, c := range cases {
		hrp, data, v, err := bech32Decode(c.s)
		if err != nil {
			t.Errorf("%q: %v", c.s, err)
			continue
		}
		if v != c.v {
			t.Errorf("%q: variant %v, want %v", c.s, v, c.v)
		}
		if got := bech32Encode(hrp, data, v); got != strings.ToLower(c.s) {
			t.Errorf("%q: re-encoded as %q", c.s, got)
		}
		// Flipping one data character must break the checksum.
		i := len(c.s) - 1
		flipped := c.s[:i] + string(bech32Charset[(bech32Value(c.s[i])+1)%32])
		if strings.ToUpper(c.s) == c.s {
			flipped = strings.ToUpper(flipped)
		}
		if _, _, _, err := bech32Decode(flipped); !errors.Is(err, errBech32Checksum) {
			t.Errorf("%q: one-char change gave %v, want checksum error", flipped, err)
		}
	}
}

func TestBech32InvalidVectors(t *testing.T) {
	cases := []struct {
		s    string
		want error
	}{
		// BIP-173
		{"\x201nwldj5", errBech32Format},
		{"\x7f1axkwrx", errBech32Format},
		{"\x801eym55h", errBech32Format},
		{"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx", errBech32Format},
		{"pzry9x0s0muk", errBech32Format},
		{"1pzry9x0s0muk", errBech32Format},
		{"x1b4n0q5v", errBech32Format},
		{"li1dgmt3", errBech32Format},
		{"de1lg7wt\xff", errBech32Format},
		{"A1G7SGD8", errBech32Checksum},
		{"10a06t8", errBech32Format},
		{"1qzzfhee", errBech32Format},
		// BIP-350
		{"\x201xj0phk", errBech32Format},
		{"\x7f1g6xzxy", errBech32Format},
		{"\x801vctc34", errBech32Format},
		{"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4", errBech32Format},
		{"qyrz8wqd2c9m", errBech32Format},
		{"1qyrz8wqd2c9m", errBech32Format},
		{"y1b0jsk6g", errBech32Format},
		{"lt1igcx5c0", errBech32Format},
		{"in1muywd", errBech32Format},
		{"mm1crxm3i", errBech32Format},
		{"au1s5cgom", errBech32Format},
		{"M1VUXWEZ", errBech32Checksum},
		{"16plkw9", errBech32Format},
		{"1p2gdwpf", errBech32Format},
		// Mixed case is valid in neither.
		{"a12UEL5L", errBech32Format},
	}
	for _, c := range cases {
		_, _, _, err := bech32Decode(c.s)
		if !errors.Is(err, c.want) {
			t.Errorf("%q: err = %v, want %v", c.s, err, c.want)
		}
	}
}

func TestConvertBitsRejectsNonZeroPadding(t *testing.T) {
	// Two 5-bit groups carry 10 bits: one byte plus 2 padding bits that must
	// be zero.
	if _, ok := convertBits([]byte{0, 1}, 5, 8, false); ok {
		t.Fatal("non-zero padding accepted")
	}
	if b, ok := convertBits([]byte{31, 28}, 5, 8, false); !ok || len(b) != 1 || b[0] != 0xff {
		t.Fatalf("convertBits = %x, %v", b, ok)
	}
}

func TestAddressEncodeDecode(t *testing.T) {
	for i := range 10 {
		pk := testKey(t, i).PubKey()
		a := pk.Address()
		if a.IsZero() {
			t.Fatal("derived address is zero")
		}
		for _, hrp := range []string{"tc", "tct", "tcr"} {
			s := a.Encode(hrp)
			if !strings.HasPrefix(s, hrp+"1") || len(s) != len(hrp)+1+32+6 {
				t.Fatalf("unexpected encoding %q", s)
			}
			got, err := DecodeAddress(s, hrp)
			if err != nil || got != a {
				t.Fatalf("DecodeAddress(%q) = %x, %v", s, got, err)
			}
			up, err := DecodeAddress(strings.ToUpper(s), strings.ToUpper(hrp))
			if err != nil || up != a {
				t.Fatalf("uppercase form rejected: %v", err)
			}
		}
	}
	if !(Address{}).IsZero() {
		t.Fatal("zero address not IsZero")
	}
}

// The all-zero payload under "tc" must always encode the same way; this pins
// the format so a change to the encoder cannot slip through.
func TestAddressEncodingIsStable(t *testing.T) {
	var a Address
	for i := range a {
		a[i] = byte(i)
	}
	s := a.Encode("tc")
	hrp, data, v, err := bech32Decode(s)
	if err != nil || hrp != "tc" || v != variantBech32m || len(data) != 32 {
		t.Fatalf("decode of own output: %q %d %v %v", hrp, len(data), v, err)
	}
	// Bytes 00 01 02 regroup as 00000 00000 00000 10000, i.e. q q q s.
	if !strings.HasPrefix(s, "tc1qqqs") {
		t.Fatalf("encoding %q does not start with tc1qqqs", s)
	}
	// Golden value: addresses are user-visible, so any change to their
	// encoding must be deliberate.
	if want := "tc1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn9gwkry"; s != want {
		t.Fatalf("encoding = %q, want %q", s, want)
	}
}

func TestDecodeAddressErrors(t *testing.T) {
	a := testKey(t, 7).PubKey().Address()
	good := a.Encode("tc")
	data, _ := convertBits(a[:], 8, 5, true)
	bech32Plain := bech32Encode("tc", data, variantBech32)
	short := bech32Encode("tc", data[:31], variantBech32m)
	badPad := bech32Encode("tc", append(append([]byte{}, data[:31]...), 1, 1), variantBech32m)
	mid := len("tc1") + 5
	typo := good[:mid] + string(bech32Charset[(bech32Value(good[mid])+3)%32]) + good[mid+1:]

	cases := []struct {
		name, s, hrp string
		want         error
	}{
		{"typo", typo, "tc", ErrAddressChecksum},
		{"bech32 not bech32m", bech32Plain, "tc", ErrAddressChecksum},
		{"testnet address on mainnet", a.Encode("tct"), "tc", ErrAddressPrefix},
		{"mainnet address on regtest", good, "tcr", ErrAddressPrefix},
		{"mixed case", strings.ToUpper(good[:4]) + good[4:], "tc", ErrAddressFormat},
		{"bad character", good[:10] + "b" + good[11:], "tc", ErrAddressFormat},
		{"no separator", "tcqqqqqq", "tc", ErrAddressFormat},
		{"empty", "", "tc", ErrAddressFormat},
		{"payload too short", short, "tc", ErrAddressFormat},
		{"payload too long", badPad, "tc", ErrAddressFormat},
		{"space", " " + good, "tc", ErrAddressFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeAddress(c.s, c.hrp)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			for _, other := range []error{ErrAddressChecksum, ErrAddressPrefix, ErrAddressFormat} {
				if other != c.want && errors.Is(err, other) {
					t.Fatalf("err %v also matches %v", err, other)
				}
			}
		})
	}
	_, err := DecodeAddress(a.Encode("tct"), "tc")
	if msg := err.Error(); !strings.Contains(msg, `"tc"`) || !strings.Contains(msg, `"tct"`) {
		t.Fatalf("prefix error %q should name expected and found prefixes", msg)
	}
}

func TestValidateHRP(t *testing.T) {
	for _, ok := range []string{"tc", "tct", "a", strings.Repeat("x", 51)} {
		if err := ValidateHRP(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "TC", "t c", strings.Repeat("x", 52), "t\x7f"} {
		if ValidateHRP(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Encode with invalid HRP did not panic")
		}
	}()
	(Address{}).Encode("")
}
