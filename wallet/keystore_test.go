package wallet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
)

func testKey(t testing.TB, seed int) *keys.PrivateKey {
	t.Helper()
	b := sha256.Sum256([]byte(fmt.Sprintf("wallet test key %d", seed)))
	k, err := keys.PrivateKeyFromBytes(b[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encrypted(t testing.TB, seed int, password string) *KeyFile {
	t.Helper()
	kf, err := EncryptKey(testKey(t, seed), fmt.Sprintf("key%d", seed), "tcr", password, LightScrypt())
	if err != nil {
		t.Fatal(err)
	}
	return kf
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	k := testKey(t, 1)
	kf, err := EncryptKey(k, "alice", "tcr", "correct horse", LightScrypt())
	if err != nil {
		t.Fatal(err)
	}
	if want := k.PubKey().Address().Encode("tcr"); kf.Address != want {
		t.Fatalf("address %s, want %s", kf.Address, want)
	}
	data, err := kf.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), hex.EncodeToString(k.Bytes())) {
		t.Fatal("private key appears in clear in the key file")
	}
	parsed, err := ParseKeyFile(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecryptKey(parsed, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Bytes()) != string(k.Bytes()) {
		t.Fatal("decrypted key differs")
	}
	if parsed.HRP() != "tcr" {
		t.Fatalf("HRP = %q", parsed.HRP())
	}
	// Same key, same password, fresh salt and nonce each time.
	kf2, _ := EncryptKey(k, "alice", "tcr", "correct horse", LightScrypt())
	if kf2.Crypto.CipherText == kf.Crypto.CipherText || kf2.Crypto.KDFParams.Salt == kf.Crypto.KDFParams.Salt || kf2.ID == kf.ID {
		t.Fatal("salt, nonce or id reused between encryptions")
	}
}

func TestKeyFileJSONShape(t *testing.T) {
	data, err := encrypted(t, 2, "pw").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "id", "name", "address", "pubkey", "crypto"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing top-level field %q", k)
		}
	}
	c := m["crypto"].(map[string]any)
	if c["cipher"] != "aes-256-gcm" || c["kdf"] != "scrypt" {
		t.Errorf("crypto section = %v", c)
	}
	kp := c["kdfparams"].(map[string]any)
	for _, k := range []string{"n", "r", "p", "dklen", "salt"} {
		if _, ok := kp[k]; !ok {
			t.Errorf("missing kdfparams field %q", k)
		}
	}
	if kp["n"].(float64) != 4096 || m["version"].(float64) != 1 {
		t.Errorf("n=%v version=%v", kp["n"], m["version"])
	}
}

func TestWrongPassword(t *testing.T) {
	kf := encrypted(t, 3, "right")
	_, err := DecryptKey(kf, "wrong")
	if !errors.Is(err, ErrWrongPassword) || errors.Is(err, ErrCorruptKeystore) {
		t.Fatalf("err = %v, want only ErrWrongPassword", err)
	}
	if !strings.Contains(err.Error(), "check the password") {
		t.Fatalf("error %q does not tell the user what to do", err)
	}
}

func TestScryptParamPresets(t *testing.T) {
	if err := StandardScrypt().validate(); err != nil || StandardScrypt().N != 1<<18 {
		t.Fatalf("StandardScrypt: %+v %v", StandardScrypt(), err)
	}
	if err := LightScrypt().validate(); err != nil || LightScrypt().N != 1<<12 {
		t.Fatalf("LightScrypt: %+v %v", LightScrypt(), err)
	}
	if _, err := EncryptKey(testKey(t, 1), "x", "tcr", "pw", ScryptParams{N: 3, R: 8, P: 1, DKLen: 32}); err == nil {
		t.Fatal("EncryptKey accepted N=3")
	}
	if _, err := EncryptKey(testKey(t, 1), "x", "", "pw", LightScrypt()); err == nil {
		t.Fatal("EncryptKey accepted empty HRP")
	}
}

