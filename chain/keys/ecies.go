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

const (
	eciesNonceSize = 12
	eciesTagSize   = 16
	// ECIESOverhead is how many bytes EncryptECIES adds to the plaintext.
	ECIESOverhead = PubKeySize + eciesNonceSize + eciesTagSize
	eciesInfo     = "thingchain ECIES v1 aes-256-gcm"
)

// eciesAEAD derives the AES-256-GCM key. The ephemeral and recipient public
// keys are HKDF salt so the key is bound to this exact exchange.
func eciesAEAD(shared []byte, eph, to PubKey) (cipher.AEAD, error) {
	salt := make([]byte, 0, 2*PubKeySize)
	salt = append(salt, eph[:]...)
	salt = append(salt, to[:]...)
	key, err := hkdf.Key(sha256.New, shared, salt, eciesInfo, 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// EncryptECIES encrypts plaintext so only the holder of to's private key can
// read it. Output: ephemeral pubkey (33) || nonce (12) || ciphertext+tag.
// rand must be a cryptographically secure source (crypto/rand.Reader).
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
	var eph PubKey
	copy(eph[:], ephKey.PubKey().SerializeCompressed())
	shared := secp256k1.GenerateSharedSecret(ephKey, toKey)
	defer clear(shared)
	aead, err := eciesAEAD(shared, eph, to)
	if err != nil {
		return nil, fmt.Errorf("keys: ECIES: %w", err)
	}
	out := make([]byte, PubKeySize+eciesNonceSize, ECIESOverhead+len(plaintext))
	copy(out, eph[:])
	nonce := out[PubKeySize : PubKeySize+eciesNonceSize]
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("keys: ECIES nonce: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, eph[:]), nil
}

// DecryptECIES reverses EncryptECIES for the recipient p.
func (p *PrivateKey) DecryptECIES(ct []byte) ([]byte, error) {
	if len(ct) < ECIESOverhead {
		return nil, ErrDecrypt
	}
	eph, err := ParsePubKey(ct[:PubKeySize])
	if err != nil {
		return nil, ErrDecrypt
	}
	ephKey, err := eph.secp()
	if err != nil {
		return nil, ErrDecrypt
	}
	shared := secp256k1.GenerateSharedSecret(&p.k, ephKey)
	defer clear(shared)
	aead, err := eciesAEAD(shared, eph, p.pub)
	if err != nil {
		return nil, ErrDecrypt
	}
	nonce := ct[PubKeySize : PubKeySize+eciesNonceSize]
	pt, err := aead.Open(nil, nonce, ct[PubKeySize+eciesNonceSize:], eph[:])
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
