package keys

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// Sizes of the serialised forms.
const (
	PrivateKeySize = 32
	PubKeySize     = 33
	SignatureSize  = 64
)

// Errors returned when parsing key material.
var (
	ErrPrivateKey = errors.New("keys: invalid private key")
	ErrPubKey     = errors.New("keys: invalid public key")
)

// PrivateKey is a secp256k1 private key. The public key is derived once at
// construction because signing code asks for it on every transaction.
type PrivateKey struct {
	k   secp256k1.PrivateKey
	pub PubKey
}

func newPrivateKey(k *secp256k1.PrivateKey) *PrivateKey {
	p := &PrivateKey{k: *k}
	copy(p.pub[:], k.PubKey().SerializeCompressed())
	return p
}

// GenerateKey returns a new random private key from crypto/rand.
func GenerateKey() (*PrivateKey, error) {
	k, err := secp256k1.GeneratePrivateKeyFromRand(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keys: generate: %w", err)
	}
	return newPrivateKey(k), nil
}

// PrivateKeyFromBytes parses a 32-byte big-endian scalar. Unlike
// secp256k1.PrivKeyFromBytes it refuses values that would be silently
// reduced mod N or are zero, because such keys come from corrupted storage.
func PrivateKeyFromBytes(b []byte) (*PrivateKey, error) {
	if len(b) != PrivateKeySize {
		return nil, fmt.Errorf("%w: length %d, want %d", ErrPrivateKey, len(b), PrivateKeySize)
	}
	var buf [32]byte
	copy(buf[:], b)
	var s secp256k1.ModNScalar
	overflow := s.SetBytes(&buf)
	clear(buf[:])
	if overflow != 0 {
		return nil, fmt.Errorf("%w: not below the curve order", ErrPrivateKey)
	}
	if s.IsZero() {
		return nil, fmt.Errorf("%w: zero", ErrPrivateKey)
	}
	k := secp256k1.NewPrivateKey(&s)
	p := newPrivateKey(k)
	k.Zero()
	s.Zero()
	return p, nil
}

// Bytes returns the 32-byte big-endian scalar. The caller owns the slice and
// should clear it when done.
func (p *PrivateKey) Bytes() []byte { return p.k.Serialize() }

// PubKey returns the compressed public key.
func (p *PrivateKey) PubKey() PubKey { return p.pub }

// Secp exposes the underlying key for code that needs the library directly
// (for example ECDH in other protocols). Mutating it desynchronises PubKey.
func (p *PrivateKey) Secp() *secp256k1.PrivateKey { return &p.k }

// Zero overwrites the secret scalar; the key is unusable afterwards.
func (p *PrivateKey) Zero() { p.k.Zero() }

// Sign signs a 32-byte digest with RFC 6979 deterministic nonces; the library
// already normalises s to the lower half, which Verify requires.
func (p *PrivateKey) Sign(hash [32]byte) Signature {
	sig := ecdsa.Sign(&p.k, hash[:])
	r, s := sig.R(), sig.S()
	var out Signature
	r.PutBytesUnchecked(out[:32])
	s.PutBytesUnchecked(out[32:])
	return out
}

// PubKey is a compressed secp256k1 public key (0x02/0x03 prefix || X).
type PubKey [PubKeySize]byte

// ParsePubKey accepts only the 33-byte compressed form and checks that the
// point is on the curve, so one key has exactly one encoding on chain.
func ParsePubKey(b []byte) (PubKey, error) {
	var pk PubKey
	if err := CheckPubKeyForm(b); err != nil {
		return pk, err
	}
	if _, err := secp256k1.ParsePubKey(b); err != nil {
		return pk, fmt.Errorf("%w: %v", ErrPubKey, err)
	}
	copy(pk[:], b)
	return pk, nil
}

// CheckPubKeyForm checks a key's encoding only: 33 bytes in compressed
// form. It does not check that the point is on the curve (a field square
// root, about a tenth of a verification): callers that verify a signature
// with the key next leave that check to the verification, which fails for
// such a key, and call ParsePubKey on the failure path for the reason.
func CheckPubKeyForm(b []byte) error {
	if len(b) != PubKeySize {
		return fmt.Errorf("%w: length %d, want %d", ErrPubKey, len(b), PubKeySize)
	}
	if b[0] != secp256k1.PubKeyFormatCompressedEven && b[0] != secp256k1.PubKeyFormatCompressedOdd {
		return fmt.Errorf("%w: prefix 0x%02x is not compressed form", ErrPubKey, b[0])
	}
	return nil
}

func (pk PubKey) secp() (*secp256k1.PublicKey, error) {
	if pk[0] != secp256k1.PubKeyFormatCompressedEven && pk[0] != secp256k1.PubKeyFormatCompressedOdd {
		return nil, ErrPubKey
	}
	return secp256k1.ParsePubKey(pk[:])
}

// String returns the lowercase hex encoding.
func (pk PubKey) String() string { return hex.EncodeToString(pk[:]) }

// Signature is r || s, each 32 bytes big-endian, with s in the lower half of
// the group order. Fixed width keeps transaction sizes predictable, and low-S
// removes the (r, N-s) malleability.
type Signature [SignatureSize]byte

// String returns the lowercase hex encoding.
func (s Signature) String() string { return hex.EncodeToString(s[:]) }

// Verify reports whether sig is a valid low-S signature of hash by pub.
// The build chooses the implementation (VerifyBackend): dcrd's pure Go by
// default, libsecp256k1 with the libsecp256k1 build tag; both accept
// exactly the same signatures (a differential test holds them to it).
func Verify(pub PubKey, hash [32]byte, sig Signature) bool {
	return verifyBackend(pub, hash, sig)
}

// VerifyPureGo is Verify with dcrd's pure-Go secp256k1, whatever the build.
func VerifyPureGo(pub PubKey, hash [32]byte, sig Signature) bool {
	r, s, ok := sig.scalars()
	if !ok {
		return false
	}
	key, err := pub.secp()
	if err != nil {
		return false
	}
	return ecdsa.NewSignature(&r, &s).Verify(hash[:], key)
}

// verifyPureGoParsed is VerifyPureGo for a key already parsed.
func verifyPureGoParsed(key *secp256k1.PublicKey, hash [32]byte, sig Signature) bool {
	r, s, ok := sig.scalars()
	if !ok {
		return false
	}
	return ecdsa.NewSignature(&r, &s).Verify(hash[:], key)
}

// scalars decodes r and s, refusing what no verifier may accept: either
// out of range or zero, or s in the upper half (malleable).
func (sig Signature) scalars() (r, s secp256k1.ModNScalar, ok bool) {
	var buf [32]byte
	copy(buf[:], sig[:32])
	if r.SetBytes(&buf) != 0 || r.IsZero() {
		return r, s, false
	}
	copy(buf[:], sig[32:])
	if s.SetBytes(&buf) != 0 || s.IsZero() || s.IsOverHalfOrder() {
		return r, s, false
	}
	return r, s, true
}

// ParsePubKeyHex parses the API's text form of a public key: 66 lowercase
// or uppercase hex digits of the compressed key.
func ParsePubKeyHex(s string) (PubKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return PubKey{}, fmt.Errorf("%w: %q is not hex", ErrPubKey, s)
	}
	return ParsePubKey(b)
}
