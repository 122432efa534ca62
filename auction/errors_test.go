package auction

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestErrorKindStrings: every kind is named after itself and distinct.
func TestErrorKindStrings(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range allErrorKinds {
		s := k.Error()
		if !strings.HasPrefix(s, "Err") || seen[s] {
			t.Errorf("kind %q malformed or repeated", s)
		}
		seen[s] = true
		err := error(consensus.RuleErrorf(k, "x"))
		if !errors.Is(err, k) {
			t.Errorf("%s does not unwrap", s)
		}
	}
	var rerr consensus.RuleError
	if errors.As(ErrAnchorPending, &rerr) {
		t.Fatal("ErrAnchorPending must not be a rule error")
	}
}

type errCase struct {
	name string
	tx   *wire.Tx
	want error
}

func runCases(t *testing.T, w *world, stage string, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		if err := w.apply(c.tx); !errors.Is(err, c.want) {
			t.Errorf("%s / %s: got %v, want %v", stage, c.name, err, c.want)
		}
	}
}

// TestRejections drives one auction through its phases and checks, at
// each, every way a transaction can be refused, by kind.
func TestRejections(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	net := w.net
	us := w.users(4, 1_000_000)
	alice, bob, carol, dave := us[0], us[1], us[2], us[3]
	poor := w.users(1, 50)[0]
	dev, owner := w.device()
	dev2, _ := w.device()
	disabled, _ := w.device()
	w.fm.setDevice(disabled.PubKey(), DeviceInfo{Owner: owner.PubKey().Address(), Terms: w.terms}, true, w.metaMin)
	w.fm.grow(int(net.Auction.AnchorDepth), w.metaMin)
	w.step() // anchor now covers every device above, disabled one disabled
	unattested := mustKey(t)
	// A device enabled on the metadata chain after the current anchor.
	unanchored := mustKey(t)
	w.fm.setDevice(unanchored.PubKey(), DeviceInfo{Owner: owner.PubKey().Address(), Auctionable: true, Terms: w.terms}, true, w.metaMin)
	w.fm.grow(int(net.Auction.AnchorDepth), w.metaMin)
	w.noAnchor = true // keep the anchor where it is

	aAddr, bAddr, cAddr, dAddr := alice.PubKey().Address(), bob.PubKey().Address(), carol.PubKey().Address(), dave.PubKey().Address()
	sA := SealBid(aAddr, dev.PubKey(), 0, 50, 500, NewSalt())
	sB := SealBid(bAddr, dev.PubKey(), 0, 40, 400, NewSalt())
	sC := SealBid(cAddr, dev.PubKey(), 0, 50, 100, NewSalt()) // bond of the reserve only
	w.step(NewCommitTx(net, alice, 0, 0, sA), NewCommitTx(net, bob, 0, 0, sB), NewCommitTx(net, carol, 0, 0, sC))
	id := sA.Auction
	au := w.auction(id)

	bidOn := func(d keys.PubKey, seq, dep uint64) SealedBid { return SealBid(dAddr, d, seq, 20, dep, NewSalt()) }
	many := make([]SealedBid, net.Auctions.MaxBidsPerTx+1)
	for i := range many {
		many[i] = bidOn(mustKey(t).PubKey(), 0, 200)
	}
	garbled := NewCommitTx(net, dave, 0, 0, bidOn(dev.PubKey(), 0, 200))
	garbled.Payload = garbled.Payload[:10]
	garbled.Sig = dave.Sign(garbled.SigHash())
	badKey := signTx(net, TxDeliverKey, dev, 0, 0, DeliverKey{Auction: id, EncryptedKey: make([]byte, keys.ECIESOverhead)}.Encode())
	deliver := func(from *keys.PrivateKey) *wire.Tx {
		tx, err := NewDeliverKeyTx(net, from, w.nonce(from), 0, id, alice.PubKey(), []byte("k"), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	zeroReveal := SealBid(aAddr, dev.PubKey(), 0, 0, 500, NewSalt())
	runCases(t, w, "commit phase", []errCase{
		{"disabled device", NewCommitTx(net, dave, 0, 0, bidOn(disabled.PubKey(), 0, 200)), ErrDeviceNotAuctionable},
		{"unattested device", NewCommitTx(net, dave, 0, 0, bidOn(unattested.PubKey(), 0, 200)), ErrDeviceNotAuctionable},
		{"device not yet anchored", NewCommitTx(net, dave, 0, 0, bidOn(unanchored.PubKey(), 0, 200)), ErrDeviceNotAuctionable},
		{"bid without funds", NewCommitTx(net, poor, 0, 0, SealBid(poor.PubKey().Address(), dev.PubKey(), 0, 20, 200, NewSalt())), ErrNoFunds},
		{"deposit below the reserve's bond", NewCommitTx(net, dave, 0, 0, bidOn(dev.PubKey(), 0, 99)), ErrInsufficientDeposit},
		{"second bid in one auction", NewCommitTx(net, alice, 1, 0, SealBid(aAddr, dev.PubKey(), 0, 60, 600, NewSalt())), ErrDuplicateBid},
		{"one auction twice in a batch", NewCommitTx(net, dave, 0, 0, bidOn(dev2.PubKey(), 0, 200), bidOn(dev2.PubKey(), 0, 300)), ErrDuplicateBid},
		{"batch over the limit", NewCommitTx(net, dave, 0, 0, many...), ErrTooManyBids},
		{"zero deposit", NewCommitTx(net, dave, 0, 0, bidOn(dev.PubKey(), 0, 0)), ErrZeroDeposit},
		{"auction number from the future", NewCommitTx(net, dave, 0, 0, bidOn(dev.PubKey(), 5, 200)), ErrNoSuchAuction},
		{"malformed payload", garbled, ErrBadAuctionPayload},
		{"reveal in the commit phase", NewRevealTx(net, alice, 1, 0, sA), ErrBadPhase},
		{"reveal of zero", NewRevealTx(net, alice, 1, 0, zeroReveal), ErrZeroBid},
		{"open by a stranger", NewOpenAuctionTx(net, dave, 0, 0, dev2.PubKey(), 0), ErrSellerNotOwner},
		{"open an opened auction", NewOpenAuctionTx(net, owner, 0, 0, dev.PubKey(), 0), ErrBadPhase},
		{"open while one runs", NewOpenAuctionTx(net, owner, 0, 0, dev.PubKey(), 1), ErrBadPhase},
		{"open a disabled device", NewOpenAuctionTx(net, owner, 0, 0, disabled.PubKey(), 0), ErrDeviceNotAuctionable},
		{"pay before close", NewPayTx(net, alice, 1, 0, id), ErrNotWinner},
		{"pay for no auction", NewPayTx(net, alice, 1, 0, wire.Hash{1}), ErrNoSuchAuction},
		{"deliver before close", deliver(dev), ErrBadPhase},
		{"deliver by another key", deliver(dev2), ErrNotDevice},
		{"encrypted key too short", badKey, ErrBadKey},
	})

	w.stepTo(au.CommitEnd - 1)
	wrong := sA
	wrong.AmountPerPoint = 51
	runCases(t, w, "reveal phase", []errCase{
		{"commit after the commit phase", NewCommitTx(net, dave, 0, 0, bidOn(dev.PubKey(), 0, 200)), ErrBadPhase},
		{"reveal that does not match", NewRevealTx(net, alice, 1, 0, wrong), ErrRevealMismatch},
		{"reveal without a bid", NewRevealTx(net, dave, 0, 0, bidOn(dev.PubKey(), 0, 200)), ErrNoBid},
		{"reveal of a bid the deposit does not bond", NewRevealTx(net, carol, 1, 0, sC), ErrInsufficientDeposit},
		{"reveal in no auction", NewRevealTx(net, alice, 1, 0, SealBid(aAddr, dev2.PubKey(), 9, 1, 1, NewSalt())), ErrNoSuchAuction},
	})
	w.step(NewRevealTx(net, alice, 1, 0, sA))
	runCases(t, w, "after alice revealed", []errCase{
		{"double reveal", NewRevealTx(net, alice, 2, 0, sA), ErrDoubleReveal},
	})
	w.stepTo(au.CloseHeight)
	runCases(t, w, "after close", []errCase{
		{"late reveal", NewRevealTx(net, bob, 1, 0, sB), ErrLateReveal},
		{"pay by a loser", NewPayTx(net, bob, 1, 0, id), ErrNotWinner},
	})
}

// TestAuctionFull: MaxBidsPerAuction bounds the bidders of one auction.
func TestAuctionFull(t *testing.T) {
	net := consensus.RegTest()
	net.Auctions.MaxBidsPerAuction = 1
	w := newWorld(t, net)
	us := w.users(2, 1_000_000)
	dev, _ := w.device()
	w.step()
	w.step(NewCommitTx(net, us[0], 0, 0, SealBid(us[0].PubKey().Address(), dev.PubKey(), 0, 20, 200, NewSalt())))
	err := w.apply(NewCommitTx(net, us[1], 0, 0, SealBid(us[1].PubKey().Address(), dev.PubKey(), 0, 20, 200, NewSalt())))
	wantKind(t, "second bidder", err, ErrAuctionFull)
}
