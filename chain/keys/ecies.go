package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// ErrDecrypt is returned for any ECIES decryption failure. Causes (short
// input, bad ephemeral key, wrong recipient, tampering) are deliberately not
// distinguished, so the error gives an attacker no oracle.
var ErrDecrypt = errors.New("keys: ECIES decryption failed (wrong key or damaged ciphertext)")

// The ECIES format is that of the eciesjs (npm) and eciespy (PyPI) libraries
// with their default configuration on secp256k1, so a browser or a Python
// device can use those packages unchanged (docs/auction.md "ECIES", vectors in
// testdata/ecies.json):
//
//	ciphertext = E (65, uncompressed 0x04‖X‖Y ephemeral public key)
//	           ‖ nonce (16) ‖ tag (16) ‖ AES-256-GCM ciphertext (len(plaintext))
//	key        = HKDF-SHA256(IKM = E ‖ S, salt = none, info = none, 32 bytes)
//
// where S is the 65-byte uncompressed shared point (ephemeral scalar times
// the recipient's point). The GCM nonce is 16 bytes (GHASH-derived counter
// block, NIST SP 800-38D) and there is no associated data.
const (
	ECIESEphemeralKeySize = 65
	ECIESNonceSize        = 16
	ECIESTagSize          = 16
	// ECIESOverhead is how many bytes EncryptECIES adds to the plaintext.
	ECIESOverhead = ECIESEphemeralKeySize + ECIESNonceSize + ECIESTagSize
)

// eciesKey derives the 32-byte AES key from the uncompressed ephemeral
// public key and the uncompressed shared point.
func eciesKey(eph, shared []byte) ([]byte, error) {
	ikm := make([]byte, 0, len(eph)+len(shared))
	ikm = append(ikm, eph...)
	ikm = append(ikm, shared...)
	defer clear(ikm)
	return hkdf.Key(sha256.New, ikm, nil, "", 32)
}

// eciesAEAD is AES-256-GCM with a 16-byte nonce under eciesKey.
func eciesAEAD(eph, shared []byte) (cipher.AEAD, error) {
	key, err := eciesKey(eph, shared)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithNonceSize(block, ECIESNonceSize)
}

// sharedPoint returns k·P as a 65-byte uncompressed point.
func sharedPoint(k *secp256k1.PrivateKey, p *secp256k1.PublicKey) []byte {
	var point, result secp256k1.JacobianPoint
	p.AsJacobian(&point)
	secp256k1.ScalarMultNonConst(&k.Key, &point, &result)
	result.ToAffine()
	return secp256k1.NewPublicKey(&result.X, &result.Y).SerializeUncompressed()
}

// EncryptECIES encrypts plaintext so only the holder of to's private key can
// read it, in the eciesjs default format described above. rand must be a
// cryptographically secure source (crypto/rand.Reader); it supplies the
// ephemeral key and the nonce.
func EncryptECIES(rand io.Reader, to PubKey, plaintext []byte) ([]byte, error) {
	toKey, err := to.secp()
	if err != nil {
		return nil, fmt.Errorf("keys: ECIES recipient: %w", ErrPubKey)
	}
	ephKey, err := secp256k1.GeneratePrivateKeyFromRand(rand)
	if err != nil {
		return nil, fmt.Errorf("keys: ECIES ephemeral key: %w", err)
	}
	defer ephKey.Zero()
	var nonce [ECIESNonceSize]byte
	if _, err := io.ReadFull(rand, nonce[:]); err != nil {
		return nil, fmt.Errorf("keys: ECIES nonce: %w", err)
	}
	return encryptECIES(ephKey, nonce[:], toKey, plaintext)
}

// encryptECIES is EncryptECIES with the ephemeral key and nonce given, so
// the test vectors can be reproduced exactly.
func encryptECIES(ephKey *secp256k1.PrivateKey, nonce []byte, to *secp256k1.PublicKey, plaintext []byte) ([]byte, error) {
	eph := ephKey.PubKey().SerializeUncompressed()
	shared := sharedPoint(ephKey, to)
	defer clear(shared)
	aead, err := eciesAEAD(eph, shared)
	if err != nil {
		return nil, fmt.Errorf("keys: ECIES: %w", err)
	}
	out := make([]byte, 0, ECIESOverhead+len(plaintext))
	out = append(out, eph...)
	out = append(out, nonce...)
	// Go's GCM appends the tag after the ciphertext; eciesjs puts it first.
	sealed := aead.Seal(nil, nonce, plaintext, nil)
	body, tag := sealed[:len(plaintext)], sealed[len(plaintext):]
	out = append(out, tag...)
	return append(out, body...), nil
}

// DecryptECIES reverses EncryptECIES (or eciesjs's encrypt) for the
// recipient p.
func (p *PrivateKey) DecryptECIES(ct []byte) ([]byte, error) {
	if len(ct) < ECIESOverhead {
		return nil, ErrDecrypt
	}
	eph := ct[:ECIESEphemeralKeySize]
	// Only the uncompressed form eciesjs writes by default; dcrd's parser
	// would also take the hybrid 0x06/0x07 forms.
	if eph[0] != secp256k1.PubKeyFormatUncompressed {
		return nil, ErrDecrypt
	}
	ephKey, err := secp256k1.ParsePubKey(eph)
	if err != nil {
		return nil, ErrDecrypt
	}
	shared := sharedPoint(&p.k, ephKey)
	defer clear(shared)
	aead, err := eciesAEAD(eph, shared)
	if err != nil {
		return nil, ErrDecrypt
	}
	rest := ct[ECIESEphemeralKeySize:]
	nonce := rest[:ECIESNonceSize]
	tag := rest[ECIESNonceSize : ECIESNonceSize+ECIESTagSize]
	body := rest[ECIESNonceSize+ECIESTagSize:]
	sealed := make([]byte, 0, len(body)+ECIESTagSize)
	sealed = append(sealed, body...)
	sealed = append(sealed, tag...)
	pt, err := aead.Open(sealed[:0], nonce, sealed, nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
