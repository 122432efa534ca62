package auctiontx

import (
	"slices"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger/ledgertx"
)

// Rule error kinds of the auction state machine. A wrong anchor is
// consensus.ErrBadAnchor, a wrong nonce consensus.ErrBadNonce, a fee the
// sender cannot pay ledgertx.ErrInsufficientFunds and an arithmetic overflow
// ledgertx.ErrOverflow.
const (
	// Context-free (sanity) checks.
	ErrBadAuctionPayload = ledgertx.ErrBadAuctionPayload          // payload does not decode canonically
	ErrTooManyBids       = consensus.ErrorKind("ErrTooManyBids")  // batch empty or over MaxBidsPerTx
	ErrDuplicateBid      = consensus.ErrorKind("ErrDuplicateBid") // the bidder already bid in this auction (or twice in one batch)
	ErrZeroDeposit       = consensus.ErrorKind("ErrZeroDeposit")  // a bid with no deposit
	ErrZeroBid           = consensus.ErrorKind("ErrZeroBid")      // a revealed bid of zero
	ErrBadKey            = consensus.ErrorKind("ErrBadKey")       // encrypted key empty, too short for ECIES or over MaxKeyCiphertext

	// Against state.
	ErrDeviceNotAuctionable = consensus.ErrorKind("ErrDeviceNotAuctionable") // device unknown, unattested, revoked or disabled at the anchor
	ErrSellerNotOwner       = consensus.ErrorKind("ErrSellerNotOwner")       // opening an auction for a device the sender does not own
	ErrNoSuchAuction        = consensus.ErrorKind("ErrNoSuchAuction")        // auction ID (or device sequence number) unknown
	ErrBadPhase             = consensus.ErrorKind("ErrBadPhase")             // the auction is not in the phase the transaction needs
	ErrAuctionFull          = consensus.ErrorKind("ErrAuctionFull")          // MaxBidsPerAuction bidders already
	ErrInsufficientDeposit  = consensus.ErrorKind("ErrInsufficientDeposit")  // deposit below the bond of the reserve (commit) or of the bid (reveal)
	ErrNoFunds              = consensus.ErrorKind("ErrNoFunds")              // the balance does not cover the deposit or the payment
	ErrNoBid                = consensus.ErrorKind("ErrNoBid")                // revealing in an auction the sender did not bid in
	ErrRevealMismatch       = consensus.ErrorKind("ErrRevealMismatch")       // amount and salt do not hash to the commitment
	ErrLateReveal           = consensus.ErrorKind("ErrLateReveal")           // reveal after the close height
	ErrDoubleReveal         = consensus.ErrorKind("ErrDoubleReveal")         // bid already revealed
	ErrNotWinner            = consensus.ErrorKind("ErrNotWinner")            // paying for an auction the sender has not (or no longer) won
	ErrPaymentLate          = consensus.ErrorKind("ErrPaymentLate")          // the sender's payment window lapsed; its bond was forfeited
	ErrNotDevice            = consensus.ErrorKind("ErrNotDevice")            // key delivery not signed by the auctioned device's key
	ErrDeliveryLate         = consensus.ErrorKind("ErrDeliveryLate")         // delivery after the deadline (the winner was refunded)
	ErrAlreadyDelivered     = consensus.ErrorKind("ErrAlreadyDelivered")     // second delivery for one auction
)

// allErrorKinds lists every kind this package declares, for the table test
// and the docs.
var allErrorKinds = []consensus.ErrorKind{
	ErrBadAuctionPayload, ErrTooManyBids, ErrDuplicateBid, ErrZeroDeposit, ErrZeroBid, ErrBadKey,
	ErrDeviceNotAuctionable, ErrSellerNotOwner, ErrNoSuchAuction, ErrBadPhase, ErrAuctionFull,
	ErrInsufficientDeposit, ErrNoFunds, ErrNoBid, ErrRevealMismatch, ErrLateReveal,
	ErrDoubleReveal, ErrNotWinner, ErrPaymentLate, ErrNotDevice, ErrDeliveryLate, ErrAlreadyDelivered,
}

// ErrorKinds returns every kind this package declares (a fresh slice), for
// table tests and documentation.
func ErrorKinds() []consensus.ErrorKind { return slices.Clone(allErrorKinds) }