// mutate applies f to a fresh copy of a good key file's JSON object.
func mutate(t *testing.T, good *KeyFile, f func(m map[string]any)) []byte {
	t.Helper()
	data, _ := good.Marshal()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func flipHex(s string, i int) string {
	b := []byte(s)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}

func TestCorruptionKinds(t *testing.T) {
	const pw = "pw"
	good := encrypted(t, 4, pw)
	other := encrypted(t, 5, pw)
	goodJSON, _ := good.Marshal()
	crypto := func(m map[string]any) map[string]any { return m["crypto"].(map[string]any) }
	kdf := func(m map[string]any) map[string]any { return crypto(m)["kdfparams"].(map[string]any) }

	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"truncated JSON", goodJSON[:len(goodJSON)/2], ErrCorruptKeystore},
		{"empty", nil, ErrCorruptKeystore},
		{"not an object", []byte(`[1,2]`), ErrCorruptKeystore},
		{"version 2", mutate(t, good, func(m map[string]any) { m["version"] = 2 }), ErrCorruptKeystore},
		{"unknown cipher", mutate(t, good, func(m map[string]any) { crypto(m)["cipher"] = "aes-128-ctr" }), ErrCorruptKeystore},
		{"unknown kdf", mutate(t, good, func(m map[string]any) { crypto(m)["kdf"] = "pbkdf2" }), ErrCorruptKeystore},
		{"n not power of two", mutate(t, good, func(m map[string]any) { kdf(m)["n"] = 4095 }), ErrCorruptKeystore},
		{"n too large", mutate(t, good, func(m map[string]any) { kdf(m)["n"] = 1 << 23 }), ErrCorruptKeystore},
		{"n negative", mutate(t, good, func(m map[string]any) { kdf(m)["n"] = -4096 }), ErrCorruptKeystore},
		{"r zero", mutate(t, good, func(m map[string]any) { kdf(m)["r"] = 0 }), ErrCorruptKeystore},
		{"memory too large", mutate(t, good, func(m map[string]any) { kdf(m)["n"] = 1 << 22; kdf(m)["r"] = 8 }), ErrCorruptKeystore},
		{"dklen 16", mutate(t, good, func(m map[string]any) { kdf(m)["dklen"] = 16 }), ErrCorruptKeystore},
		{"salt bad hex", mutate(t, good, func(m map[string]any) { kdf(m)["salt"] = "zz" }), ErrCorruptKeystore},
		{"salt short", mutate(t, good, func(m map[string]any) { kdf(m)["salt"] = "00" }), ErrCorruptKeystore},
		{"nonce wrong length", mutate(t, good, func(m map[string]any) { crypto(m)["nonce"] = "00112233" }), ErrCorruptKeystore},
		{"ciphertext truncated", mutate(t, good, func(m map[string]any) {
			crypto(m)["ciphertext"] = good.Crypto.CipherText[:len(good.Crypto.CipherText)-2]
		}), ErrCorruptKeystore},
		{"ciphertext odd hex", mutate(t, good, func(m map[string]any) {
			crypto(m)["ciphertext"] = good.Crypto.CipherText[:len(good.Crypto.CipherText)-1]
		}), ErrCorruptKeystore},
		{"pubkey flipped", mutate(t, good, func(m map[string]any) { m["pubkey"] = flipHex(good.PubKey, 20) }), ErrCorruptKeystore},
		{"pubkey of another key", mutate(t, good, func(m map[string]any) { m["pubkey"] = other.PubKey }), ErrCorruptKeystore},
		{"address of another key", mutate(t, good, func(m map[string]any) { m["address"] = other.Address }), ErrCorruptKeystore},
		{"address typo", mutate(t, good, func(m map[string]any) { m["address"] = flipHex(good.Address, 10) }), ErrCorruptKeystore},
		{"address missing", mutate(t, good, func(m map[string]any) { delete(m, "address") }), ErrCorruptKeystore},
		// Indistinguishable from a wrong password by design: GCM cannot
		// say which input was wrong.
		{"ciphertext flipped", mutate(t, good, func(m map[string]any) { crypto(m)["ciphertext"] = flipHex(good.Crypto.CipherText, 5) }), ErrWrongPassword},
		{"nonce flipped", mutate(t, good, func(m map[string]any) { crypto(m)["nonce"] = flipHex(good.Crypto.Nonce, 0) }), ErrWrongPassword},
		{"salt flipped", mutate(t, good, func(m map[string]any) { kdf(m)["salt"] = flipHex(good.Crypto.KDFParams.Salt, 3) }), ErrWrongPassword},
		// Both clear fields swapped consistently: only the AEAD binding can
		// catch it.
		{"pubkey and address swapped", mutate(t, good, func(m map[string]any) {
			m["pubkey"] = other.PubKey
			m["address"] = other.Address
		}), ErrWrongPassword},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kf, err := ParseKeyFile(c.data)
			if err == nil {
				_, err = DecryptKey(kf, pw)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == ErrCorruptKeystore && !strings.Contains(err.Error(), "restore it from your backup") {
				t.Fatalf("error %q does not tell the user what to do", err)
			}
		})
	}
}

func TestDecryptDetectsKeyPubkeyMismatch(t *testing.T) {
	// Encrypt a key's secret under another key's clear fields: the file
	// passes every clear-text check and GCM, so only the final comparison of
	// the decrypted key with the pubkey can catch it.
	k, victim := testKey(t, 6), testKey(t, 7)
	kf, err := EncryptKey(victim, "v", "tcr", "pw", LightScrypt())
	if err != nil {
		t.Fatal(err)
	}
	p, err := kf.check()
	if err != nil {
		t.Fatal(err)
	}
	aead, err := deriveAEAD("pw", p.salt, p.params)
	if err != nil {
		t.Fatal(err)
	}
	ct := aead.Seal(nil, p.nonce, k.Bytes(), additionalData(p.pub, kf.Address))
	kf.Crypto.CipherText = hex.EncodeToString(ct)
	if _, err := DecryptKey(kf, "pw"); !errors.Is(err, ErrCorruptKeystore) {
		t.Fatalf("err = %v, want ErrCorruptKeystore", err)
	}
}

func TestUppercaseAddressStillDecrypts(t *testing.T) {
	kf := encrypted(t, 8, "pw")
	kf.Address = strings.ToUpper(kf.Address)
	if _, err := DecryptKey(kf, "pw"); err != nil {
		t.Fatalf("uppercase address (same address in bech32) rejected: %v", err)
	}
}
