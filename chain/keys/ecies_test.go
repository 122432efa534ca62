package keys

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func TestECIESRoundTrip(t *testing.T) {
	k := testKey(t, 11)
	for _, msg := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("secret key "), 1000)} {
		ct, err := EncryptECIES(rand.Reader, k.PubKey(), msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != len(msg)+ECIESOverhead {
			t.Fatalf("ciphertext length %d, want %d", len(ct), len(msg)+ECIESOverhead)
		}
		if len(msg) > 4 && bytes.Contains(ct, msg[:5]) {
			t.Fatal("plaintext visible in ciphertext")
		}
		pt, err := k.DecryptECIES(ct)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pt, msg) {
			t.Fatal("round trip changed the message")
		}
		ct2, _ := EncryptECIES(rand.Reader, k.PubKey(), msg)
		if bytes.Equal(ct, ct2) {
			t.Fatal("encryption is deterministic; ephemeral key or nonce reused")
		}
	}
}

func TestECIESTamperAndWrongKey(t *testing.T) {
	k := testKey(t, 12)
	msg := []byte("auction winner content key")
	ct, err := EncryptECIES(rand.Reader, k.PubKey(), msg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := k.DecryptECIES(bad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flip at byte %d: err = %v, want ErrDecrypt", i, err)
		}
	}
	if _, err := testKey(t, 13).DecryptECIES(ct); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: err = %v", err)
	}
	for _, n := range []int{0, 1, PubKeySize, ECIESOverhead - 1} {
		if _, err := k.DecryptECIES(ct[:n]); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("truncated to %d: err = %v", n, err)
		}
	}
	if _, err := EncryptECIES(rand.Reader, PubKey{}, msg); !errors.Is(err, ErrPubKey) {
		t.Fatalf("invalid recipient: err = %v", err)
	}
	if _, err := EncryptECIES(bytes.NewReader(nil), k.PubKey(), msg); err == nil {
		t.Fatal("encryption succeeded with an empty randomness source")
	}
}
