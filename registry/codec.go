package registry

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// The payload encoding is a fixed-order binary layout (docs/device-api.md
// §2): little-endian fixed-width integers (as in the transaction
// envelope), strings as a u16 length and UTF-8
// bytes, blobs as a u32 length and bytes, public keys as their 33-byte
// compressed form and signatures as 64 bytes. Every value has exactly one
// encoding, so decoders need no re-encode comparison: they reject trailing
// bytes, booleans other than 0/1, invalid UTF-8, over-long fields and
// keys not on the curve.

type writer struct{ buf []byte }

func (w *writer) u8(v uint8)   { w.buf = append(w.buf, v) }
func (w *writer) u16(v uint16) { w.buf = binary.LittleEndian.AppendUint16(w.buf, v) }
func (w *writer) u32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *writer) u64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }
func (w *writer) raw(b []byte) { w.buf = append(w.buf, b...) }
func (w *writer) boolean(b bool) {
	if b {
		w.u8(1)
	} else {
		w.u8(0)
	}
}

// str writes a u16-length-prefixed string. Callers keep strings within
// their field limits (all far below 65535); longer input is truncated
// length-wise only by a programming error, so it panics.
func (w *writer) str(s string) {
	if len(s) > 0xffff {
		panic("registry: string field over 65535 bytes")
	}
	w.u16(uint16(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *writer) blob(b []byte) {
	w.u32(uint32(len(b)))
	w.buf = append(w.buf, b...)
}

// reader decodes one payload; the first error sticks and later reads
// return zero values, so decoders read straight through and check once.
type reader struct {
	buf  []byte
	pos  int
	what string
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = consensus.RuleErrorf(ErrBadPayload, "%s: %s", r.what, fmt.Sprintf(format, args...))
	}
}

func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.buf)-r.pos < n {
		r.fail("%s: truncated", field)
		return nil
	}
	b := r.buf[r.pos : r.pos+n]
	r.pos += n
	return b
}

func (r *reader) u8(field string) uint8 {
	if b := r.take(1, field); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16(field string) uint16 {
	if b := r.take(2, field); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	if b := r.take(4, field); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64(field string) uint64 {
	if b := r.take(8, field); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *reader) boolean(field string) bool {
	switch v := r.u8(field); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.fail("%s: boolean byte %d, want 0 or 1", field, v)
		return false
	}
}

// str reads a string of at most max bytes of valid UTF-8 without control
// characters.
func (r *reader) str(field string, max int) string {
	n := int(r.u16(field))
	if r.err == nil && n > max {
		r.fail("%s: %d bytes exceeds limit %d", field, n, max)
		return ""
	}
	b := r.take(n, field)
	if b == nil {
		return ""
	}
	if !utf8.Valid(b) {
		r.fail("%s: not valid UTF-8", field)
		return ""
	}
	for _, c := range string(b) {
		if c < 0x20 || c == 0x7f {
			r.fail("%s: control character %U", field, c)
			return ""
		}
	}
	return string(b)
}

func (r *reader) blob(field string, max int) []byte {
	n := r.u32(field)
	if r.err == nil && n > uint32(max) {
		r.fail("%s: %d bytes exceeds limit %d", field, n, max)
		return nil
	}
	b := r.take(int(n), field)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func (r *reader) pubKey(field string) keys.PubKey {
	b := r.take(keys.PubKeySize, field)
	if b == nil {
		return keys.PubKey{}
	}
	pk, err := keys.ParsePubKey(b)
	if err != nil {
		r.fail("%s: %v", field, err)
	}
	return pk
}

func (r *reader) sig(field string) keys.Signature {
	var s keys.Signature
	if b := r.take(keys.SignatureSize, field); b != nil {
		copy(s[:], b)
	}
	return s
}

// finish reports the first error, or trailing bytes.
func (r *reader) finish() error {
	if r.err == nil && r.pos != len(r.buf) {
		r.fail("%d trailing bytes", len(r.buf)-r.pos)
	}
	return r.err
}
