package auctiontx

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/chain/wire/payload"
	"github.com/thingchain/thingchain/consensus"
)

// Payloads and state records use the binary layout of chain/wire/payload,
// as the metadata chain's payloads do (NewReader at the end of this file):
// hashes and salts as 32 raw bytes, public keys as 33-byte compressed keys,
// addresses as 20 bytes, counts as u16 and blobs as a u32 length and the
// bytes. A value has exactly one encoding, so decoders need no re-encode
// comparison.

// Transaction types of the auction state machine. The ledger's transfer is
// type 1 (ledger.TxTransfer); auction types start at 10.
const (
	TxOpenAuction uint16 = 10 // the owner opens an auction for its device
	TxCommitBids  uint16 = 11 // sealed bids with deposits, to one or many devices
	TxRevealBids  uint16 = 12 // reveal amounts and salts, for one or many auctions
	TxPay         uint16 = 13 // the winner pays what its deposit did not cover
	TxDeliverKey  uint16 = 14 // the device posts the access key, encrypted to the winner
	// TxCommitFullBids has TxCommitBids' payload; each of its bids is a
	// full-deposit bid: its deposit must cover the bid's whole total, so
	// a win is paid from escrow at the close (no payment window), and an
	// unrevealed bid forfeits only the bond share of its deposit.
	TxCommitFullBids uint16 = 15
)

// Format ceilings of the decoders (MaxBatchFormat entries, MaxKeyFormat
// bytes of encrypted key); consensus (MaxBidsPerTx,
// MaxKeyCiphertext) is tighter.
const (
	MaxBatchFormat  = 0xffff
	MaxKeyFormat    = 64 << 10
	commitEntrySize = keys.PubKeySize + 8 + 32 + 8
	revealEntrySize = 32 + 8 + 32
)

// AuctionID names the seq-th auction (0-based) of a device:
// SHA-256("thingchain/auction/id/v1" | device key | seq u64 LE). Bidders
// compute it before the auction exists, so the first bid can open it.
func AuctionID(device keys.PubKey, seq uint64) wire.Hash {
	h := sha256.New()
	h.Write([]byte("thingchain/auction/id/v1"))
	h.Write(device[:])
	h.Write(binary.LittleEndian.AppendUint64(nil, seq))
	return wire.Hash(h.Sum(nil))
}

// BidCommitment is the sealed bid: SHA-256("thingchain/auction/bid/v1" |
// auction ID | amount per point u64 LE | salt | bidder address).
func BidCommitment(auction wire.Hash, amountPerPoint uint64, salt [32]byte, bidder keys.Address) wire.Hash {
	h := sha256.New()
	h.Write([]byte("thingchain/auction/bid/v1"))
	h.Write(auction[:])
	h.Write(binary.LittleEndian.AppendUint64(nil, amountPerPoint))
	h.Write(salt[:])
	h.Write(bidder[:])
	return wire.Hash(h.Sum(nil))
}

// KeyHash is the commitment to an access key that a delivery publishes:
// SHA-256(key). The winner checks the decrypted key against it, and the
// device agent checks presented keys against it.
func KeyHash(key []byte) wire.Hash { return wire.Hash(sha256.Sum256(key)) }

// OpenAuction is the payload of TxOpenAuction: device key (33), seq (u64).
type OpenAuction struct {
	Device keys.PubKey `json:"device"`
	Seq    uint64      `json:"seq"`
}

// Encode is the canonical payload.
func (o OpenAuction) Encode() []byte {
	w := payload.NewWriter(keys.PubKeySize + 8)
	w.Raw(o.Device[:])
	w.U64(o.Seq)
	return w.Bytes()
}

// DecodeOpenAuction parses a TxOpenAuction payload.
func DecodeOpenAuction(b []byte) (OpenAuction, error) {
	r := NewReader(b, "open auction")
	o := OpenAuction{Device: r.PubKey("device"), Seq: r.U64("seq")}
	return o, r.Finish()
}

// BidCommit is one sealed bid: the device and the sequence number of its
// auction (AuctionID), the commitment (BidCommitment) and the deposit
// moved to escrow.
type BidCommit struct {
	Device     keys.PubKey `json:"device"`
	Seq        uint64      `json:"seq"`
	Commitment wire.Hash   `json:"commitment"`
	Deposit    uint64      `json:"deposit"`
}

// CommitBids is the payload of TxCommitBids and TxCommitFullBids: count (u16, ≥ 1), then per
// bid device (33), seq (u64), commitment (32), deposit (u64).
type CommitBids struct {
	Bids []BidCommit `json:"bids"`
}

// Encode is the canonical payload.
func (c CommitBids) Encode() []byte {
	w := payload.NewWriter(2 + len(c.Bids)*commitEntrySize)
	w.U16(uint16(len(c.Bids)))
	for _, b := range c.Bids {
		w.Raw(b.Device[:])
		w.U64(b.Seq)
		w.Raw(b.Commitment[:])
		w.U64(b.Deposit)
	}
	return w.Bytes()
}

