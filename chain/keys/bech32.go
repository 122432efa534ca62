package keys

import (
	"errors"
	"fmt"
	"strings"
)

// bech32 / bech32m (BIP-173, BIP-350). Implemented here rather than imported
// because it is small, consensus-adjacent, and we want typed errors that map
// onto the address error kinds.

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32MaxLen is the BIP-173 limit on the whole string.
const bech32MaxLen = 90

type bech32Variant int

const (
	variantBech32 bech32Variant = iota + 1
	variantBech32m
)

func (v bech32Variant) constant() uint32 {
	if v == variantBech32m {
		return 0x2bc830a3
	}
	return 1
}

func (v bech32Variant) String() string {
	if v == variantBech32m {
		return "bech32m"
	}
	return "bech32"
}

// bech32Value maps an ASCII byte to its 5-bit value, or -1. Searching the
// charset instead of a lookup table keeps the package free of mutable globals.
func bech32Value(c byte) int {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	return strings.IndexByte(bech32Charset, c)
}

func bech32Polymod(values []byte, chk uint32) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

func bech32HRPChecksumInit(hrp string) uint32 {
	chk := uint32(1)
	buf := make([]byte, 0, 2*len(hrp)+1)
	for i := 0; i < len(hrp); i++ {
		buf = append(buf, hrp[i]>>5)
	}
	buf = append(buf, 0)
	for i := 0; i < len(hrp); i++ {
		buf = append(buf, hrp[i]&31)
	}
	return bech32Polymod(buf, chk)
}

// ValidateHRP reports whether hrp can be used as an address prefix: 1 to 51
// lowercase printable ASCII characters (51 leaves room for a 20-byte payload
// and checksum within the 90-character limit).
func ValidateHRP(hrp string) error {
	if len(hrp) < 1 || len(hrp) > bech32MaxLen-1-32-6 {
		return fmt.Errorf("keys: HRP %q must be 1 to %d characters", hrp, bech32MaxLen-1-32-6)
	}
	for i := 0; i < len(hrp); i++ {
		c := hrp[i]
		if c < 33 || c > 126 || (c >= 'A' && c <= 'Z') {
			return fmt.Errorf("keys: HRP %q must be lowercase printable ASCII", hrp)
		}
	}
	return nil
}

// bech32Encode encodes 5-bit values. hrp must already be lowercase and valid.
func bech32Encode(hrp string, data []byte, v bech32Variant) string {
	chk := bech32Polymod(data, bech32HRPChecksumInit(hrp))
	chk = bech32Polymod([]byte{0, 0, 0, 0, 0, 0}, chk) ^ v.constant()
	var sb strings.Builder
	sb.Grow(len(hrp) + 1 + len(data) + 6)
	sb.WriteString(hrp)
	sb.WriteByte('1')
	for _, d := range data {
		sb.WriteByte(bech32Charset[d])
	}
	for i := range 6 {
		sb.WriteByte(bech32Charset[(chk>>(5*(5-i)))&31])
	}
	return sb.String()
}

var (
	errBech32Format   = errors.New("bech32 format")
	errBech32Checksum = errors.New("bech32 checksum")
)

// bech32Decode returns the lowercase HRP, the 5-bit data without checksum,
// and which checksum variant matched. Errors wrap errBech32Format or
// errBech32Checksum.
func bech32Decode(s string) (string, []byte, bech32Variant, error) {
	if len(s) > bech32MaxLen {
		return "", nil, 0, fmt.Errorf("%w: %d characters, at most %d allowed", errBech32Format, len(s), bech32MaxLen)
	}
	var lower, upper bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 {
			return "", nil, 0, fmt.Errorf("%w: character %d (0x%02x) is not printable ASCII", errBech32Format, i, c)
		}
		lower = lower || (c >= 'a' && c <= 'z')
		upper = upper || (c >= 'A' && c <= 'Z')
	}
	if lower && upper {
		return "", nil, 0, fmt.Errorf("%w: mixed upper and lower case", errBech32Format)
	}
	s = strings.ToLower(s)
	sep := strings.LastIndexByte(s, '1')
	if sep < 0 {
		return "", nil, 0, fmt.Errorf("%w: no '1' separator", errBech32Format)
	}
	if sep == 0 {
		return "", nil, 0, fmt.Errorf("%w: empty prefix", errBech32Format)
	}
	if len(s)-sep-1 < 6 {
		return "", nil, 0, fmt.Errorf("%w: data part shorter than the 6-character checksum", errBech32Format)
	}
	hrp := s[:sep]
	data := make([]byte, len(s)-sep-1)
	for i := range data {
		v := bech32Value(s[sep+1+i])
		if v < 0 {
			return "", nil, 0, fmt.Errorf("%w: invalid character %q at position %d", errBech32Format, s[sep+1+i], sep+1+i)
		}
		data[i] = byte(v)
	}
	var variant bech32Variant
	switch bech32Polymod(data, bech32HRPChecksumInit(hrp)) {
	case variantBech32.constant():
		variant = variantBech32
	case variantBech32m.constant():
		variant = variantBech32m
	default:
		return "", nil, 0, fmt.Errorf("%w: checksum does not match (a character is mistyped)", errBech32Checksum)
	}
	return hrp, data[:len(data)-6], variant, nil
}

// convertBits regroups bits from fromBits-wide to toBits-wide values. When
// decoding (pad false), leftover padding must be shorter than fromBits and
// zero, so each payload has exactly one valid encoding.
func convertBits(data []byte, fromBits, toBits uint, pad bool) ([]byte, bool) {
	var acc, bits uint
	maxv := uint(1)<<toBits - 1
	out := make([]byte, 0, len(data)*int(fromBits)/int(toBits)+1)
	for _, d := range data {
		if uint(d)>>fromBits != 0 {
			return nil, false
		}
		acc = acc<<fromBits | uint(d)
		bits += fromBits
		for bits >= toBits {
			bits -= toBits
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(toBits-bits)&maxv))
		}
	} else if bits >= fromBits || acc<<(toBits-bits)&maxv != 0 {
		return nil, false
	}
	return out, true
}
