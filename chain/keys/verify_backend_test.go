package keys

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestVerifyBackendsAgree checks Verify (whichever backend the build
// chose) against the pure-Go verifier on valid signatures and on every
// kind of corruption: flipped bits in the hash, r, s and key, high-s,
// zero and out-of-range scalars, wrong key prefix. Run it with
// -tags libsecp256k1 to compare the two implementations.
func TestVerifyBackendsAgree(t *testing.T) {
	t.Logf("backend: %s", VerifyBackend)
	rng := rand.New(rand.NewPCG(1, 2))
	order := [32]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41}
	var valid, invalid int
	for i := range 400 {
		k := testKey(t, i+7)
		h := sha256.Sum256(binary.LittleEndian.AppendUint64(nil, uint64(i)))
		sig := k.Sign(h)
		pub := k.PubKey()
		cases := []struct {
			pub PubKey
			h   [32]byte
			sig Signature
		}{{pub, h, sig}}
		bad := func(f func(p *PubKey, h *[32]byte, s *Signature)) {
			p, hh, s := pub, h, sig
			f(&p, &hh, &s)
			cases = append(cases, struct {
				pub PubKey
				h   [32]byte
				sig Signature
			}{p, hh, s})
		}
		bad(func(_ *PubKey, h *[32]byte, _ *Signature) { h[rng.IntN(32)] ^= 1 << rng.IntN(8) })
		bad(func(_ *PubKey, _ *[32]byte, s *Signature) { s[rng.IntN(32)] ^= 1 << rng.IntN(8) })
		bad(func(_ *PubKey, _ *[32]byte, s *Signature) { s[32+rng.IntN(32)] ^= 1 << rng.IntN(8) })
		bad(func(p *PubKey, _ *[32]byte, _ *Signature) { p[1+rng.IntN(32)] ^= 1 << rng.IntN(8) })
		bad(func(p *PubKey, _ *[32]byte, _ *Signature) { p[0] = 0x04 })
		bad(func(p *PubKey, _ *[32]byte, _ *Signature) { p[0] ^= 0x01 }) // the other point with this x
		bad(func(_ *PubKey, _ *[32]byte, s *Signature) { copy(s[:32], make([]byte, 32)) })
		bad(func(_ *PubKey, _ *[32]byte, s *Signature) { copy(s[32:], make([]byte, 32)) })
		bad(func(_ *PubKey, _ *[32]byte, s *Signature) { copy(s[:32], order[:]) })
		bad(func(_ *PubKey, _ *[32]byte, s *Signature) { highS(s, order) })
		for j, c := range cases {
			got, want := Verify(c.pub, c.h, c.sig), VerifyPureGo(c.pub, c.h, c.sig)
			if got != want {
				t.Fatalf("key %d case %d: %s says %v, pure Go says %v", i, j, VerifyBackend, got, want)
			}
			if j == 0 && !got {
				t.Fatalf("key %d: a valid signature was refused", i)
			}
			if got {
				valid++
			} else {
				invalid++
			}
		}
	}
	if valid < 400 || invalid < 400*9 {
		t.Fatalf("valid %d, invalid %d: corruptions did not corrupt", valid, invalid)
	}
}

// highS replaces s with n − s, the malleated twin both verifiers refuse.
func highS(s *Signature, order [32]byte) {
	var borrow int
	for i := 31; i >= 0; i-- {
		d := int(order[i]) - int(s[32+i]) - borrow
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		s[32+i] = byte(d)
	}
}
