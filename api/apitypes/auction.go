package apitypes

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// AuctionStatus is an auction's status by name (docs/auction.md §2).
type AuctionStatus string

// Auction statuses.
const (
	StatusOpen            AuctionStatus = "open"              // commit or reveal phase
	StatusAwaitingPayment AuctionStatus = "awaiting_payment"  // the winner's deposit is short; its payment window runs
	StatusPaid            AuctionStatus = "awaiting_delivery" // price in escrow; the device delivers the key
	StatusDelivered       AuctionStatus = "delivered"         // final
	StatusNoSale          AuctionStatus = "no_sale"           // final
	StatusUndelivered     AuctionStatus = "undelivered"       // final: delivery deadline missed, winner refunded
)

// BidStatus is a bid's status by name.
type BidStatus string

// Bid statuses.
const (
	BidSealed    BidStatus = "sealed"    // committed, not revealed
	BidRevealed  BidStatus = "revealed"  // deposit still in escrow
	BidRefunded  BidStatus = "refunded"  // lost or below reserve; deposit returned
	BidForfeited BidStatus = "forfeited" // not revealed, or won and not paid
	BidWon       BidStatus = "won"       // won and paid
)

// AuctionIDParams names an auction.
type AuctionIDParams struct {
	ID wire.Hash `json:"id"`
}

// Auction is an auction's state (docs/auction.md).
type Auction struct {
	ID          wire.Hash     `json:"id"`
	Device      string        `json:"device"` // public key
	Seq         uint64        `json:"seq"`
	Owner       string        `json:"owner"` // address
	Terms       Terms         `json:"terms"`
	OpenHeight  uint64        `json:"open_height"`
	CommitEnd   uint64        `json:"commit_end"`
	CloseHeight uint64        `json:"close_height"`
	Status      AuctionStatus `json:"status"`
	Bids        uint32        `json:"bids"` // bidders so far
	// Ranking lists the bid indexes of revealed bids at or above reserve,
	// best first; set at close.
	Ranking          []uint32 `json:"ranking"`
	WinnerRank       uint32   `json:"winner_rank"`
	Winner           string   `json:"winner"` // address; "" before a winner is known
	PricePerPoint    uint64   `json:"price_per_point"`
	Price            uint64   `json:"price"`
	PayDeadline      uint64   `json:"pay_deadline"`
	DeliveryDeadline uint64   `json:"delivery_deadline"`
}

// Bid is one bidder's bid in an auction.
type Bid struct {
	Auction        wire.Hash `json:"auction"`
	Index          uint32    `json:"index"`
	Bidder         string    `json:"bidder"`     // address
	BidderKey      string    `json:"bidder_key"` // public key the access key is encrypted to
	Commitment     wire.Hash `json:"commitment"`
	Deposit        uint64    `json:"deposit"`
	Height         uint64    `json:"height"`
	Status         BidStatus `json:"status"`
	AmountPerPoint uint64    `json:"amount_per_point"` // once revealed
}

// Delivery is an auction's key delivery.
type Delivery struct {
	Auction      wire.Hash `json:"auction"`
	Device       string    `json:"device"`     // public key
	Winner       string    `json:"winner"`     // address
	WinnerKey    string    `json:"winner_key"` // public key
	Height       uint64    `json:"height"`
	Time         int64     `json:"time"`    // Unix ms
	Expires      int64     `json:"expires"` // Unix ms
	Points       uint64    `json:"points"`
	KeyHash      wire.Hash `json:"key_hash"`
	EncryptedKey string    `json:"encrypted_key"` // hex, ECIES (docs/auction.md §9)
}

// AuctionView is an auction with its bids and delivery, as of the tip
// (auction.get, auction.ofDevice).
type AuctionView struct {
	Auction
	Phase    string    `json:"phase"`
	Height   uint64    `json:"height"` // tip the view was read at
	BidList  []*Bid    `json:"bid_list,omitempty"`
	Delivery *Delivery `json:"delivery,omitempty"`
}

// BidderAuction is an auction a bidder took part in, with the bidder's bid
// (auction.ofBidder).
type BidderAuction struct {
	AuctionView
	Bid *Bid `json:"bid"`
}

// NextAuctionResult says where a bid on a device would go (auction.next).
type NextAuctionResult struct {
	Device       string    `json:"device"`
	Biddable     bool      `json:"biddable"`
	Reason       string    `json:"reason,omitempty"`
	Seq          uint64    `json:"seq"`
	ID           wire.Hash `json:"id"`
	Opens        bool      `json:"opens"`
	Terms        Terms     `json:"terms"`
	BondPermille uint64    `json:"bond_permille"`
	Strikes      uint64    `json:"strikes"`
}

// AuctionParams are the network's auction parameters (docs/auction.md §3).
type AuctionParams struct {
	CommitBlocks         uint64 `json:"commit_blocks"`
	RevealBlocks         uint64 `json:"reveal_blocks"`
	PaymentBlocks        uint64 `json:"payment_blocks"`
	DeliveryBlocks       uint64 `json:"delivery_blocks"`
	BondPermille         uint64 `json:"bond_permille"`
	ForfeitOwnerPermille uint64 `json:"forfeit_owner_permille"`
	ProtocolFeePermille  uint64 `json:"protocol_fee_permille"`
	MetadataFeePermille  uint64 `json:"metadata_fee_permille"`
	MaxBidsPerTx         int    `json:"max_bids_per_tx"`
	MaxBidsPerAuction    int    `json:"max_bids_per_auction"`
	MaxAnchorStep        uint64 `json:"max_anchor_step"`
	MaxKeyCiphertext     int    `json:"max_key_ciphertext"`
}

// AuctionInfo summarises the auction chain's market (auction.info).
type AuctionInfo struct {
	Height       uint64        `json:"height"`
	Escrow       uint64        `json:"escrow"`
	MetadataPool uint64        `json:"metadata_pool"`
	Anchor       Anchor        `json:"anchor"`
	Params       AuctionParams `json:"params"`
}

// ErrKeyMismatch: a delivered key does not match the hash the device
// committed to.
var ErrKeyMismatch = errors.New("delivered key does not match its hash commitment")

// Open decrypts the delivered access key with the winner's private key
// (ECIES, docs/auction.md §9) and checks it against KeyHash = SHA-256(key).
func (d *Delivery) Open(winner *keys.PrivateKey) ([]byte, error) {
	ct, err := hex.DecodeString(d.EncryptedKey)
	if err != nil {
		return nil, fmt.Errorf("auction %s: encrypted_key is not hex: %w", d.Auction, err)
	}
	k, err := winner.DecryptECIES(ct)
	if err != nil {
		return nil, fmt.Errorf("auction %s: %w", d.Auction, err)
	}
	if sha256.Sum256(k) != d.KeyHash {
		return nil, fmt.Errorf("auction %s: %w", d.Auction, ErrKeyMismatch)
	}
	return k, nil
}