// DecodeCommitBids parses a TxCommitBids payload.
func DecodeCommitBids(b []byte) (CommitBids, error) {
	r := NewReader(b, "commit bids")
	n := r.Count("bids", MaxBatchFormat)
	if r.Err() == nil && len(b)-2 != n*commitEntrySize {
		r.Fail("%d bytes for %d bids, want %d", len(b)-2, n, n*commitEntrySize)
	}
	var c CommitBids
	if r.Err() == nil {
		c.Bids = make([]BidCommit, n)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		e := &c.Bids[i]
		e.Device = r.PubKey("device")
		e.Seq = r.U64("seq")
		r.Fixed(e.Commitment[:], "commitment")
		e.Deposit = r.U64("deposit")
	}
	if err := r.Finish(); err != nil {
		return CommitBids{}, err
	}
	return c, nil
}

// Reveal opens one sealed bid.
type Reveal struct {
	Auction        wire.Hash `json:"auction"`
	AmountPerPoint uint64    `json:"amount_per_point"`
	Salt           [32]byte  `json:"salt"`
}

// RevealBids is the payload of TxRevealBids: count (u16, ≥ 1), then per
// reveal auction ID (32), amount per point (u64), salt (32).
type RevealBids struct {
	Reveals []Reveal `json:"reveals"`
}

// Encode is the canonical payload.
func (rb RevealBids) Encode() []byte {
	w := payload.NewWriter(2 + len(rb.Reveals)*revealEntrySize)
	w.U16(uint16(len(rb.Reveals)))
	for _, e := range rb.Reveals {
		w.Raw(e.Auction[:])
		w.U64(e.AmountPerPoint)
		w.Raw(e.Salt[:])
	}
	return w.Bytes()
}

// DecodeRevealBids parses a TxRevealBids payload.
func DecodeRevealBids(b []byte) (RevealBids, error) {
	r := NewReader(b, "reveal bids")
	n := r.Count("reveals", MaxBatchFormat)
	if r.Err() == nil && len(b)-2 != n*revealEntrySize {
		r.Fail("%d bytes for %d reveals, want %d", len(b)-2, n, n*revealEntrySize)
	}
	var rb RevealBids
	if r.Err() == nil {
		rb.Reveals = make([]Reveal, n)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		e := &rb.Reveals[i]
		r.Fixed(e.Auction[:], "auction")
		e.AmountPerPoint = r.U64("amount")
		r.Fixed(e.Salt[:], "salt")
	}
	if err := r.Finish(); err != nil {
		return RevealBids{}, err
	}
	return rb, nil
}

// Pay is the payload of TxPay: the auction ID (32).
type Pay struct {
	Auction wire.Hash `json:"auction"`
}

// Encode is the canonical payload.
func (p Pay) Encode() []byte { return append([]byte(nil), p.Auction[:]...) }

// DecodePay parses a TxPay payload.
func DecodePay(b []byte) (Pay, error) {
	r := NewReader(b, "pay")
	var p Pay
	r.Fixed(p.Auction[:], "auction")
	return p, r.Finish()
}

// DeliverKey is the payload of TxDeliverKey: auction ID (32), key hash
// (32, KeyHash of the plaintext key), then the key ECIES-encrypted to the
// winner's public key as a blob (u32 length, bytes).
type DeliverKey struct {
	Auction      wire.Hash `json:"auction"`
	KeyHash      wire.Hash `json:"key_hash"`
	EncryptedKey []byte    `json:"encrypted_key"`
}

// Encode is the canonical payload.
func (d DeliverKey) Encode() []byte {
	w := payload.NewWriter(68 + len(d.EncryptedKey))
	w.Raw(d.Auction[:])
	w.Raw(d.KeyHash[:])
	w.Blob(d.EncryptedKey)
	return w.Bytes()
}

// DecodeDeliverKey parses a TxDeliverKey payload.
func DecodeDeliverKey(b []byte) (DeliverKey, error) {
	r := NewReader(b, "deliver key")
	var d DeliverKey
	r.Fixed(d.Auction[:], "auction")
	r.Fixed(d.KeyHash[:], "key hash")
	d.EncryptedKey = r.Blob("encrypted key", MaxKeyFormat)
	if err := r.Finish(); err != nil {
		return DeliverKey{}, err
	}
	return d, nil
}

// NewReader reads a payload or a state record. Its errors are ErrBadAuctionPayload
// rule errors "<what>: <field>: <reason>", e.g. "commit bids: seq:
// truncated"; the record decoders turn them into assertion errors.
func NewReader(b []byte, what string) *payload.Reader {
	return payload.NewReader(b, what, func(what, reason string) error {
		return consensus.RuleErrorf(ErrBadAuctionPayload, "%s: %s", what, reason)
	})
}
