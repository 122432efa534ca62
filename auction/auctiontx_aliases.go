package auction

// Aliases and thin wrappers of the engine-free auctiontx package, which owns
// these declarations (see its doc.go), so engine code and existing
// callers keep their names: one name here for every exported declaration
// of auctiontx (api/client TestEngineReexportsClientSide holds that).

import (
	"io"

	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/chain/wire/payload"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry/registrytx"
)

type (
	SealedBid   = auctiontx.SealedBid
	OpenAuction = auctiontx.OpenAuction
	BidCommit   = auctiontx.BidCommit
	CommitBids  = auctiontx.CommitBids
	Reveal      = auctiontx.Reveal
	RevealBids  = auctiontx.RevealBids
	Pay         = auctiontx.Pay
	DeliverKey  = auctiontx.DeliverKey
)

const (
	ErrBadAuctionPayload    = auctiontx.ErrBadAuctionPayload
	ErrTooManyBids          = auctiontx.ErrTooManyBids
	ErrDuplicateBid         = auctiontx.ErrDuplicateBid
	ErrZeroDeposit          = auctiontx.ErrZeroDeposit
	ErrZeroBid              = auctiontx.ErrZeroBid
	ErrBadKey               = auctiontx.ErrBadKey
	ErrDeviceNotAuctionable = auctiontx.ErrDeviceNotAuctionable
	ErrSellerNotOwner       = auctiontx.ErrSellerNotOwner
	ErrNoSuchAuction        = auctiontx.ErrNoSuchAuction
	ErrBadPhase             = auctiontx.ErrBadPhase
	ErrAuctionFull          = auctiontx.ErrAuctionFull
	ErrInsufficientDeposit  = auctiontx.ErrInsufficientDeposit
	ErrNoFunds              = auctiontx.ErrNoFunds
	ErrNoBid                = auctiontx.ErrNoBid
	ErrRevealMismatch       = auctiontx.ErrRevealMismatch
	ErrLateReveal           = auctiontx.ErrLateReveal
	ErrDoubleReveal         = auctiontx.ErrDoubleReveal
	ErrNotWinner            = auctiontx.ErrNotWinner
	ErrPaymentLate          = auctiontx.ErrPaymentLate
	ErrNotDevice            = auctiontx.ErrNotDevice
	ErrDeliveryLate         = auctiontx.ErrDeliveryLate
	ErrAlreadyDelivered     = auctiontx.ErrAlreadyDelivered
	TxOpenAuction           = auctiontx.TxOpenAuction
	TxCommitBids            = auctiontx.TxCommitBids
	TxRevealBids            = auctiontx.TxRevealBids
	TxPay                   = auctiontx.TxPay
	TxDeliverKey            = auctiontx.TxDeliverKey
	TxCommitFullBids        = auctiontx.TxCommitFullBids
	MaxBatchFormat          = auctiontx.MaxBatchFormat
	MaxKeyFormat            = auctiontx.MaxKeyFormat
)

// NewOpenAuctionTx is auctiontx.NewOpenAuctionTx.
func NewOpenAuctionTx(net *consensus.Params, owner *keys.PrivateKey, nonce uint64, fee uint64, device keys.PubKey, seq uint64) *wire.Tx {
	return auctiontx.NewOpenAuctionTx(net, owner, nonce, fee, device, seq)
}

// NewSalt is auctiontx.NewSalt.
func NewSalt() [32]byte { return auctiontx.NewSalt() }

// SealBid is auctiontx.SealBid.
func SealBid(bidder keys.Address, device keys.PubKey, seq uint64, amountPerPoint uint64, deposit uint64, salt [32]byte) SealedBid {
	return auctiontx.SealBid(bidder, device, seq, amountPerPoint, deposit, salt)
}

// SealFullBid is auctiontx.SealFullBid.
func SealFullBid(bidder keys.Address, device keys.PubKey, seq uint64, amountPerPoint uint64, deposit uint64, salt [32]byte) SealedBid {
	return auctiontx.SealFullBid(bidder, device, seq, amountPerPoint, deposit, salt)
}

