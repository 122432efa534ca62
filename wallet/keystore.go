package wallet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"

	"github.com/thingchain/thingchain/chain/keys"
)

// KeyFileVersion is the only keystore format version this package reads.
const KeyFileVersion = 1

const (
	cipherName = "aes-256-gcm"
	kdfName    = "scrypt"
	keyLen     = 32
	nonceLen   = 12
	gcmTagLen  = 16
	minSaltLen = 16
	maxSaltLen = 64
	maxScryptN = 1 << 22
	maxScryptR = 32
	maxScryptP = 16
	// maxScryptMem bounds 128*N*r so a hostile or damaged file cannot make
	// decryption allocate more memory than a small node has.
	maxScryptMem = 1 << 30
	adPrefix     = "thingchain keystore v1\x00"
)

// Decryption errors. Every error from DecryptKey and ParseKeyFile wraps one
// of these, and their text tells the user what to do.
var (
	ErrWrongPassword   = errors.New("wrong password: check the password and try again")
	ErrCorruptKeystore = errors.New("keystore file is corrupt: the file is damaged; restore it from your backup")
)

// ScryptParams are the scrypt cost parameters stored in each key file.
type ScryptParams struct {
	N     int `json:"n"`
	R     int `json:"r"`
	P     int `json:"p"`
	DKLen int `json:"dklen"`
}

// StandardScrypt is the cost for real keys: about 256 MiB and most of a
// second per unlock, which makes offline password guessing expensive.
func StandardScrypt() ScryptParams { return ScryptParams{N: 1 << 18, R: 8, P: 1, DKLen: keyLen} }

// LightScrypt is cheap (about 4 MiB) and only for tests and regtest keys,
// which guard nothing of value.
func LightScrypt() ScryptParams { return ScryptParams{N: 1 << 12, R: 8, P: 1, DKLen: keyLen} }

func (p ScryptParams) validate() error {
	switch {
	case p.N < 2 || p.N > maxScryptN || p.N&(p.N-1) != 0:
		return fmt.Errorf("scrypt n=%d must be a power of two between 2 and %d", p.N, maxScryptN)
	case p.R < 1 || p.R > maxScryptR:
		return fmt.Errorf("scrypt r=%d must be between 1 and %d", p.R, maxScryptR)
	case p.P < 1 || p.P > maxScryptP:
		return fmt.Errorf("scrypt p=%d must be between 1 and %d", p.P, maxScryptP)
	case 128*int64(p.N)*int64(p.R) > maxScryptMem:
		return fmt.Errorf("scrypt n=%d r=%d needs more than %d MiB", p.N, p.R, maxScryptMem>>20)
	case p.DKLen != keyLen:
		return fmt.Errorf("scrypt dklen=%d, want %d", p.DKLen, keyLen)
	}
	return nil
}

// KDFParams is the JSON form of ScryptParams plus the salt.
type KDFParams struct {
	ScryptParams
	Salt string `json:"salt"`
}

// CryptoSection is the encrypted part of a key file.
type CryptoSection struct {
	Cipher     string    `json:"cipher"`
	CipherText string    `json:"ciphertext"`
	Nonce      string    `json:"nonce"`
	KDF        string    `json:"kdf"`
	KDFParams  KDFParams `json:"kdfparams"`
}

// KeyFile is one encrypted private key as stored on disk. Name, address and
// public key are in clear so keys can be listed without a password.
type KeyFile struct {
	Version int           `json:"version"`
	ID      string        `json:"id"`
	Name    string        `json:"name"`
	Address string        `json:"address"`
	PubKey  string        `json:"pubkey"`
	Crypto  CryptoSection `json:"crypto"`
}

// Marshal returns the indented JSON form written to disk.
func (kf *KeyFile) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrCorruptKeystore)
}

// additionalData binds the clear-text public key and address to the
// ciphertext, so swapping either between files makes decryption fail rather
// than pairing one key with another's address.
func additionalData(pub keys.PubKey, address string) []byte {
	ad := make([]byte, 0, len(adPrefix)+keys.PubKeySize+len(address))
	ad = append(ad, adPrefix...)
	ad = append(ad, pub[:]...)
	return append(ad, address...)
}

func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

