package wire

import "fmt"

// Block is a header and its transactions.
type Block struct {
	Header Header
	Txs    []*Tx
}

// Hash is the hash of the block's header.
func (b *Block) Hash() Hash { return b.Header.Hash() }

// Encode returns the canonical encoding: header, tx count, txs.
func (b *Block) Encode() []byte {
	size := HeaderSize + 5
	for _, tx := range b.Txs {
		size += tx.EncodedSize()
	}
	buf := b.Header.AppendEncode(make([]byte, 0, size))
	w := writer{buf: buf}
	w.varint(uint64(len(b.Txs)))
	for _, tx := range b.Txs {
		w.buf = tx.AppendEncode(w.buf)
	}
	return w.buf
}

// DecodeBlock parses exactly one block from b. Oversized input is refused
// before any allocation proportional to it.
func DecodeBlock(b []byte) (*Block, error) {
	if len(b) > MaxBlockBytes {
		return nil, malformed("block", "%d bytes exceeds limit %d", len(b), MaxBlockBytes)
	}
	r := reader{buf: b, what: "block"}
	blk := &Block{Header: readHeader(&r)}
	// Each tx takes at least txFixedSize bytes, so the count is bounded by
	// what is left; this stops a tiny message from reserving a huge slice.
	n := r.varint("tx count", uint64(max(0, len(b)-r.pos)/txFixedSize))
	if r.err == nil {
		blk.Txs = make([]*Tx, 0, n)
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		r.what = fmt.Sprintf("block tx %d", i)
		blk.Txs = append(blk.Txs, readTx(&r))
	}
	r.what = "block"
	if err := r.finish(); err != nil {
		return nil, err
	}
	return blk, nil
}

// TxRoot computes the Merkle root of txids. Leaves and inner nodes are
// domain-separated and an odd node is carried up unpaired rather than
// duplicated, so two different tx lists never share a root (the
// duplicate-last-leaf ambiguity of Bitcoin, CVE-2012-2459, cannot arise).
func TxRoot(txs []*Tx) Hash {
	if len(txs) == 0 {
		return Hash{}
	}
	level := make([]Hash, len(txs))
	for i, tx := range txs {
		level[i] = tx.ID()
	}
	return MerkleRoot(level)
}

// MerkleRoot folds leaf hashes into a root in place (level is clobbered).
func MerkleRoot(level []Hash) Hash {
	if len(level) == 0 {
		return Hash{}
	}
	var buf [1 + 2*HashSize]byte
	buf[0] = 0x01 // inner-node tag; leaves are txids, which are never tagged 0x01 inputs
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			copy(buf[1:], level[i][:])
			copy(buf[1+HashSize:], level[i+1][:])
			next = append(next, DoubleSHA256(buf[:]))
		}
		level = next
	}
	return level[0]
}
