package payload

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
)

// testError is what testErr builds, so tests can see both halves.
type testError struct{ what, reason string }

func (e *testError) Error() string { return e.what + ": " + e.reason }

func testErr(what, reason string) error { return &testError{what, reason} }

// validKey is a deterministic on-curve compressed key.
func validKey(t testing.TB) keys.PubKey {
	t.Helper()
	k, err := keys.PrivateKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.PubKey()
}

func TestWriterLayout(t *testing.T) {
	var w Writer
	w.U8(0x01)
	w.U16(0x0302)
	w.U32(0x07060504)
	w.U64(0x0f0e0d0c0b0a0908)
	w.Bool(true)
	w.Bool(false)
	w.Str("hi")
	w.Blob([]byte{0xaa, 0xbb})
	w.Raw([]byte{0xcc})
	const want = "01" + "0203" + "04050607" + "08090a0b0c0d0e0f" + "01" + "00" + "0200" + "6869" + "02000000" + "aabb" + "cc"
	if got := hex.EncodeToString(w.Bytes()); got != want {
		t.Fatalf("layout\n got %s\nwant %s", got, want)
	}
	if NewWriter(64).Bytes() == nil || len(NewWriter(64).Bytes()) != 0 || cap(NewWriter(64).Bytes()) != 64 {
		t.Fatal("NewWriter: want an empty buffer of the given capacity")
	}
}

func TestStrOverLimitPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Str of 65536 bytes did not panic")
		}
	}()
	var w Writer
	w.Str(strings.Repeat("x", 0x10000))
}

