package keys

import (
	"crypto/rand"
	"strings"
	"testing"
)

func FuzzDecodeAddress(f *testing.F) {
	a := testKey(f, 1).PubKey().Address()
	f.Add(a.Encode("tc"), "tc")
	f.Add(a.Encode("tct"), "tc")
	f.Add("A1LQFN3A", "a")
	f.Add("tc1", "tc")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, s, hrp string) {
		got, err := DecodeAddress(s, hrp)
		if err != nil {
			return
		}
		// Anything accepted must be the canonical encoding, modulo case.
		if enc := got.Encode(strings.ToLower(hrp)); enc != strings.ToLower(s) {
			t.Fatalf("DecodeAddress(%q) accepted, but re-encodes as %q", s, enc)
		}
	})
}

func FuzzParsePubKey(f *testing.F) {
	pk := testKey(f, 2).PubKey()
	f.Add(pk[:])
	f.Add([]byte{2})
	f.Add(make([]byte, 33))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParsePubKey(b)
		if err != nil {
			return
		}
		if string(got[:]) != string(b) {
			t.Fatal("accepted key does not round-trip")
		}
		if _, err := got.secp(); err != nil {
			t.Fatalf("accepted key does not convert: %v", err)
		}
	})
}

func FuzzDecryptECIES(f *testing.F) {
	k := testKey(f, 3)
	ct, err := EncryptECIES(rand.Reader, k.PubKey(), []byte("seed"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ct)
	f.Add([]byte{})
	f.Add(make([]byte, ECIESOverhead))
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := k.DecryptECIES(b)
		if err == nil && len(pt) != len(b)-ECIESOverhead {
			t.Fatalf("plaintext length %d for %d-byte input", len(pt), len(b))
		}
	})
}
