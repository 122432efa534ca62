package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashSize is the length of every hash in the protocol.
const HashSize = 32

// Hash is a double SHA-256 digest. Its String form is plain big-endian hex of
// the bytes as stored (no Bitcoin-style byte reversal: nothing here is
// compared as a little-endian number except proof of work, which does the
// conversion itself).
type Hash [HashSize]byte

// DoubleSHA256 hashes b twice with SHA-256.
func DoubleSHA256(b []byte) Hash {
	first := sha256.Sum256(b)
	return sha256.Sum256(first[:])
}

// IsZero reports whether h is the all-zero hash.
func (h Hash) IsZero() bool { return h == Hash{} }

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes the hash as hex so JSON output is readable.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses a 64-character hex hash.
func (h *Hash) UnmarshalText(b []byte) error {
	parsed, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = parsed
	return nil
}

// ParseHash parses a 64-character hex string.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("hash %q: want %d hex characters, got %d", s, 2*HashSize, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("hash %q: %v", s, err)
	}
	return h, nil
}
