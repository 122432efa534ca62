package auction

import (
	"encoding/binary"
	"fmt"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// Payloads and state records use one fixed-order binary layout, as the
// metadata chain's payloads do: little-endian fixed-width integers, hashes
// and salts as 32 raw bytes, public keys as 33-byte compressed keys,
// addresses as 20 bytes, counts as u16 and blobs as a u32 length and the
// bytes. Every value has exactly one encoding: decoders refuse trailing
// bytes, booleans other than 0/1, over-long fields and keys not on the
// curve, so they need no re-encode comparison.

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
func (w *writer) blob(b []byte) {
	w.u32(uint32(len(b)))
	w.buf = append(w.buf, b...)
}

// reader decodes one payload or record; the first error sticks and later
// reads return zero values, so decoders read straight through and check
// once at finish.
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

// fixed copies exactly len(dst) bytes.
func (r *reader) fixed(dst []byte, field string) {
	if b := r.take(len(dst), field); b != nil {
		copy(dst, b)
	}
}

func (r *reader) blob(field string, max int) []byte {
	n := r.u32(field)
	if r.err == nil && uint64(n) > uint64(max) {
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

// count reads a u16 element count and checks it against 1..max.
func (r *reader) count(field string, max int) int {
	n := int(r.u16(field))
	if r.err == nil && (n == 0 || n > max) {
		r.fail("%s: %d elements, want 1..%d", field, n, max)
		return 0
	}
	return n
}

// finish reports the first error, or trailing bytes.
func (r *reader) finish() error {
	if r.err == nil && r.pos != len(r.buf) {
		r.fail("%d trailing bytes", len(r.buf)-r.pos)
	}
	return r.err
}
