package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every decoding error, so callers can tell
// "these bytes are not a valid encoding" apart from rule violations.
var ErrMalformed = errors.New("malformed encoding")

// DecodeError names what was being decoded and why it failed.
type DecodeError struct {
	What   string // e.g. "block header", "tx 3 payload"
	Reason string
}

func (e *DecodeError) Error() string { return fmt.Sprintf("decode %s: %s", e.What, e.Reason) }

// Unwrap lets errors.Is(err, ErrMalformed) match any decode failure.
func (e *DecodeError) Unwrap() error { return ErrMalformed }

func malformed(what, format string, args ...any) error {
	return &DecodeError{What: what, Reason: fmt.Sprintf(format, args...)}
}

// writer appends to a byte slice; it never fails, so encoders stay simple.
type writer struct{ buf []byte }

func (w *writer) u16(v uint16)    { w.buf = binary.LittleEndian.AppendUint16(w.buf, v) }
func (w *writer) u32(v uint32)    { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *writer) u64(v uint64)    { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }
func (w *writer) bytes(b []byte)  { w.buf = append(w.buf, b...) }
func (w *writer) varint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *writer) varBytes(b []byte) {
	w.varint(uint64(len(b)))
	w.buf = append(w.buf, b...)
}

// reader consumes a byte slice and records the first error; later reads
// after an error return zero values so decoders can check once at the end.
type reader struct {
	buf  []byte
	pos  int
	what string
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = malformed(r.what, format, args...)
	}
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.buf)-r.pos < n {
		r.fail("truncated at byte %d: need %d more bytes, have %d", r.pos, n, len(r.buf)-r.pos)
		return nil
	}
	b := r.buf[r.pos : r.pos+n]
	r.pos += n
	return b
}

func (r *reader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *reader) fixed(dst []byte) {
	if b := r.take(len(dst)); b != nil {
		copy(dst, b)
	}
}

// varint reads a minimal unsigned LEB128 value no larger than max.
func (r *reader) varint(field string, max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf[r.pos:])
	if n <= 0 {
		r.fail("%s: bad varint at byte %d", field, r.pos)
		return 0
	}
	if n != len(binary.AppendUvarint(nil, v)) {
		r.fail("%s: non-minimal varint at byte %d", field, r.pos)
		return 0
	}
	if v > max {
		r.fail("%s: %d exceeds limit %d", field, v, max)
		return 0
	}
	r.pos += n
	return v
}

// varBytes reads a length-prefixed byte string, copying it so the result
// does not alias the input buffer.
func (r *reader) varBytes(field string, max uint64) []byte {
	n := r.varint(field+" length", max)
	b := r.take(int(n))
	if b == nil {
		return nil
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

func (r *reader) finish() error {
	if r.err == nil && r.pos != len(r.buf) {
		r.fail("%d trailing bytes", len(r.buf)-r.pos)
	}
	return r.err
}
