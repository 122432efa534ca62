package auctiontx

import (
	"crypto/rand"
	"io"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry/registrytx"
)

// Builders of signed auction transactions for the wallet, device agents
// and tests. Each takes the network, the signer, its next auction-chain
// nonce and the fee (paid to the miner like any auction-chain fee).

func signTx(net *consensus.Params, typ uint16, from *keys.PrivateKey, nonce, fee uint64, payload []byte) *wire.Tx {
	tx := &wire.Tx{ChainID: net.Auction.ChainID, Type: typ, Nonce: nonce, Fee: fee, Sender: from.PubKey(), Payload: payload}
	tx.Sig = from.Sign(tx.SigHash())
	return tx
}

// NewOpenAuctionTx builds an owner's opening of auction seq of its device
// (seq is AuctionCount, see NextAuction).
func NewOpenAuctionTx(net *consensus.Params, owner *keys.PrivateKey, nonce, fee uint64, device keys.PubKey, seq uint64) *wire.Tx {
	return signTx(net, TxOpenAuction, owner, nonce, fee, OpenAuction{Device: device, Seq: seq}.Encode())
}

// SealedBid is everything a bidder must keep between commit and reveal.
type SealedBid struct {
	Device         keys.PubKey `json:"device"`
	Seq            uint64      `json:"seq"`
	Auction        wire.Hash   `json:"auction"`
	AmountPerPoint uint64      `json:"amount_per_point"`
	Salt           [32]byte    `json:"salt"`
	Deposit        uint64      `json:"deposit"`
	// Full marks a full-deposit bid (committed with TxCommitFullBids,
	// Deposit = FullDeposit); false is a bond-only bid (TxCommitBids).
	Full bool `json:"full,omitempty"`
}

// NewSalt draws a fresh 32-byte salt from crypto/rand.
func NewSalt() [32]byte {
	var s [32]byte
	if _, err := io.ReadFull(rand.Reader, s[:]); err != nil {
		panic("auction: crypto/rand failed: " + err.Error())
	}
	return s
}

// SealBid prepares a bond-only bid of amountPerPoint in auction seq of a
// device by bidder, with the given salt (NewSalt) and deposit (at least
// MinDeposit).
func SealBid(bidder keys.Address, device keys.PubKey, seq, amountPerPoint, deposit uint64, salt [32]byte) SealedBid {
	return SealedBid{Device: device, Seq: seq, Auction: AuctionID(device, seq), AmountPerPoint: amountPerPoint, Salt: salt, Deposit: deposit}
}

// SealFullBid prepares a full-deposit bid: like SealBid, with the deposit
// (at least FullDeposit) marked to cover the bid's whole total.
func SealFullBid(bidder keys.Address, device keys.PubKey, seq, amountPerPoint, deposit uint64, salt [32]byte) SealedBid {
	s := SealBid(bidder, device, seq, amountPerPoint, deposit, salt)
	s.Full = true
	return s
}

// Commit is the bid's commit entry for bidder.
func (s SealedBid) Commit(bidder keys.Address) BidCommit {
	return BidCommit{Device: s.Device, Seq: s.Seq, Commitment: BidCommitment(s.Auction, s.AmountPerPoint, s.Salt, bidder), Deposit: s.Deposit}
}

// Reveal is the bid's reveal entry.
func (s SealedBid) Reveal() Reveal {
	return Reveal{Auction: s.Auction, AmountPerPoint: s.AmountPerPoint, Salt: s.Salt}
}

// MinDeposit is the least deposit that lets a bid of amountPerPoint be
// revealed under terms: the bond share of its total price. It returns
// false if the total price overflows.
func MinDeposit(net *consensus.Params, terms registrytx.Terms, amountPerPoint uint64) (uint64, bool) {
	total, err := TotalPrice(amountPerPoint, terms.PointsPerPeriod)
	if err != nil {
		return 0, false
	}
	return max(Bond(total, net.Auctions.BondPermille), 1), true
}

// FullDeposit is the deposit of a full-deposit bid of amountPerPoint
// under terms: its whole total price. It returns false if the total
// overflows.
func FullDeposit(terms registrytx.Terms, amountPerPoint uint64) (uint64, bool) {
	total, err := TotalPrice(amountPerPoint, terms.PointsPerPeriod)
	return total, err == nil
}

// NewCommitTx builds one transaction committing every sealed bid (one or
// a batch of up to MaxBidsPerTx, to distinct auctions): TxCommitFullBids
// when the bids are full-deposit bids, TxCommitBids when bond-only. One
// transaction carries one kind; mixing them is a programming error and
// panics.
func NewCommitTx(net *consensus.Params, bidder *keys.PrivateKey, nonce, fee uint64, bids ...SealedBid) *wire.Tx {
	addr := bidder.PubKey().Address()
	c := CommitBids{Bids: make([]BidCommit, len(bids))}
	typ := TxCommitBids
	if len(bids) > 0 && bids[0].Full {
		typ = TxCommitFullBids
	}
	for i, b := range bids {
		if b.Full != (typ == TxCommitFullBids) {
			panic("auction: NewCommitTx given both full-deposit and bond-only bids")
		}
		c.Bids[i] = b.Commit(addr)
	}
	return signTx(net, typ, bidder, nonce, fee, c.Encode())
}

// NewRevealTx builds one transaction revealing every sealed bid given.
func NewRevealTx(net *consensus.Params, bidder *keys.PrivateKey, nonce, fee uint64, bids ...SealedBid) *wire.Tx {
	r := RevealBids{Reveals: make([]Reveal, len(bids))}
	for i, b := range bids {
		r.Reveals[i] = b.Reveal()
	}
	return signTx(net, TxRevealBids, bidder, nonce, fee, r.Encode())
}

// NewPayTx builds a winner's payment of what its deposit did not cover.
func NewPayTx(net *consensus.Params, winner *keys.PrivateKey, nonce, fee uint64, auction wire.Hash) *wire.Tx {
	return signTx(net, TxPay, winner, nonce, fee, Pay{Auction: auction}.Encode())
}

// NewDeliverKeyTx builds a device's key delivery: accessKey encrypted to
// the winner's public key (Bid.BidderKey of the winner) with ECIES, and
// its hash. rnd is crypto/rand.Reader outside tests.
func NewDeliverKeyTx(net *consensus.Params, device *keys.PrivateKey, nonce, fee uint64, auction wire.Hash, winnerKey keys.PubKey, accessKey []byte, rnd io.Reader) (*wire.Tx, error) {
	ct, err := keys.EncryptECIES(rnd, winnerKey, accessKey)
	if err != nil {
		return nil, err
	}
	d := DeliverKey{Auction: auction, KeyHash: KeyHash(accessKey), EncryptedKey: ct}
	return signTx(net, TxDeliverKey, device, nonce, fee, d.Encode()), nil
}