func deriveAEAD(password string, salt []byte, p ScryptParams) (cipher.AEAD, error) {
	dk, err := scrypt.Key([]byte(password), salt, p.N, p.R, p.P, p.DKLen)
	if err != nil {
		return nil, err
	}
	defer clear(dk)
	block, err := aes.NewCipher(dk)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// EncryptKey encrypts k under password. hrp is the network's address prefix,
// recorded in the address field so a file is not mistaken for another
// network's key.
func EncryptKey(k *keys.PrivateKey, name, hrp, password string, p ScryptParams) (*KeyFile, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	if err := keys.ValidateHRP(hrp); err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	pub := k.PubKey()
	address := pub.Address().Encode(hrp)
	salt := make([]byte, 32)
	nonce := make([]byte, nonceLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("wallet: salt: %w", err)
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("wallet: nonce: %w", err)
	}
	id, err := newID()
	if err != nil {
		return nil, fmt.Errorf("wallet: id: %w", err)
	}
	aead, err := deriveAEAD(password, salt, p)
	if err != nil {
		return nil, fmt.Errorf("wallet: key derivation: %w", err)
	}
	secret := k.Bytes()
	defer clear(secret)
	ct := aead.Seal(nil, nonce, secret, additionalData(pub, address))
	return &KeyFile{
		Version: KeyFileVersion,
		ID:      id,
		Name:    name,
		Address: address,
		PubKey:  pub.String(),
		Crypto: CryptoSection{
			Cipher:     cipherName,
			CipherText: hex.EncodeToString(ct),
			Nonce:      hex.EncodeToString(nonce),
			KDF:        kdfName,
			KDFParams:  KDFParams{ScryptParams: p, Salt: hex.EncodeToString(salt)},
		},
	}, nil
}

// parsed holds a key file's fields after validation, decoded from hex.
type parsed struct {
	pub    keys.PubKey
	addr   keys.Address
	hrp    string
	params ScryptParams
	salt   []byte
	nonce  []byte
	ct     []byte
}

func decodeHex(field, s string, minLen, maxLen int) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, corrupt("%s is not valid hex", field)
	}
	if len(b) < minLen || len(b) > maxLen {
		return nil, corrupt("%s is %d bytes, want %d to %d", field, len(b), minLen, maxLen)
	}
	return b, nil
}

// hrpOf returns the prefix of a bech32 string so the address can be checked
// without the caller saying which network the file belongs to.
func hrpOf(address string) string {
	i := strings.LastIndexByte(address, '1')
	if i < 1 {
		return ""
	}
	return strings.ToLower(address[:i])
}

// HRP returns the network prefix recorded in the file's address.
func (kf *KeyFile) HRP() string { return hrpOf(kf.Address) }

// check validates every field that can be checked without the password.
func (kf *KeyFile) check() (*parsed, error) {
	if kf.Version != KeyFileVersion {
		return nil, corrupt("unsupported keystore version %d (this build reads version %d)", kf.Version, KeyFileVersion)
	}
	c := &kf.Crypto
	if c.Cipher != cipherName {
		return nil, corrupt("unknown cipher %q", c.Cipher)
	}
	if c.KDF != kdfName {
		return nil, corrupt("unknown kdf %q", c.KDF)
	}
	if err := c.KDFParams.ScryptParams.validate(); err != nil {
		return nil, corrupt("%v", err)
	}
	var p parsed
	p.params = c.KDFParams.ScryptParams
	var err error
	if p.salt, err = decodeHex("salt", c.KDFParams.Salt, minSaltLen, maxSaltLen); err != nil {
		return nil, err
	}
	if p.nonce, err = decodeHex("nonce", c.Nonce, nonceLen, nonceLen); err != nil {
		return nil, err
	}
	if p.ct, err = decodeHex("ciphertext", c.CipherText, keys.PrivateKeySize+gcmTagLen, keys.PrivateKeySize+gcmTagLen); err != nil {
		return nil, err
	}
	pubBytes, err := decodeHex("pubkey", kf.PubKey, keys.PubKeySize, keys.PubKeySize)
	if err != nil {
		return nil, err
	}
	if p.pub, err = keys.ParsePubKey(pubBytes); err != nil {
		return nil, corrupt("pubkey: %v", err)
	}
	hrp := hrpOf(kf.Address)
	if keys.ValidateHRP(hrp) != nil {
		return nil, corrupt("address %q has no valid network prefix", kf.Address)
	}
	if p.addr, err = keys.DecodeAddress(kf.Address, hrp); err != nil {
		return nil, corrupt("address: %v", err)
	}
	p.hrp = hrp
	if p.addr != p.pub.Address() {
		return nil, corrupt("address %s does not belong to pubkey %s", kf.Address, kf.PubKey)
	}
	return &p, nil
}

// ParseKeyFile decodes and validates a key file without decrypting it.
func ParseKeyFile(data []byte) (*KeyFile, error) {
	var kf KeyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return nil, corrupt("not a keystore JSON file (%v)", err)
	}
	if _, err := kf.check(); err != nil {
		return nil, err
	}
	return &kf, nil
}

// DecryptKey recovers the private key. A GCM failure on a file whose clear
// fields are consistent is reported as ErrWrongPassword: a flipped bit in the
// ciphertext, nonce or salt is indistinguishable from a wrong password, and
// the password is by far the likelier cause.
func DecryptKey(kf *KeyFile, password string) (*keys.PrivateKey, error) {
	p, err := kf.check()
	if err != nil {
		return nil, err
	}
	aead, err := deriveAEAD(password, p.salt, p.params)
	if err != nil {
		return nil, corrupt("key derivation: %v", err)
	}
	secret, err := aead.Open(nil, p.nonce, p.ct, additionalData(p.pub, p.addr.Encode(p.hrp)))
	if err != nil {
		return nil, fmt.Errorf("cannot unlock key %q: %w", kf.Name, ErrWrongPassword)
	}
	defer clear(secret)
	k, err := keys.PrivateKeyFromBytes(secret)
	if err != nil {
		return nil, corrupt("decrypted key: %v", err)
	}
	if k.PubKey() != p.pub {
		k.Zero()
		return nil, corrupt("decrypted key does not match pubkey %s", kf.PubKey)
	}
	return k, nil
}
