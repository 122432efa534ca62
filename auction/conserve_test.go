package auction

import (
	"crypto/rand"
	mrand "math/rand/v2"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// workload generates random but valid auction traffic from a node's state.
type workload struct {
	rng     *mrand.Rand
	net     *consensus.Params
	users   []*keys.PrivateKey
	devices []*keys.PrivateKey
	sealed  map[wire.Hash]SealedBid // by commitment
}

func (wl *workload) block(n *tnode) []*wire.Tx {
	n.t.Helper()
	h := n.c.Tip().Height + 1
	var txs []*wire.Tx
	n.view(func(v *chain.View) error {
		for _, u := range wl.users {
			addr := u.PubKey().Address()
			acct, err := ledger.GetAccount(v, addr)
			if err != nil {
				return err
			}
			fee := wl.rng.Uint64N(50)
			if acct.Balance < fee+10_000 {
				continue
			}
			spend := acct.Balance - fee - 10_000
			switch wl.rng.IntN(4) {
			case 0, 1: // commit to a few devices, full-deposit or bond-only bids
				var bids []SealedBid
				full := wl.rng.IntN(2) == 0
				for _, d := range wl.devices {
					if wl.rng.IntN(2) == 0 {
						continue
					}
					seq, _, ok, err := NextAuction(v, d.PubKey(), h)
					if err != nil {
						return err
					}
					if !ok {
						continue
					}
					if b, err := GetBid(v, AuctionID(d.PubKey(), seq), addr); err != nil || b != nil {
						continue
					}
					amt := 5 + wl.rng.Uint64N(60) // some below the reserve of 10
					least, _ := MinDeposit(wl.net, Terms{PointsPerPeriod: 100}, max(amt, 10))
					dep := least + wl.rng.Uint64N(amt*100)
					if full {
						dep = max(amt, 10)*100 + wl.rng.Uint64N(100)
					}
					if dep > spend {
						continue
					}
					spend -= dep
					s := SealBid(addr, d.PubKey(), seq, amt, dep, NewSalt())
					s.Full = full
					wl.sealed[BidCommitment(s.Auction, amt, s.Salt, addr)] = s
					bids = append(bids, s)
				}
				if len(bids) > 0 {
					txs = append(txs, NewCommitTx(wl.net, u, acct.Nonce, fee, bids...))
				}
			case 2: // reveal most sealed bids in their reveal phase
				ids, err := BidsOfBidder(v, addr)
				if err != nil {
					return err
				}
				var rev []SealedBid
				for _, id := range ids {
					a, err := GetAuction(v, id)
					if err != nil {
						return err
					}
					b, err := GetBid(v, id, addr)
					if err != nil {
						return err
					}
					if a.Status != StatusOpen || h < a.CommitEnd || h > a.CloseHeight || b.Status != BidSealed || wl.rng.IntN(5) == 0 {
						continue
					}
					s, ok := wl.sealed[b.Commitment]
					if !ok {
						continue
					}
					if least, _ := MinDeposit(wl.net, a.Terms, s.AmountPerPoint); least > b.Deposit {
						continue // would be refused; left to forfeit
					}
					rev = append(rev, s)
				}
				if len(rev) > 0 {
					txs = append(txs, NewRevealTx(wl.net, u, acct.Nonce, fee, rev...))
				}
			case 3: // pay one auction awaiting this user's payment
				ids, err := BidsOfBidder(v, addr)
				if err != nil {
					return err
				}
				for _, id := range ids {
					a, err := GetAuction(v, id)
					if err != nil {
						return err
					}
					b, _ := GetBid(v, id, addr)
					if a.Status == StatusAwaitingPayment && a.Winner == addr && a.Price-b.Deposit <= spend && wl.rng.IntN(3) > 0 {
						txs = append(txs, NewPayTx(wl.net, u, acct.Nonce, fee, id))
						break
					}
				}
			}
		}
		for _, d := range wl.devices {
			as, err := AuctionsOfDevice(v, d.PubKey())
			if err != nil {
				return err
			}
			for _, a := range as {
				if a.Status != StatusPaid || wl.rng.IntN(3) == 0 {
					continue
				}
				b, err := GetBid(v, a.ID, a.Winner)
				if err != nil {
					return err
				}
				acct, err := ledger.GetAccount(v, d.PubKey().Address())
				if err != nil {
					return err
				}
				tx, err := NewDeliverKeyTx(wl.net, d, acct.Nonce, 0, a.ID, b.BidderKey, []byte("k"), rand.Reader)
				if err != nil {
					return err
				}
				txs = append(txs, tx)
				break
			}
		}
		return nil
	})
	return txs
}

// TestCoinConservedRandom runs random auction traffic (batch commits of
// full-deposit and of bond-only bids,
// reveals, skipped reveals, payments, deliveries and missed deliveries,
// transfers' fees feeding the metadata pool) on two nodes that fork and
// reorganise repeatedly, checking after every block on both that balances
// plus escrow plus the metadata pool equal the supply.
func TestCoinConservedRandom(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	wl := &workload{rng: mrand.New(mrand.NewPCG(6, 6)), net: w.net, sealed: map[wire.Hash]SealedBid{}}
	wl.users = w.users(6, 2_000_000)
	for i := 0; i < 4; i++ {
		d, _ := w.device()
		wl.devices = append(wl.devices, d)
	}
	w.step()
	nb := newTNode(t, w.net, w.fm)
	nb.miner = mustKey(t)
	w.track(nb.miner.PubKey().Address())
	for h := uint64(1); h <= w.c.Tip().Height; h++ {
		blk, _ := w.c.BlockByHeight(h)
		feed(t, nb.c, blk)
	}
	counts := map[Status]int{}
	for round := 0; round < 8; round++ {
		for i := 0; i < 3; i++ {
			w.fm.grow(wl.rng.IntN(2), w.metaMin)
			w.step(wl.block(w.tnode)...)
		}
		// B forks from the common block with a longer branch of its own.
		var branch []*wire.Block
		for i := 0; i < 4; i++ {
			branch = append(branch, nb.mine(wl.block(nb)...))
			nb.conserved("node B", w.addrs)
		}
		feed(t, w.c, branch...)
		if w.c.Tip().Hash != nb.c.Tip().Hash {
			t.Fatalf("round %d: no reorganisation", round)
		}
		w.check("after reorg")
		for h := uint64(1); h <= w.c.Tip().Height; h++ {
			blk, _ := w.c.BlockByHeight(h)
			feed(t, nb.c, blk)
		}
	}
	w.view(func(v *chain.View) error {
		for _, d := range wl.devices {
			as, err := AuctionsOfDevice(v, d.PubKey())
			if err != nil {
				return err
			}
			for _, a := range as {
				counts[a.Status]++
			}
		}
		return nil
	})
	t.Logf("auction outcomes: %v", counts)
	if counts[StatusDelivered] == 0 {
		t.Fatalf("workload never delivered: %v", counts)
	}
}
