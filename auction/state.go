package auction

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/chain/wire/payload"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// State layout (besides the ledger's "acct/" and "supply"); integers in
// keys are big-endian, records use the binary layout of chain/wire/payload:
//
//	auc/<id>                 Auction
//	bid/<id><address>        Bid of one bidder in one auction
//	bidx/<id><u32>           address of the n-th bidder (commit order)
//	dseq/<device key>        u64 auctions ever opened for the device
//	mybid/<address><u64>     auction ID of the bidder's n-th bid
//	mybidn/<address>         u64 bids the address ever committed
//	dlv/<id>                 Delivery
//	strike/<device key>      u64 missed deliveries
//	escrow                   u64 coin held in escrow (deposits, payments)
//	anchor/last              the effective anchor: height u64, hash
//	anchor/pool              u64 fees owed to metadata miners not yet paid
//	due/<height><u32>        auction ID and due kind, the n-th entry due
//	duen/<height>            u64 entries due at height
//
// View has no iteration, so every set the machine must walk (bidders of an
// auction, auctions due at a height, auctions of a device, bids of a
// bidder) is an explicit counted list.
var (
	prefixAuction   = []byte("auc/")
	prefixBid       = []byte("bid/")
	prefixBidIndex  = []byte("bidx/")
	prefixDevSeq    = []byte("dseq/")
	prefixMyBid     = []byte("mybid/")
	prefixMyBidN    = []byte("mybidn/")
	prefixDelivery  = []byte("dlv/")
	prefixStrike    = []byte("strike/")
	prefixDue       = []byte("due/")
	prefixDueN      = []byte("duen/")
	keyEscrow       = []byte("escrow")
	keyLastAnchor   = []byte("anchor/last")
	keyMetadataPool = []byte("anchor/pool")
)

