package wire

// Sizes of the fixed-width fields that the header and transactions carry.
const (
	AddressSize   = 20
	PubKeySize    = 33
	SignatureSize = 64

	// HeaderSize is the exact encoded size of a Header.
	HeaderSize = 4 + 4 + 8 + HashSize + HashSize + HashSize + 8 + HashSize + 8 + 4 + AddressSize + PubKeySize + SignatureSize + 8

	// headerSigningSize is the prefix of the encoding covered by the miner's
	// signature: everything before MinerSig and Nonce.
	headerSigningSize = HeaderSize - SignatureSize - 8
)

// Anchor names a metadata-chain block from an auction-chain header. It is
// zero on the metadata chain itself.
type Anchor struct {
	Height uint64 `json:"height"`
	Hash   Hash   `json:"hash"`
}

// Header is a block header of either chain. Field order is the encoding
// order; Nonce is last so a miner grinding it rehashes as little as possible
// and MinerSig, which covers everything before it, can be made once per
// template.
type Header struct {
	Version   uint32
	ChainID   uint32 // which chain and network this block belongs to
	Height    uint64
	PrevHash  Hash
	TxRoot    Hash // Merkle root of transaction IDs
	StateRoot Hash // commitment to the state after this block
	Anchor    Anchor
	Timestamp int64 // Unix milliseconds
	Bits      uint32
	Reward    [AddressSize]byte // address that collects this block's fees
	MinerKey  [PubKeySize]byte  // key that signed the header
	MinerSig  [SignatureSize]byte
	Nonce     uint64
}

// AppendEncode appends the canonical encoding of h to buf.
func (h *Header) AppendEncode(buf []byte) []byte {
	w := writer{buf: buf}
	w.u32(h.Version)
	w.u32(h.ChainID)
	w.u64(h.Height)
	w.bytes(h.PrevHash[:])
	w.bytes(h.TxRoot[:])
	w.bytes(h.StateRoot[:])
	w.u64(h.Anchor.Height)
	w.bytes(h.Anchor.Hash[:])
	w.u64(uint64(h.Timestamp))
	w.u32(h.Bits)
	w.bytes(h.Reward[:])
	w.bytes(h.MinerKey[:])
	w.bytes(h.MinerSig[:])
	w.u64(h.Nonce)
	return w.buf
}

// Encode returns the canonical encoding of h.
func (h *Header) Encode() []byte { return h.AppendEncode(make([]byte, 0, HeaderSize)) }

// Hash is the block hash: double SHA-256 of the encoded header.
func (h *Header) Hash() Hash {
	var buf [HeaderSize]byte
	return DoubleSHA256(h.AppendEncode(buf[:0]))
}

// SigningHash is what the miner signs: a domain-separated double SHA-256 of
// every field before MinerSig. The chain ID is among them, so a signature
// for one chain or network is useless on another.
func (h *Header) SigningHash() Hash {
	var buf [len(headerDomain) + HeaderSize]byte
	b := append(buf[:0], headerDomain...)
	b = h.AppendEncode(b)
	return DoubleSHA256(b[:len(headerDomain)+headerSigningSize])
}

const headerDomain = "thingchain/header/v1"

// DecodeHeader parses exactly one header from b.
func DecodeHeader(b []byte) (Header, error) {
	r := reader{buf: b, what: "block header"}
	h := readHeader(&r)
	return h, r.finish()
}

func readHeader(r *reader) Header {
	var h Header
	h.Version = r.u32()
	h.ChainID = r.u32()
	h.Height = r.u64()
	r.fixed(h.PrevHash[:])
	r.fixed(h.TxRoot[:])
	r.fixed(h.StateRoot[:])
	h.Anchor.Height = r.u64()
	r.fixed(h.Anchor.Hash[:])
	h.Timestamp = int64(r.u64())
	h.Bits = r.u32()
	r.fixed(h.Reward[:])
	r.fixed(h.MinerKey[:])
	r.fixed(h.MinerSig[:])
	h.Nonce = r.u64()
	return h
}
