// Package lthash implements LtHash16, the lattice-based homomorphic set
// hash of Bellare–Micciancio as parameterised by Lewi, Kim, Maykov and
// Weis ("Securing Update Propagation with Homomorphic Hashing", 2019).
//
// A set of byte strings hashes to the component-wise sum, modulo 2^16, of
// 1024-element vectors derived from each element. Adding or removing an
// element costs one expansion and one vector addition, independent of the
// set's size, which is why the chain uses it as its state commitment:
// connecting a block updates the commitment in O(changes), and undoing a
// block subtracts exactly what it added.
//
// Each element is expanded by keying AES-256 in counter mode with the
// SHA-256 of the element: the expansion is a PRF output, which is what the
// construction's security argument needs, and with AES-NI it costs a few
// hundred nanoseconds. The package must not know what the elements mean.
//
// It owns the hash of a set, nothing else: callers (chain) decide which
// records are elements and when to add or remove them; it must not import
// any thingchain package.
package lthash
