package keys

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

func testKey(t testing.TB, seed int) *PrivateKey {
	t.Helper()
	b := sha256.Sum256([]byte(fmt.Sprintf("thingchain test key %d", seed)))
	k, err := PrivateKeyFromBytes(b[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Private key 1 signing SHA-256("Satoshi Nakamoto") is a widely published
// RFC 6979 secp256k1 vector; matching it proves determinism and low-S.
func TestSignKnownVector(t *testing.T) {
	one := make([]byte, 32)
	one[31] = 1
	k, err := PrivateKeyFromBytes(one)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.PubKey().String(), "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"; got != want {
		t.Fatalf("pubkey = %s, want %s", got, want)
	}
	h := sha256.Sum256([]byte("Satoshi Nakamoto"))
	sig := k.Sign(h)
	want := "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8" +
		"2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"
	if sig.String() != want {
		t.Fatalf("sig = %s, want %s", sig, want)
	}
	if !Verify(k.PubKey(), h, sig) {
		t.Fatal("known-good signature rejected")
	}
}

func TestSignVerifyRoundTripAndTamper(t *testing.T) {
	for i := range 20 {
		k := testKey(t, i)
		h := sha256.Sum256([]byte{byte(i)})
		sig := k.Sign(h)
		if sig != k.Sign(h) {
			t.Fatal("Sign is not deterministic")
		}
		if !Verify(k.PubKey(), h, sig) {
			t.Fatalf("key %d: valid signature rejected", i)
		}
		badHash := h
		badHash[i%32] ^= 1
		if Verify(k.PubKey(), badHash, sig) {
			t.Fatalf("key %d: signature accepted for a different hash", i)
		}
		badSig := sig
		badSig[(i*7)%64] ^= 0x10
		if Verify(k.PubKey(), h, badSig) {
			t.Fatalf("key %d: tampered signature accepted", i)
		}
		other := testKey(t, i+100).PubKey()
		if Verify(other, h, sig) {
			t.Fatalf("key %d: signature accepted under another key", i)
		}
		flipped := k.PubKey()
		flipped[0] ^= 1 // same X, other Y: a different valid point
		if Verify(flipped, h, sig) {
			t.Fatalf("key %d: signature accepted under negated key", i)
		}
	}
}

func TestVerifyRejectsHighS(t *testing.T) {
	k := testKey(t, 1)
	h := sha256.Sum256([]byte("malleable"))
	sig := k.Sign(h)
	var r, s secp256k1.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:])
	if s.IsOverHalfOrder() {
		t.Fatal("Sign produced high S")
	}
	s.Negate()
	pkb := k.PubKey()
	pub, err := secp256k1.ParsePubKey(pkb[:])
	if err != nil {
		t.Fatal(err)
	}
	// Proves the mutated signature is mathematically valid, so only the
	// low-S rule can be what rejects it below.
	if !ecdsa.NewSignature(&r, &s).Verify(h[:], pub) {
		t.Fatal("library rejects the (r, N-s) twin; test is not exercising low-S")
	}
	high := sig
	sb := s.Bytes()
	copy(high[32:], sb[:])
	if Verify(k.PubKey(), h, high) {
		t.Fatal("high-S signature accepted")
	}
}

func TestVerifyRejectsDegenerate(t *testing.T) {
	k := testKey(t, 2)
	h := sha256.Sum256([]byte("x"))
	sig := k.Sign(h)
	nBytes := mustHex(t, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")

	zeroR := sig
	clear(zeroR[:32])
	zeroS := sig
	clear(zeroS[32:])
	rIsN := sig
	copy(rIsN[:32], nBytes)
	var offCurve PubKey
	offCurve[0] = 2
	offCurve[32] = 5 // x=5 has no y on secp256k1
	cases := map[string]struct {
		pub PubKey
		sig Signature
	}{
		"zero r":          {k.PubKey(), zeroR},
		"zero s":          {k.PubKey(), zeroS},
		"r equals N":      {k.PubKey(), rIsN},
		"zero pubkey":     {PubKey{}, sig},
		"off-curve point": {offCurve, sig},
	}
	for name, c := range cases {
		if Verify(c.pub, h, c.sig) {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPrivateKeyFromBytes(t *testing.T) {
	k := testKey(t, 3)
	k2, err := PrivateKeyFromBytes(k.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if k2.PubKey() != k.PubKey() || !bytes.Equal(k2.Bytes(), k.Bytes()) {
		t.Fatal("round trip changed the key")
	}
	if k.Secp().PubKey().SerializeCompressed()[0] != k.PubKey()[0] {
		t.Fatal("Secp disagrees with PubKey")
	}
	bad := map[string][]byte{
		"short":     make([]byte, 31),
		"long":      make([]byte, 33),
		"zero":      make([]byte, 32),
		"order N":   mustHex(t, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"),
		"all ones":  bytes.Repeat([]byte{0xff}, 32),
		"nil input": nil,
	}
	for name, b := range bad {
		if _, err := PrivateKeyFromBytes(b); !errors.Is(err, ErrPrivateKey) {
			t.Errorf("%s: err = %v, want ErrPrivateKey", name, err)
		}
	}
	nMinus1 := mustHex(t, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140")
	if _, err := PrivateKeyFromBytes(nMinus1); err != nil {
		t.Errorf("N-1 is a valid key: %v", err)
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if a.PubKey() == b.PubKey() {
		t.Fatal("two generated keys are equal")
	}
	h := sha256.Sum256([]byte("gen"))
	if !Verify(a.PubKey(), h, a.Sign(h)) {
		t.Fatal("generated key cannot sign")
	}
}

func TestParsePubKey(t *testing.T) {
	k := testKey(t, 4)
	pk := k.PubKey()
	got, err := ParsePubKey(pk[:])
	if err != nil || got != pk {
		t.Fatalf("ParsePubKey(valid) = %v, %v", got, err)
	}
	full, _ := secp256k1.ParsePubKey(pk[:])
	bad := map[string][]byte{
		"empty":        nil,
		"uncompressed": full.SerializeUncompressed(),
		"prefix 04":    append([]byte{4}, pk[1:]...),
		"x not on curve": append([]byte{2},
			mustHex(t, "0000000000000000000000000000000000000000000000000000000000000005")...),
		"x >= p": append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...),
	}
	for name, b := range bad {
		if _, err := ParsePubKey(b); !errors.Is(err, ErrPubKey) {
			t.Errorf("%s: err = %v, want ErrPubKey", name, err)
		}
	}
	if pk.String() != hex.EncodeToString(pk[:]) {
		t.Error("String is not hex")
	}
}

func TestZero(t *testing.T) {
	k := testKey(t, 5)
	k.Zero()
	if !bytes.Equal(k.Bytes(), make([]byte, 32)) {
		t.Fatal("Zero left secret bytes behind")
	}
}
