package wire

// Limits that bound every decoder's allocations. Consensus may impose
// tighter ones per network; these are the hard ceilings of the format.
const (
	MaxTxBytes      = 128 << 10
	MaxPayloadBytes = MaxTxBytes - txFixedSize - 3 // 3: the payload length varint
	MaxBlockBytes   = 8 << 20
	MaxBlockTxs     = MaxBlockBytes / txFixedSize

	txFixedSize = 4 + 2 + 8 + 8 + 8 + PubKeySize + 1 + SignatureSize
)

// Tx is a signed transaction of either chain. The engine reads only the
// envelope (chain, sender, nonce, fee, expiry, signature); Type and Payload
// belong to the chain's state machine, which decodes them itself.
type Tx struct {
	ChainID uint32
	Type    uint16
	Nonce   uint64 // per-sender sequence number, starting at 0
	Fee     uint64 // paid to the block's miner (zero on the metadata chain)
	Expiry  uint64 // last height at which the tx may be included; 0 = never expires
	Sender  [PubKeySize]byte
	Payload []byte
	Sig     [SignatureSize]byte
}

const txDomain = "thingchain/tx/v1"

// AppendEncode appends the canonical encoding of tx to buf.
func (tx *Tx) AppendEncode(buf []byte) []byte {
	w := writer{buf: buf}
	tx.appendUnsigned(&w)
	w.bytes(tx.Sig[:])
	return w.buf
}

func (tx *Tx) appendUnsigned(w *writer) {
	w.u32(tx.ChainID)
	w.u16(tx.Type)
	w.u64(tx.Nonce)
	w.u64(tx.Fee)
	w.u64(tx.Expiry)
	w.bytes(tx.Sender[:])
	w.varBytes(tx.Payload)
}

// Encode returns the canonical encoding of tx.
func (tx *Tx) Encode() []byte { return tx.AppendEncode(make([]byte, 0, tx.EncodedSize())) }

// EncodedSize is the length of Encode's result without encoding.
func (tx *Tx) EncodedSize() int {
	n := len(tx.Payload)
	size := txFixedSize - 1 + n
	for v := uint64(n); ; v >>= 7 {
		size++
		if v < 0x80 {
			break
		}
	}
	return size
}

// ID is the transaction hash: double SHA-256 of the full encoding. It
// commits to the signature; ECDSA malleability is closed by requiring
// low-S signatures (see chain/keys), so the ID of a valid tx is unique.
func (tx *Tx) ID() Hash { return DoubleSHA256(tx.Encode()) }

// SigHash is what the sender signs: a domain-separated double SHA-256 of
// every field except the signature, chain ID included.
func (tx *Tx) SigHash() Hash {
	w := writer{buf: make([]byte, 0, len(txDomain)+tx.EncodedSize())}
	w.bytes([]byte(txDomain))
	tx.appendUnsigned(&w)
	return DoubleSHA256(w.buf)
}

// DecodeTx parses exactly one transaction from b.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxBytes {
		return nil, malformed("transaction", "%d bytes exceeds limit %d", len(b), MaxTxBytes)
	}
	r := reader{buf: b, what: "transaction"}
	tx := readTx(&r)
	if err := r.finish(); err != nil {
		return nil, err
	}
	return tx, nil
}

func readTx(r *reader) *Tx {
	tx := &Tx{}
	tx.ChainID = r.u32()
	tx.Type = r.u16()
	tx.Nonce = r.u64()
	tx.Fee = r.u64()
	tx.Expiry = r.u64()
	r.fixed(tx.Sender[:])
	tx.Payload = r.varBytes("payload", MaxPayloadBytes)
	r.fixed(tx.Sig[:])
	return tx
}