func key(prefix []byte, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	k := append(make([]byte, 0, n), prefix...)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
func be32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// Status is where an auction stands. Commit and reveal phases are both
// StatusOpen; Phase tells them apart by height.
type Status uint8

const (
	StatusOpen            Status = 1 // commit or reveal phase
	StatusAwaitingPayment Status = 2 // settled; the winner's deposit is short and its payment window runs
	StatusPaid            Status = 3 // price in escrow; the device has until DeliveryDeadline
	StatusDelivered       Status = 4 // key delivered, proceeds paid out: final
	StatusNoSale          Status = 5 // no revealed bid at or above reserve, or every winner failed to pay: final
	StatusUndelivered     Status = 6 // delivery deadline missed, winner refunded, device struck: final
)

var statusNames = map[Status]string{
	StatusOpen: "open", StatusAwaitingPayment: "awaiting_payment", StatusPaid: "awaiting_delivery",
	StatusDelivered: "delivered", StatusNoSale: "no_sale", StatusUndelivered: "undelivered",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// MarshalText renders the status name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a status name, so API clients can decode records.
func (s *Status) UnmarshalText(b []byte) error {
	return unmarshalName(statusNames, b, s, "auction status")
}

func unmarshalName[T comparable](names map[T]string, b []byte, out *T, what string) error {
	for v, name := range names {
		if name == string(b) {
			*out = v
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q", what, b)
}

// Auction is one auction of one device for one access period.
type Auction struct {
	ID          wire.Hash    `json:"id"`
	Device      keys.PubKey  `json:"device"`
	Seq         uint64       `json:"seq"`
	Owner       keys.Address `json:"owner"`
	Terms       Terms        `json:"terms"`
	OpenHeight  uint64       `json:"open_height"`
	CommitEnd   uint64       `json:"commit_end"`   // first height of the reveal phase
	CloseHeight uint64       `json:"close_height"` // last reveal height; settled at the end of this block
	Status      Status       `json:"status"`
	Bids        uint32       `json:"bids"` // bidders so far
	// Ranking lists the bid indexes of revealed bids at or above reserve,
	// best first (amount, then commit order); set at close.
	Ranking       []uint32     `json:"ranking"`
	WinnerRank    uint32       `json:"winner_rank"` // position in Ranking of the current winner
	Winner        keys.Address `json:"winner"`
	PricePerPoint uint64       `json:"price_per_point"`
	Price         uint64       `json:"price"` // PricePerPoint × Terms.PointsPerPeriod
	PayDeadline   uint64       `json:"pay_deadline"`
	// DeliveryDeadline is the last height at which the key may be delivered.
	DeliveryDeadline uint64 `json:"delivery_deadline"`
}

// Phase names the auction's phase as of a block at height: "commit",
// "reveal", then the status name once settled.
func (a *Auction) Phase(height uint64) string {
	if a.Status == StatusOpen {
		if height < a.CommitEnd {
			return "commit"
		}
		return "reveal"
	}
	return a.Status.String()
}

func (a *Auction) encode() []byte {
	w := payload.NewWriter(256 + 4*len(a.Ranking))
	w.Raw(a.ID[:])
	w.Raw(a.Device[:])
	w.U64(a.Seq)
	w.Raw(a.Owner[:])
	w.U64(a.Terms.ReservePerPoint)
	w.U64(a.Terms.PointsPerPeriod)
	w.U64(a.Terms.AccessPeriodSeconds)
	w.U64(a.OpenHeight)
	w.U64(a.CommitEnd)
	w.U64(a.CloseHeight)
	w.U8(uint8(a.Status))
	w.U32(a.Bids)
	w.U32(uint32(len(a.Ranking)))
	for _, r := range a.Ranking {
		w.U32(r)
	}
	w.U32(a.WinnerRank)
	w.Raw(a.Winner[:])
	w.U64(a.PricePerPoint)
	w.U64(a.Price)
	w.U64(a.PayDeadline)
	w.U64(a.DeliveryDeadline)
	return w.Bytes()
}

func decodeAuction(b []byte) (*Auction, error) {
	r := newReader(b, "auction record")
	a := &Auction{}
	r.Fixed(a.ID[:], "id")
	r.Fixed(a.Device[:], "device")
	a.Seq = r.U64("seq")
	r.Fixed(a.Owner[:], "owner")
	a.Terms.ReservePerPoint = r.U64("reserve")
	a.Terms.PointsPerPeriod = r.U64("points")
	a.Terms.AccessPeriodSeconds = r.U64("period")
	a.OpenHeight = r.U64("open")
	a.CommitEnd = r.U64("commit end")
	a.CloseHeight = r.U64("close")
	a.Status = Status(r.U8("status"))
	a.Bids = r.U32("bids")
	n := r.U32("ranking")
	if r.Err() == nil && uint64(n)*4 > uint64(r.Remaining()) {
		r.Fail("ranking of %d entries is truncated", n)
	}
	if r.Err() == nil && n > 0 {
		a.Ranking = make([]uint32, n)
		for i := range a.Ranking {
			a.Ranking[i] = r.U32("rank")
		}
	}
	a.WinnerRank = r.U32("winner rank")
	r.Fixed(a.Winner[:], "winner")
	a.PricePerPoint = r.U64("price per point")
	a.Price = r.U64("price")
	a.PayDeadline = r.U64("pay deadline")
	a.DeliveryDeadline = r.U64("delivery deadline")
	if err := r.Finish(); err != nil {
		return nil, consensus.AssertError("stored " + err.Error())
	}
	return a, nil
}

// BidStatus is where one bid stands.
type BidStatus uint8

const (
	BidSealed    BidStatus = 1 // committed, not revealed
	BidRevealed  BidStatus = 2 // revealed; deposit still in escrow
	BidRefunded  BidStatus = 3 // lost (or below reserve); deposit returned
	BidForfeited BidStatus = 4 // not revealed, or won and not paid: deposit forfeited
	BidWon       BidStatus = 5 // won and paid: the deposit became part of the payment
)

var bidStatusNames = map[BidStatus]string{
	BidSealed: "sealed", BidRevealed: "revealed", BidRefunded: "refunded", BidForfeited: "forfeited", BidWon: "won",
}

func (s BidStatus) String() string {
	if n, ok := bidStatusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("bid_status(%d)", uint8(s))
}

// MarshalText renders the status name.
func (s BidStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a bid status name.
func (s *BidStatus) UnmarshalText(b []byte) error {
	return unmarshalName(bidStatusNames, b, s, "bid status")
}

// Bid is one bidder's bid in one auction.
type Bid struct {
	Auction        wire.Hash    `json:"auction"`
	Index          uint32       `json:"index"` // commit order within the auction
	Bidder         keys.Address `json:"bidder"`
	BidderKey      keys.PubKey  `json:"bidder_key"` // the key is delivered encrypted to this
	Commitment     wire.Hash    `json:"commitment"`
	Deposit        uint64       `json:"deposit"` // still held in escrow for this bid
	Height         uint64       `json:"height"`  // commit height
	Status         BidStatus    `json:"status"`
	AmountPerPoint uint64       `json:"amount_per_point"` // once revealed
	// Full marks a full-deposit bid (TxCommitFullBids): its deposit
	// covers its total, and left unrevealed it forfeits only its bond.
	Full bool `json:"full_deposit"`
}

func (b *Bid) encode() []byte {
	w := payload.NewWriter(160)
	w.Raw(b.Auction[:])
	w.U32(b.Index)
	w.Raw(b.Bidder[:])
	w.Raw(b.BidderKey[:])
	w.Raw(b.Commitment[:])
	w.U64(b.Deposit)
	w.U64(b.Height)
	w.U8(uint8(b.Status))
	w.U64(b.AmountPerPoint)
	w.Bool(b.Full)
	return w.Bytes()
}

func decodeBid(buf []byte) (*Bid, error) {
	r := newReader(buf, "bid record")
	b := &Bid{}
	r.Fixed(b.Auction[:], "auction")
	b.Index = r.U32("index")
	r.Fixed(b.Bidder[:], "bidder")
	r.Fixed(b.BidderKey[:], "bidder key")
	r.Fixed(b.Commitment[:], "commitment")
	b.Deposit = r.U64("deposit")
	b.Height = r.U64("height")
	b.Status = BidStatus(r.U8("status"))
	b.AmountPerPoint = r.U64("amount")
	b.Full = r.Bool("full")
	if err := r.Finish(); err != nil {
		return nil, consensus.AssertError("stored " + err.Error())
	}
	return b, nil
}

// Delivery is a delivered access key. The access period runs from Time
// (the delivery block's timestamp) to Expires.
type Delivery struct {
	Auction      wire.Hash    `json:"auction"`
	Device       keys.PubKey  `json:"device"`
	Winner       keys.Address `json:"winner"`
	WinnerKey    keys.PubKey  `json:"winner_key"`
	Height       uint64       `json:"height"`
	Time         int64        `json:"time"`    // Unix ms
	Expires      int64        `json:"expires"` // Unix ms: Time + AccessPeriodSeconds
	Points       uint64       `json:"points"`  // data points bought
	KeyHash      wire.Hash    `json:"key_hash"`
	EncryptedKey []byte       `json:"encrypted_key"`
}

// ValidAt reports whether the access period covers the time t (Unix ms).
func (d *Delivery) ValidAt(t int64) bool { return t >= d.Time && t < d.Expires }

func (d *Delivery) encode() []byte {
	w := payload.NewWriter(200 + len(d.EncryptedKey))
	w.Raw(d.Auction[:])
	w.Raw(d.Device[:])
	w.Raw(d.Winner[:])
	w.Raw(d.WinnerKey[:])
	w.U64(d.Height)
	w.U64(uint64(d.Time))
	w.U64(uint64(d.Expires))
	w.U64(d.Points)
	w.Raw(d.KeyHash[:])
	w.Blob(d.EncryptedKey)
	return w.Bytes()
}

func decodeDelivery(b []byte) (*Delivery, error) {
	r := newReader(b, "delivery record")
	d := &Delivery{}
	r.Fixed(d.Auction[:], "auction")
	r.Fixed(d.Device[:], "device")
	r.Fixed(d.Winner[:], "winner")
	r.Fixed(d.WinnerKey[:], "winner key")
	d.Height = r.U64("height")
	d.Time = int64(r.U64("time"))
	d.Expires = int64(r.U64("expires"))
	d.Points = r.U64("points")
	r.Fixed(d.KeyHash[:], "key hash")
	d.EncryptedKey = r.Blob("encrypted key", maxKeyFormat)
	if err := r.Finish(); err != nil {
		return nil, consensus.AssertError("stored " + err.Error())
	}
	return d, nil
}

// --- reads (exported for the node's API, the wallet and device agents) ---

// GetAuction returns the auction with this ID, or nil.
func GetAuction(v *chain.View, id wire.Hash) (*Auction, error) {
	b, ok, err := v.Get(key(prefixAuction, id[:]))
	if err != nil || !ok {
		return nil, err
	}
	return decodeAuction(b)
}

func putAuction(v *chain.View, a *Auction) { v.Put(key(prefixAuction, a.ID[:]), a.encode()) }

// GetBid returns a bidder's bid in an auction, or nil.
func GetBid(v *chain.View, auction wire.Hash, bidder keys.Address) (*Bid, error) {
	b, ok, err := v.Get(key(prefixBid, auction[:], bidder[:]))
	if err != nil || !ok {
		return nil, err
	}
	return decodeBid(b)
}

func putBid(v *chain.View, b *Bid) { v.Put(key(prefixBid, b.Auction[:], b.Bidder[:]), b.encode()) }

// BidAt returns the n-th bid (commit order) of an auction.
func BidAt(v *chain.View, auction wire.Hash, n uint32) (*Bid, error) {
	addr, ok, err := v.Get(key(prefixBidIndex, auction[:], be32(n)))
	if err != nil {
		return nil, err
	}
	if !ok || len(addr) != keys.AddressSize {
		return nil, consensus.AssertError(fmt.Sprintf("auction %s has no bid %d", auction, n))
	}
	b, err := GetBid(v, auction, keys.Address(addr))
	if err == nil && b == nil {
		return nil, consensus.AssertError(fmt.Sprintf("auction %s: bid index %d names a missing bid", auction, n))
	}
	return b, err
}

// BidsOfAuction returns every bid of an auction in commit order.
func BidsOfAuction(v *chain.View, a *Auction) ([]*Bid, error) {
	out := make([]*Bid, 0, a.Bids)
	for i := uint32(0); i < a.Bids; i++ {
		b, err := BidAt(v, a.ID, i)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// AuctionCount is the number of auctions ever opened for a device; the
// next one has this sequence number.
func AuctionCount(v *chain.View, device keys.PubKey) (uint64, error) {
	return v.GetUint64(key(prefixDevSeq, device[:]))
}

// AuctionsOfDevice returns a device's auctions, oldest first.
func AuctionsOfDevice(v *chain.View, device keys.PubKey) ([]*Auction, error) {
	n, err := AuctionCount(v, device)
	if err != nil {
		return nil, err
	}
	out := make([]*Auction, 0, n)
	for seq := uint64(0); seq < n; seq++ {
		a, err := GetAuction(v, AuctionID(device, seq))
		if err != nil {
			return nil, err
		}
		if a == nil {
			return nil, consensus.AssertError(fmt.Sprintf("auction %d of device %s missing", seq, device))
		}
		out = append(out, a)
	}
	return out, nil
}

// NextAuction tells a bidder which auction of a device a bid committed in
// a block at height would go to: the running auction if one is in its
// commit phase (open=true), else the next sequence number, which the bid
// opens. ok=false when an auction is in its reveal phase, so no bid is
// possible until it closes.
func NextAuction(v *chain.View, device keys.PubKey, height uint64) (seq uint64, open bool, ok bool, err error) {
	n, err := AuctionCount(v, device)
	if err != nil || n == 0 {
		return 0, false, err == nil, err
	}
	a, err := GetAuction(v, AuctionID(device, n-1))
	if err != nil || a == nil {
		return 0, false, false, err
	}
	if a.Status != StatusOpen || height > a.CloseHeight {
		return n, false, true, nil
	}
	if height < a.CommitEnd {
		return n - 1, true, true, nil
	}
	return 0, false, false, nil
}

// BidsOfBidder returns the IDs of the auctions an address bid in, oldest
// first.
func BidsOfBidder(v *chain.View, bidder keys.Address) ([]wire.Hash, error) {
	n, err := v.GetUint64(key(prefixMyBidN, bidder[:]))
	if err != nil {
		return nil, err
	}
	out := make([]wire.Hash, 0, n)
	for i := uint64(0); i < n; i++ {
		b, ok, err := v.Get(key(prefixMyBid, bidder[:], be64(i)))
		if err != nil {
			return nil, err
		}
		if !ok || len(b) != wire.HashSize {
			return nil, consensus.AssertError("bidder index entry missing")
		}
		out = append(out, wire.Hash(b))
	}
	return out, nil
}

// GetDelivery returns the key delivery of an auction, or nil.
func GetDelivery(v *chain.View, auction wire.Hash) (*Delivery, error) {
	b, ok, err := v.Get(key(prefixDelivery, auction[:]))
	if err != nil || !ok {
		return nil, err
	}
	return decodeDelivery(b)
}

// Strikes is the number of key deliveries a device missed.
func Strikes(v *chain.View, device keys.PubKey) (uint64, error) {
	return v.GetUint64(key(prefixStrike, device[:]))
}

// Escrow is the coin held by auctions: unrefunded deposits and payments
// awaiting delivery.
func Escrow(v *chain.View) (uint64, error) { return v.GetUint64(keyEscrow) }

// MetadataPool is the metadata miners' share of fees collected but not
// yet paid (it is paid when the anchor next moves forward).
func MetadataPool(v *chain.View) (uint64, error) { return v.GetUint64(keyMetadataPool) }

// LastAnchor is the effective anchor of the tip: the last non-zero anchor
// a block carried (zero before any).
func LastAnchor(v *chain.View) (wire.Anchor, error) {
	b, ok, err := v.Get(keyLastAnchor)
	if err != nil || !ok {
		return wire.Anchor{}, err
	}
	if len(b) != 8+wire.HashSize {
		return wire.Anchor{}, consensus.AssertError("stored anchor has the wrong size")
	}
	var a wire.Anchor
	a.Height = binary.BigEndian.Uint64(b)
	copy(a.Hash[:], b[8:])
	return a, nil
}

func putLastAnchor(v *chain.View, a wire.Anchor) {
	v.Put(keyLastAnchor, append(be64(a.Height), a.Hash[:]...))
}

// --- coin movement (escrow bookkeeping) ---

func addU64(v *chain.View, k []byte, n uint64) error {
	cur, err := v.GetUint64(k)
	if err != nil {
		return err
	}
	sum, carry := bits.Add64(cur, n, 0)
	if carry != 0 {
		return consensus.RuleErrorf(ledger.ErrOverflow, "%s would exceed 2^64-1", k)
	}
	v.PutUint64(k, sum)
	return nil
}

func subU64(v *chain.View, k []byte, n uint64) error {
	cur, err := v.GetUint64(k)
	if err != nil {
		return err
	}
	if cur < n {
		return consensus.AssertError(fmt.Sprintf("%s holds %d, cannot release %d", k, cur, n))
	}
	if cur == n {
		v.Delete(k)
		return nil
	}
	v.PutUint64(k, cur-n)
	return nil
}

// release takes amount out of escrow and credits it to an address.
func release(v *chain.View, to keys.Address, amount uint64) error {
	if amount == 0 {
		return nil
	}
	if err := subU64(v, keyEscrow, amount); err != nil {
		return err
	}
	return ledger.Credit(v, to, amount)
}

// mulDivPermille returns amount × permille / 1000 rounded down, without
// overflow (permille ≤ 1000).
func mulDivPermille(amount, permille uint64) uint64 {
	hi, lo := bits.Mul64(amount, permille)
	q, _ := bits.Div64(hi, lo, 1000)
	return q
}

// bondOf is auctiontx.Bond.
func bondOf(total, permille uint64) uint64 { return auctiontx.Bond(total, permille) }

// --- due lists ---

type dueKind uint8

const (
	dueClose    dueKind = 1 // settle at the close height
	duePayment  dueKind = 2 // the winner's payment window ends
	dueDelivery dueKind = 3 // the delivery deadline passes
)

func schedule(v *chain.View, height uint64, id wire.Hash, kind dueKind) error {
	nk := key(prefixDueN, be64(height))
	n, err := v.GetUint64(nk)
	if err != nil {
		return err
	}
	v.Put(key(prefixDue, be64(height), be32(uint32(n))), append(id[:], byte(kind)))
	v.PutUint64(nk, n+1)
	return nil
}
