package keys

import (
	"crypto/sha256"
	"errors"
	"fmt"
)

// AddressSize is the length of an address payload.
const AddressSize = 20

// Address identifies the owner of a public key: the first 20 bytes of
// SHA-256(compressed 33-byte public key). A single SHA-256 truncated to 160
// bits keeps 80-bit collision resistance, the same margin as Bitcoin's
// HASH160, without pulling in RIPEMD-160.
type Address [AddressSize]byte

// Address derives the address that owns pk.
func (pk PubKey) Address() Address {
	h := sha256.Sum256(pk[:])
	var a Address
	copy(a[:], h[:AddressSize])
	return a
}

// IsZero reports whether a is the all-zero address, which no key hashes to in
// practice and so serves as "no address".
func (a Address) IsZero() bool { return a == Address{} }

// Address decode errors. DecodeAddress wraps exactly one of them so callers
// can tell a typo (checksum) from a wrong-network address (prefix) from
// something that is not an address at all (format).
var (
	ErrAddressChecksum = errors.New("address checksum mismatch: the address was mistyped or damaged")
	ErrAddressPrefix   = errors.New("address is for a different network")
	ErrAddressFormat   = errors.New("malformed address")
)

// Encode returns the bech32m (BIP-350) text form with the network prefix hrp.
// The 20 bytes map to exactly 32 five-bit characters, so there is no padding.
// hrp comes from chain parameters, so an invalid one is a programming error
// and panics; check it once with ValidateHRP.
func (a Address) Encode(hrp string) string {
	if err := ValidateHRP(hrp); err != nil {
		panic(err)
	}
	data, _ := convertBits(a[:], 8, 5, true)
	return bech32Encode(hrp, data, variantBech32m)
}

// DecodeAddress parses a bech32m address and requires its prefix to be
// wantHRP (compared case-insensitively, as bech32 is).
func DecodeAddress(s, wantHRP string) (Address, error) {
	var a Address
	hrp, data, variant, err := bech32Decode(s)
	switch {
	case errors.Is(err, errBech32Checksum):
		return a, fmt.Errorf("%w: %q", ErrAddressChecksum, s)
	case err != nil:
		return a, fmt.Errorf("%w: %v", ErrAddressFormat, err)
	}
	if variant != variantBech32m {
		// A valid bech32 (not bech32m) checksum means the string was made by
		// a different encoder; treating it as a checksum failure tells the
		// user not to trust it.
		return a, fmt.Errorf("%w: %q uses a bech32 checksum, want bech32m", ErrAddressChecksum, s)
	}
	if want := lowerASCII(wantHRP); hrp != want {
		return a, fmt.Errorf("%w: expected prefix %q, found %q", ErrAddressPrefix, want, hrp)
	}
	b, ok := convertBits(data, 5, 8, false)
	if !ok || len(b) != AddressSize {
		return a, fmt.Errorf("%w: payload is not %d bytes", ErrAddressFormat, AddressSize)
	}
	copy(a[:], b)
	return a, nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
