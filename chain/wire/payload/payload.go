package payload

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/thingchain/thingchain/chain/keys"
)

// Writer appends an encoding to a byte slice. It never fails, so encoders
// stay simple; the zero value is ready to use.
type Writer struct{ buf []byte }

// NewWriter returns a Writer whose buffer starts with room for capacity
// bytes.
func NewWriter(capacity int) *Writer { return &Writer{buf: make([]byte, 0, capacity)} }

// Bytes returns the encoding written so far (not a copy).
func (w *Writer) Bytes() []byte { return w.buf }

// U8, U16, U32 and U64 write fixed-width little-endian integers.
func (w *Writer) U8(v uint8)   { w.buf = append(w.buf, v) }
func (w *Writer) U16(v uint16) { w.buf = binary.LittleEndian.AppendUint16(w.buf, v) }
func (w *Writer) U32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *Writer) U64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }

// Raw appends b with no length: fixed-size values (hashes, keys,
// signatures, addresses) and domain tags.
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// Bool writes 1 for true and 0 for false.
func (w *Writer) Bool(b bool) {
	if b {
		w.U8(1)
	} else {
		w.U8(0)
	}
}

// Str writes a u16-length-prefixed string. Callers keep strings within
// their field limits (all far below 65535); a longer one is a programming
// error, so it panics rather than write a length that does not match.
func (w *Writer) Str(s string) {
	if len(s) > 0xffff {
		panic("payload: string field over 65535 bytes")
	}
	w.U16(uint16(len(s)))
	w.buf = append(w.buf, s...)
}

// Blob writes a u32-length-prefixed byte string.
func (w *Writer) Blob(b []byte) {
	w.U32(uint32(len(b)))
	w.buf = append(w.buf, b...)
}

// ErrorFunc builds a Reader's error. what is the name the Reader was
// given ("governance payload", "bid record"); reason says what is wrong,
// usually prefixed by the field ("name: truncated"). The state machines
// return consensus.RuleErrorf(ErrBadPayload, "%s: %s", what, reason).
type ErrorFunc func(what, reason string) error

// Reader decodes one payload or record. The first error sticks and later
// reads return zero values, so decoders read straight through and check
// once, at Finish.
type Reader struct {
	buf    []byte
	pos    int
	what   string
	newErr ErrorFunc
	err    error
}

// NewReader reads b, a payload or record named what in errors, which
// newErr builds.
func NewReader(b []byte, what string, newErr ErrorFunc) *Reader {
	return &Reader{buf: b, what: what, newErr: newErr}
}

// Err is the first error so far, or nil.
func (r *Reader) Err() error { return r.err }

// Remaining is the number of bytes not yet read.
func (r *Reader) Remaining() int { return len(r.buf) - r.pos }

// Fail records a decoder's own error (a count over its limit, a length
// that does not add up) unless an earlier one stands; later reads then
// return zero values.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = r.newErr(r.what, fmt.Sprintf(format, args...))
	}
}

func (r *Reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.buf)-r.pos < n {
		r.Fail("%s: truncated", field)
		return nil
	}
	b := r.buf[r.pos : r.pos+n]
	r.pos += n
	return b
}

// U8, U16, U32 and U64 read fixed-width little-endian integers.
func (r *Reader) U8(field string) uint8 {
	if b := r.take(1, field); b != nil {
		return b[0]
	}
	return 0
}

func (r *Reader) U16(field string) uint16 {
	if b := r.take(2, field); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *Reader) U32(field string) uint32 {
	if b := r.take(4, field); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *Reader) U64(field string) uint64 {
	if b := r.take(8, field); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// Bool reads one byte that must be 0 or 1.
func (r *Reader) Bool(field string) bool {
	switch v := r.U8(field); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.Fail("%s: boolean byte %d, want 0 or 1", field, v)
		return false
	}
}

// Str reads a u16-length-prefixed string of at most max bytes of valid
// UTF-8 without control characters (below U+0020, and U+007F).
func (r *Reader) Str(field string, max int) string {
	n := int(r.U16(field))
	if r.err == nil && n > max {
		r.Fail("%s: %d bytes exceeds limit %d", field, n, max)
		return ""
	}
	b := r.take(n, field)
	if b == nil {
		return ""
	}
	if !utf8.Valid(b) {
		r.Fail("%s: not valid UTF-8", field)
		return ""
	}
	for _, c := range string(b) {
		if c < 0x20 || c == 0x7f {
			r.Fail("%s: control character %U", field, c)
			return ""
		}
	}
	return string(b)
}

// Blob reads a u32-length-prefixed byte string of at most max bytes,
// copied so it does not alias the input. An empty blob reads as nil.
func (r *Reader) Blob(field string, max int) []byte {
	n := r.U32(field)
	if r.err == nil && uint64(n) > uint64(max) {
		r.Fail("%s: %d bytes exceeds limit %d", field, n, max)
		return nil
	}
	b := r.take(int(n), field)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Fixed copies exactly len(dst) raw bytes into dst (hashes, salts,
// addresses, keys stored without a curve check).
func (r *Reader) Fixed(dst []byte, field string) {
	if b := r.take(len(dst), field); b != nil {
		copy(dst, b)
	}
}

// PubKey reads a 33-byte compressed public key and checks it is on the
// curve (keys.ParsePubKey).
func (r *Reader) PubKey(field string) keys.PubKey {
	b := r.take(keys.PubKeySize, field)
	if b == nil {
		return keys.PubKey{}
	}
	pk, err := keys.ParsePubKey(b)
	if err != nil {
		r.Fail("%s: %v", field, err)
	}
	return pk
}

// Sig reads a 64-byte signature; whether it verifies is the caller's
// business.
func (r *Reader) Sig(field string) keys.Signature {
	var s keys.Signature
	r.Fixed(s[:], field)
	return s
}

// Count reads a u16 element count and checks it against 1..max.
func (r *Reader) Count(field string, max int) int {
	n := int(r.U16(field))
	if r.err == nil && (n == 0 || n > max) {
		r.Fail("%s: %d elements, want 1..%d", field, n, max)
		return 0
	}
	return n
}

// Finish reports the first error, or else an error if bytes remain
// unread: an encoding must be consumed exactly.
func (r *Reader) Finish() error {
	if r.err == nil && r.pos != len(r.buf) {
		r.Fail("%d trailing bytes", len(r.buf)-r.pos)
	}
	return r.err
}
