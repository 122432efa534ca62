package lthash

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Components is the vector length; Size is its encoding in bytes.
const (
	Components = 1024
	Size       = 2 * Components
)

// Hash is an LtHash16 accumulator. The zero value is the hash of the empty set.
type Hash struct {
	v [Components]uint16
}

var zeroIV [aes.BlockSize]byte

// expand derives the element's vector.
func expand(elem []byte, out *[Size]byte) {
	key := sha256.Sum256(elem)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	clear(out[:])
	cipher.NewCTR(block, zeroIV[:]).XORKeyStream(out[:], out[:])
}

// Add mixes elem into the set.
func (h *Hash) Add(elem []byte) {
	var buf [Size]byte
	expand(elem, &buf)
	for i := range h.v {
		h.v[i] += binary.LittleEndian.Uint16(buf[2*i:])
	}
}

// Remove takes elem out of the set; removing what was added restores the
// previous hash exactly.
func (h *Hash) Remove(elem []byte) {
	var buf [Size]byte
	expand(elem, &buf)
	for i := range h.v {
		h.v[i] -= binary.LittleEndian.Uint16(buf[2*i:])
	}
}

// Combine adds every element of other into h.
func (h *Hash) Combine(other *Hash) {
	for i := range h.v {
		h.v[i] += other.v[i]
	}
}

// Bytes returns the 2048-byte encoding of the accumulator.
func (h *Hash) Bytes() []byte {
	out := make([]byte, Size)
	for i, x := range h.v {
		binary.LittleEndian.PutUint16(out[2*i:], x)
	}
	return out
}

// FromBytes restores an accumulator from Bytes' output.
func FromBytes(b []byte) (*Hash, error) {
	if len(b) != Size {
		return nil, fmt.Errorf("lthash: encoding is %d bytes, want %d", len(b), Size)
	}
	h := &Hash{}
	for i := range h.v {
		h.v[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return h, nil
}

// Sum is the 32-byte digest that block headers carry: SHA-256 of the
// accumulator under a domain tag.
func (h *Hash) Sum() [32]byte {
	d := sha256.New()
	d.Write([]byte("thingchain/lthash16/v1"))
	d.Write(h.Bytes())
	var out [32]byte
	d.Sum(out[:0])
	return out
}

// Equal reports whether two accumulators hash the same set.
func (h *Hash) Equal(o *Hash) bool { return h.v == o.v }

// Subtract removes every element of other from h.
func (h *Hash) Subtract(other *Hash) {
	for i := range h.v {
		h.v[i] -= other.v[i]
	}
}