// MinDeposit is auctiontx.MinDeposit.
func MinDeposit(net *consensus.Params, terms registrytx.Terms, amountPerPoint uint64) (uint64, bool) {
	return auctiontx.MinDeposit(net, terms, amountPerPoint)
}

// FullDeposit is auctiontx.FullDeposit.
func FullDeposit(terms registrytx.Terms, amountPerPoint uint64) (uint64, bool) {
	return auctiontx.FullDeposit(terms, amountPerPoint)
}

// NewCommitTx is auctiontx.NewCommitTx.
func NewCommitTx(net *consensus.Params, bidder *keys.PrivateKey, nonce uint64, fee uint64, bids ...SealedBid) *wire.Tx {
	return auctiontx.NewCommitTx(net, bidder, nonce, fee, bids...)
}

// NewRevealTx is auctiontx.NewRevealTx.
func NewRevealTx(net *consensus.Params, bidder *keys.PrivateKey, nonce uint64, fee uint64, bids ...SealedBid) *wire.Tx {
	return auctiontx.NewRevealTx(net, bidder, nonce, fee, bids...)
}

// NewPayTx is auctiontx.NewPayTx.
func NewPayTx(net *consensus.Params, winner *keys.PrivateKey, nonce uint64, fee uint64, auction wire.Hash) *wire.Tx {
	return auctiontx.NewPayTx(net, winner, nonce, fee, auction)
}

// NewDeliverKeyTx is auctiontx.NewDeliverKeyTx.
func NewDeliverKeyTx(net *consensus.Params, device *keys.PrivateKey, nonce uint64, fee uint64, auction wire.Hash, winnerKey keys.PubKey, accessKey []byte, rnd io.Reader) (*wire.Tx, error) {
	return auctiontx.NewDeliverKeyTx(net, device, nonce, fee, auction, winnerKey, accessKey, rnd)
}

// ErrorKinds is auctiontx.ErrorKinds.
func ErrorKinds() []consensus.ErrorKind { return auctiontx.ErrorKinds() }

// AuctionID is auctiontx.AuctionID.
func AuctionID(device keys.PubKey, seq uint64) wire.Hash { return auctiontx.AuctionID(device, seq) }

// BidCommitment is auctiontx.BidCommitment.
func BidCommitment(auction wire.Hash, amountPerPoint uint64, salt [32]byte, bidder keys.Address) wire.Hash {
	return auctiontx.BidCommitment(auction, amountPerPoint, salt, bidder)
}

// KeyHash is auctiontx.KeyHash.
func KeyHash(key []byte) wire.Hash { return auctiontx.KeyHash(key) }

// DecodeOpenAuction is auctiontx.DecodeOpenAuction.
func DecodeOpenAuction(b []byte) (OpenAuction, error) { return auctiontx.DecodeOpenAuction(b) }

// DecodeCommitBids is auctiontx.DecodeCommitBids.
func DecodeCommitBids(b []byte) (CommitBids, error) { return auctiontx.DecodeCommitBids(b) }

// DecodeRevealBids is auctiontx.DecodeRevealBids.
func DecodeRevealBids(b []byte) (RevealBids, error) { return auctiontx.DecodeRevealBids(b) }

// DecodePay is auctiontx.DecodePay.
func DecodePay(b []byte) (Pay, error) { return auctiontx.DecodePay(b) }

// DecodeDeliverKey is auctiontx.DecodeDeliverKey.
func DecodeDeliverKey(b []byte) (DeliverKey, error) { return auctiontx.DecodeDeliverKey(b) }

// NewReader is auctiontx.NewReader.
func NewReader(b []byte, what string) *payload.Reader { return auctiontx.NewReader(b, what) }

// TotalPrice is auctiontx.TotalPrice.
func TotalPrice(perPoint uint64, points uint64) (uint64, error) {
	return auctiontx.TotalPrice(perPoint, points)
}

// Bond is auctiontx.Bond.
func Bond(total uint64, permille uint64) uint64 { return auctiontx.Bond(total, permille) }