func TestRoundTrip(t *testing.T) {
	pk := validKey(t)
	var sig keys.Signature
	for i := range sig {
		sig[i] = byte(i)
	}
	fixed := [5]byte{1, 2, 3, 4, 5}

	w := NewWriter(0)
	w.U8(200)
	w.U16(65535)
	w.U32(1 << 31)
	w.U64(1<<64 - 1)
	w.Bool(true)
	w.Bool(false)
	w.Str("Zürich EU-CH")
	w.Str("")
	w.Blob([]byte("thing description"))
	w.Blob(nil)
	w.Raw(fixed[:])
	w.Raw(pk[:])
	w.Raw(sig[:])
	w.U16(3) // count

	r := NewReader(w.Bytes(), "test payload", testErr)
	var gotFixed [5]byte
	if v := r.U8("a"); v != 200 {
		t.Errorf("U8 = %d", v)
	}
	if v := r.U16("b"); v != 65535 {
		t.Errorf("U16 = %d", v)
	}
	if v := r.U32("c"); v != 1<<31 {
		t.Errorf("U32 = %d", v)
	}
	if v := r.U64("d"); v != 1<<64-1 {
		t.Errorf("U64 = %d", v)
	}
	if !r.Bool("e") || r.Bool("f") {
		t.Error("Bool")
	}
	if v := r.Str("g", 64); v != "Zürich EU-CH" {
		t.Errorf("Str = %q", v)
	}
	if v := r.Str("h", 0); v != "" {
		t.Errorf("empty Str = %q", v)
	}
	if v := r.Blob("i", 17); string(v) != "thing description" {
		t.Errorf("Blob = %q", v)
	}
	if v := r.Blob("j", 0); v != nil || r.Err() != nil {
		t.Errorf("empty Blob = %#v (%v), want nil", v, r.Err())
	}
	r.Fixed(gotFixed[:], "k")
	if gotFixed != fixed {
		t.Errorf("Fixed = %x", gotFixed)
	}
	if v := r.PubKey("l"); v != pk {
		t.Errorf("PubKey = %s", v)
	}
	if v := r.Sig("m"); v != sig {
		t.Errorf("Sig = %s", v)
	}
	if v := r.Count("n", 3); v != 3 {
		t.Errorf("Count = %d", v)
	}
	if r.Remaining() != 0 {
		t.Errorf("Remaining = %d", r.Remaining())
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
}

// TestBlobDoesNotAlias: decoded blobs survive reuse of the input buffer.
func TestBlobDoesNotAlias(t *testing.T) {
	var w Writer
	w.Blob([]byte("abc"))
	in := w.Bytes()
	r := NewReader(in, "p", testErr)
	b := r.Blob("x", 10)
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	in[4] = 'z'
	if string(b) != "abc" {
		t.Fatalf("blob aliases its input: %q", b)
	}
}

func hexb(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestErrors pins the messages: the state machines' consensus errors are
// "<what>: <reason>" and tests and logs elsewhere depend on the wording.
func TestErrors(t *testing.T) {
	notOnCurve := "02" + strings.Repeat("ff", 32)
	cases := []struct {
		name string
		in   []byte
		read func(r *Reader)
		want string
	}{
		{"u8 truncated", nil, func(r *Reader) { r.U8("action") }, "action: truncated"},
		{"u16 truncated", hexb("01"), func(r *Reader) { r.U16("len") }, "len: truncated"},
		{"u32 truncated", hexb("010203"), func(r *Reader) { r.U32("bids") }, "bids: truncated"},
		{"u64 truncated", hexb("01020304050607"), func(r *Reader) { r.U64("nonce") }, "nonce: truncated"},
		{"bool 2", hexb("02"), func(r *Reader) { r.Bool("required") }, "required: boolean byte 2, want 0 or 1"},
		{"str over limit", hexb("050068656c6c6f"), func(r *Reader) { r.Str("name", 4) }, "name: 5 bytes exceeds limit 4"},
		{"str truncated", hexb("050068656c6c"), func(r *Reader) { r.Str("name", 8) }, "name: truncated"},
		{"str bad utf8", hexb("0200c328"), func(r *Reader) { r.Str("name", 8) }, "name: not valid UTF-8"},
		{"str control", hexb("0200410a"), func(r *Reader) { r.Str("name", 8) }, "name: control character U+000A"},
		{"str del", hexb("02007f41"), func(r *Reader) { r.Str("name", 8) }, "name: control character U+007F"},
		{"blob over limit", hexb("0500000001"), func(r *Reader) { r.Blob("td", 4) }, "td: 5 bytes exceeds limit 4"},
		{"blob huge length", hexb("ffffffff"), func(r *Reader) { r.Blob("td", 1<<16) }, "td: 4294967295 bytes exceeds limit 65536"},
		{"blob truncated", hexb("03000000aabb"), func(r *Reader) { r.Blob("td", 4) }, "td: truncated"},
		{"fixed truncated", hexb("aabb"), func(r *Reader) { var h [32]byte; r.Fixed(h[:], "salt") }, "salt: truncated"},
		{"pubkey truncated", hexb("02"), func(r *Reader) { r.PubKey("owner") }, "owner: truncated"},
		{"pubkey prefix", append([]byte{0x04}, make([]byte, 32)...), func(r *Reader) { r.PubKey("owner") }, "owner: keys: invalid public key: prefix 0x04 is not compressed form"},
		{"pubkey not on curve", hexb(notOnCurve), func(r *Reader) { r.PubKey("owner") }, ""},
		{"sig truncated", make([]byte, 63), func(r *Reader) { r.Sig("owner signature") }, "owner signature: truncated"},
		{"count zero", hexb("0000"), func(r *Reader) { r.Count("bids", 5) }, "bids: 0 elements, want 1..5"},
		{"count over", hexb("0600"), func(r *Reader) { r.Count("bids", 5) }, "bids: 6 elements, want 1..5"},
		{"trailing", hexb("0102"), func(r *Reader) { r.U8("a") }, "1 trailing bytes"},
		{"own failure", hexb("21"), func(r *Reader) {
			if n := r.U8("approval count"); r.Err() == nil && n > 32 {
				r.Fail("%d approvals exceeds limit %d", n, 32)
			}
		}, "33 approvals exceeds limit 32"},
		{"first error sticks", hexb("02"), func(r *Reader) {
			r.Bool("first")
			r.U64("second")
			r.Fail("third")
		}, "first: boolean byte 2, want 0 or 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(c.in, "test payload", testErr)
			c.read(r)
			err := r.Finish()
			var te *testError
			if !errors.As(err, &te) {
				t.Fatalf("error %v (%T), want one built by the ErrorFunc", err, err)
			}
			if te.what != "test payload" {
				t.Errorf("what = %q", te.what)
			}
			if c.want == "" { // the curve library's own wording
				if !strings.HasPrefix(te.reason, "owner: keys: invalid public key") {
					t.Errorf("reason = %q", te.reason)
				}
			} else if te.reason != c.want {
				t.Errorf("reason = %q, want %q", te.reason, c.want)
			}
			if r.Err() != err || r.Finish() != err {
				t.Error("the first error does not stick")
			}
		})
	}
}

// TestZeroAfterError: once failed, reads consume nothing and return zero
// values, so decoders may read straight through.
func TestZeroAfterError(t *testing.T) {
	in := bytes.Repeat([]byte{1}, 200)
	r := NewReader(in, "p", testErr)
	r.Fail("stop")
	var f [4]byte
	r.Fixed(f[:], "f")
	switch {
	case r.U8("a") != 0, r.U16("b") != 0, r.U32("c") != 0, r.U64("d") != 0, r.Bool("e"),
		r.Str("s", 100) != "", r.Blob("b", 100) != nil, f != [4]byte{},
		r.PubKey("k") != keys.PubKey{}, r.Sig("s") != keys.Signature{}, r.Count("n", 100) != 0:
		t.Fatal("a read after an error returned a non-zero value")
	}
	if r.Remaining() != len(in) {
		t.Fatalf("reads after an error consumed %d bytes", len(in)-r.Remaining())
	}
	if fmt.Sprint(r.Finish()) != "p: stop" {
		t.Fatalf("Finish = %v", r.Finish())
	}
}
