// Package payload is the binary codec of the state machines' transaction
// payloads and state records: the metadata chain's (registry) and the
// auction chain's (auction) share this one layout.
//
// The layout is fixed-order and little-endian, like the transaction
// envelope: fixed-width integers, raw fixed-size bytes (hashes, salts,
// addresses), public keys as their 33-byte compressed form, signatures as
// 64 bytes, booleans as one byte 0 or 1, strings as a u16 length and
// UTF-8 bytes, blobs as a u32 length and the bytes, element counts as a
// u16. Every value has exactly one encoding, so decoders need no re-encode
// comparison: a Reader rejects trailing bytes, booleans other than 0/1,
// invalid UTF-8 or control characters in strings, over-long fields and
// keys not on the curve.
//
// It is a package of its own rather than more of chain/wire because the
// two differ where it matters to callers: chain/wire's envelope codec uses
// varints and reports *wire.DecodeError (ErrMalformed), while payload
// errors are consensus rule violations whose kind belongs to the state
// machine that decodes them. A Reader therefore takes the constructor of
// its errors (ErrorFunc) instead of fixing a type, and this package stays
// free of consensus and of any one machine. Keeping it out of chain/wire
// proper also keeps chain/wire independent of chain/keys.
//
// It owns the primitive layout only: which fields a payload has, and what
// they mean, belongs to registry and auction, which must not hand-roll
// these primitives elsewhere.
package payload
