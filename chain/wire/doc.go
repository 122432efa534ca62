// Package wire owns the canonical binary encoding of everything that is
// hashed, signed, stored or sent between peers: block headers, blocks and
// transactions. It is the only place that turns these types into bytes and
// back, so every hash in the system is computed over exactly one encoding.
//
// The encoding is little-endian fixed-width integers, length-prefixed byte
// strings (unsigned LEB128 varints, minimal form only) and fixed-size arrays.
// Decoders reject truncated input, trailing bytes, non-minimal varints and
// anything over the size limits with errors that wrap ErrMalformed, so a peer
// can be penalised without the caller inspecting the bytes.
//
// wire must not import any other thingchain package: it is the bottom of the
// dependency graph. It knows sizes and layouts, never consensus rules.
package wire
