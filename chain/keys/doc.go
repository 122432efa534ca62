// Package keys owns thingchain's cryptographic primitives: secp256k1 private
// and public keys, 64-byte low-S ECDSA signatures and their verification
// (single, cached and parallel batch, and for recurring keys such as block
// miners a KeyCache of parsed keys and KeyTables: precomputed per-key
// tables that verify several times faster and accept exactly what Verify
// accepts), 20-byte addresses with their bech32m
// text form, and ECIES encryption to a public key.
//
// It must not import any other thingchain package: everything else builds on
// it, so a dependency the other way would be a cycle. It does not decide
// network prefixes (HRPs), hashing of transactions or blocks (Hash256 lives
// with the wire format), or how keys are stored on disk (package wallet).
package keys
