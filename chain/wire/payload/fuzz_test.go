package payload

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// value is one decoded field, kept so an accepted input can be re-encoded.
type value struct {
	u uint64
	s string
	b []byte
}

const (
	opU8 = iota
	opU16
	opU32
	opU64
	opBool
	opStr
	opBlob
	opFixed
	opPubKey
	opSig
	opCount
	numOps
)

// FuzzReader reads data with a sequence of field reads chosen by ops and
// checks the codec's contract: it never panics; a failure is the error the
// ErrorFunc built, sticks, and zeroes every later read; and an accepted
// input is canonical, so re-encoding what was read with Writer gives back
// exactly data (one value, one encoding; no trailing bytes).
func FuzzReader(f *testing.F) {
	pk := validKey(f)
	var w Writer
	w.U8(9)
	w.U16(2)
	w.U32(3)
	w.U64(4)
	w.Bool(true)
	w.Str("EU-DE")
	w.Blob([]byte{1, 2, 3})
	w.Raw([]byte{0xaa, 0xbb})
	w.Raw(pk[:])
	w.Raw(make([]byte, 64))
	w.U16(1)
	// op byte: low nibble picks the read, high nibble its limit or size.
	f.Add([]byte{opU8, opU16, opU32, opU64, opBool, 0x50 | opStr, 0x30 | opBlob, 0x20 | opFixed, opPubKey, opSig, 0x10 | opCount}, w.Bytes())
	f.Add([]byte{opBool}, []byte{2})
	f.Add([]byte{0xf0 | opStr}, []byte{2, 0, 'a', 0x7f})
	f.Add([]byte{opU8}, []byte{1, 2})
	f.Add([]byte{}, []byte{})

	f.Fuzz(func(t *testing.T, ops, data []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		r := NewReader(data, "fuzz", testErr)
		vals := make([]value, len(ops))
		failedAt := -1
		for i, op := range ops {
			arg := int(op >> 4)
			v := &vals[i]
			switch op & 0x0f % numOps {
			case opU8:
				v.u = uint64(r.U8("f"))
			case opU16:
				v.u = uint64(r.U16("f"))
			case opU32:
				v.u = uint64(r.U32("f"))
			case opU64:
				v.u = r.U64("f")
			case opBool:
				if r.Bool("f") {
					v.u = 1
				}
			case opStr:
				v.s = r.Str("f", 4*arg)
				if len(v.s) > 4*arg || !utf8.ValidString(v.s) || strings.ContainsFunc(v.s, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
					t.Fatalf("Str accepted %q (limit %d)", v.s, 4*arg)
				}
			case opBlob:
				v.b = r.Blob("f", 4*arg)
				if len(v.b) > 4*arg {
					t.Fatalf("Blob of %d bytes accepted over limit %d", len(v.b), 4*arg)
				}
			case opFixed:
				v.b = make([]byte, arg)
				r.Fixed(v.b, "f")
			case opPubKey:
				k := r.PubKey("f")
				v.b = k[:]
			case opSig:
				s := r.Sig("f")
				v.b = s[:]
			case opCount:
				n := r.Count("f", arg)
				if r.Err() == nil && (n < 1 || n > arg) {
					t.Fatalf("Count accepted %d outside 1..%d", n, arg)
				}
				v.u = uint64(n)
			}
			if failedAt < 0 && r.Err() != nil {
				failedAt = i
			} else if failedAt >= 0 && (v.u != 0 || v.s != "" || len(bytes.Trim(v.b, "\x00")) != 0) {
				t.Fatalf("read %d after the failure at read %d returned a value", i, failedAt)
			}
		}
		err := r.Finish()
		if err != nil {
			var te *testError
			if !errors.As(err, &te) || te.what != "fuzz" || te.reason == "" {
				t.Fatalf("error %v (%T) was not built by the ErrorFunc", err, err)
			}
			if r.Err() != err || r.Finish() != err {
				t.Fatal("the first error does not stick")
			}
			return
		}
		if r.Remaining() != 0 {
			t.Fatalf("accepted with %d bytes unread", r.Remaining())
		}
		var out Writer
		for i, op := range ops {
			v := vals[i]
			switch op & 0x0f % numOps {
			case opU8, opBool:
				out.U8(uint8(v.u))
			case opU16, opCount:
				out.U16(uint16(v.u))
			case opU32:
				out.U32(uint32(v.u))
			case opU64:
				out.U64(v.u)
			case opStr:
				out.Str(v.s)
			case opBlob:
				out.Blob(v.b)
			case opFixed, opPubKey, opSig:
				out.Raw(v.b)
			}
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("accepted input is not canonical:\n  in %x\n out %x", data, out.Bytes())
		}
	})
}
