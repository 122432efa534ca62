package ledger

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

type node struct {
	t     testing.TB
	net   *consensus.Params
	c     *chain.Chain
	dir   string
	miner *keys.PrivateKey
}

func newNode(t testing.TB) *node {
	t.Helper()
	net := consensus.RegTest()
	n := &node{t: t, net: net, dir: t.TempDir()}
	n.miner, _ = keys.GenerateKey()
	n.open()
	t.Cleanup(func() { n.c.Close() })
	return n
}

func (n *node) open() {
	c, err := chain.Open(chain.Config{Net: n.net, Kind: consensus.AuctionChain, Dir: n.dir, StateMachine: NewMachine(n.net)})
	if err != nil {
		n.t.Fatal(err)
	}
	n.c = c
}

// mine includes exactly txs in one block.
func (n *node) mine(txs ...*wire.Tx) *wire.Block {
	n.t.Helper()
	hashes, err := miner.Generate(context.Background(), n.c, 1, n.miner, n.miner.PubKey().Address(), func() []*wire.Tx { return txs }, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	blk, err := n.c.BlockByHash(hashes[0])
	if err != nil {
		n.t.Fatal(err)
	}
	if len(blk.Txs) != len(txs) {
		n.t.Fatalf("block kept %d of %d txs", len(blk.Txs), len(txs))
	}
	return blk
}

func (n *node) account(a keys.Address) Account {
	n.t.Helper()
	var acct Account
	err := n.c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
		var err error
		acct, err = GetAccount(v, a)
		return err
	})
	if err != nil {
		n.t.Fatal(err)
	}
	return acct
}

// apply checks one tx against the tip state and returns its error.
func (n *node) apply(tx *wire.Tx) error {
	if err := n.c.CheckTxSanity(tx); err != nil {
		return err
	}
	errs, _, err := n.c.ApplyOnTip([]*wire.Tx{tx})
	if err != nil {
		n.t.Fatal(err)
	}
	return errs[0]
}

func faucet(t testing.TB, net *consensus.Params) *keys.PrivateKey {
	k, ok := FaucetKey(net)
	if !ok {
		t.Fatal("regtest has no faucet")
	}
	return k
}

func TestTransferMovesExactlyAmountAndFee(t *testing.T) {
	n := newNode(t)
	f := faucet(t, n.net)
	alice, _ := keys.GenerateKey()
	bob, _ := keys.GenerateKey()
	n.mine(NewTransfer(n.net, f, alice.PubKey().Address(), 100*Coin, 1000, 0))
	minerBefore := n.account(n.miner.PubKey().Address()).Balance
	n.mine(NewTransfer(n.net, alice, bob.PubKey().Address(), 30*Coin, 5000, 0))
	a, b := n.account(alice.PubKey().Address()), n.account(bob.PubKey().Address())
	if a.Balance != 70*Coin-5000 || a.Nonce != 1 {
		t.Fatalf("alice: %+v", a)
	}
	if b.Balance != 30*Coin || b.Nonce != 0 {
		t.Fatalf("bob: %+v", b)
	}
	if got := n.account(n.miner.PubKey().Address()).Balance - minerBefore; got != 5000 {
		t.Fatalf("miner earned %d, want the fee 5000", got)
	}
	n.c.Close()
	n.open()
	if n.account(alice.PubKey().Address()) != a || n.account(bob.PubKey().Address()) != b {
		t.Fatal("balances changed across a restart")
	}
}

func TestTransactionRejections(t *testing.T) {
	n := newNode(t)
	f := faucet(t, n.net)
	alice, _ := keys.GenerateKey()
	bob, _ := keys.GenerateKey()
	n.mine(NewTransfer(n.net, f, alice.PubKey().Address(), 10*Coin, 0, 0))
	to := bob.PubKey().Address()
	wrongChain := NewTransfer(n.net, alice, to, Coin, 1, 0)
	wrongChain.ChainID = consensus.TestNet().Auction.ChainID
	wrongChain.Sig = alice.Sign(wrongChain.SigHash())
	badSig := NewTransfer(n.net, alice, to, Coin, 1, 0)
	badSig.Sig = bob.Sign(badSig.SigHash())
	zero := NewTransfer(n.net, alice, to, 0, 1, 0)
	self := NewTransfer(n.net, alice, alice.PubKey().Address(), 1, 1, 0)
	garbled := NewTransfer(n.net, alice, to, 1, 1, 0)
	garbled.Payload = garbled.Payload[:5]
	garbled.Sig = alice.Sign(garbled.SigHash())
	unknown := &wire.Tx{ChainID: n.net.Auction.ChainID, Type: 99, Sender: alice.PubKey()}
	unknown.Sig = alice.Sign(unknown.SigHash())
	cases := []struct {
		name string
		tx   *wire.Tx
		want error
	}{
		{"insufficient balance", NewTransfer(n.net, alice, to, 11*Coin, 1, 0), ErrInsufficientFunds},
		{"fee above balance", NewTransfer(n.net, alice, to, 1, 11*Coin, 0), ErrInsufficientFunds},
		{"reused nonce", NewTransfer(n.net, f, to, 1, 1, 0), consensus.ErrBadNonce},
		{"future nonce", NewTransfer(n.net, alice, to, 1, 1, 7), consensus.ErrBadNonce},
		{"wrong chain ID", wrongChain, consensus.ErrTxWrongChain},
		{"bad signature", badSig, consensus.ErrTxBadSig},
		{"zero amount", zero, ErrZeroAmount},
		{"self transfer", self, ErrSelfTransfer},
		{"malformed payload", garbled, ErrBadAuctionPayload},
		{"unknown type", unknown, ErrUnknownAuctionTxType},
	}
	for _, tc := range cases {
		if err := n.apply(tc.tx); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := n.apply(NewTransfer(n.net, alice, to, Coin, 1, 0)); err != nil {
		t.Fatalf("valid transfer refused: %v", err)
	}
}

// TestCoinConserved runs random transfers (several per block, from many
// senders, some of them chained within a block) on two nodes that fork
// and reorganise repeatedly, checking after every block on both nodes that
// the balances of every address ever used add up to the genesis supply.
func TestCoinConserved(t *testing.T) {
	a, b := newNode(t), newNode(t)
	f := faucet(t, a.net)
	rng := rand.New(rand.NewPCG(7, 7))
	users := make([]*keys.PrivateKey, 8)
	addrs := []keys.Address{f.PubKey().Address(), a.miner.PubKey().Address(), b.miner.PubKey().Address()}
	for i := range users {
		users[i], _ = keys.GenerateKey()
		addrs = append(addrs, users[i].PubKey().Address())
	}
	users = append(users, f) // the faucet sends too
	check := func(n *node, when string) {
		t.Helper()
		var total, supply uint64
		err := n.c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
			var err error
			if supply, err = Supply(v); err != nil {
				return err
			}
			for _, ad := range addrs {
				acct, err := GetAccount(v, ad)
				if err != nil {
					return err
				}
				total += acct.Balance
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if total != supply {
			t.Fatalf("%s: balances sum to %d, supply is %d (off by %d)", when, total, supply, int64(total-supply))
		}
	}
	// randomBlock mines up to 12 random transfers, tracking each sender's
	// nonce and spendable balance so every one is valid.
	randomBlock := func(n *node) *wire.Block {
		type state struct{ bal, nonce uint64 }
		seen := map[keys.Address]*state{}
		var txs []*wire.Tx
		for i := rng.IntN(13); i > 0; i-- {
			from := users[rng.IntN(len(users))]
			to := addrs[rng.IntN(len(addrs))]
			fa := from.PubKey().Address()
			if to == fa {
				continue
			}
			st := seen[fa]
			if st == nil {
				acct := n.account(fa)
				st = &state{acct.Balance, acct.Nonce}
				seen[fa] = st
			}
			if st.bal < 1000 {
				continue
			}
			fee := rng.Uint64N(200)
			amt := 1 + rng.Uint64N((st.bal-fee)/3)
			txs = append(txs, NewTransfer(n.net, from, to, amt, fee, st.nonce))
			st.bal -= amt + fee
			st.nonce++
		}
		return n.mine(txs...)
	}
	var fund []*wire.Tx
	for i, u := range users[:len(users)-1] {
		fund = append(fund, NewTransfer(a.net, f, u.PubKey().Address(), 1000*Coin, 10, uint64(i)))
	}
	common := a.mine(fund...)
	if _, err := b.c.ProcessBlock(context.Background(), common); err != nil {
		t.Fatal(err)
	}
	check(a, "after funding")
	reorgs := 0
	for round := 0; round < 6; round++ {
		var branchB []*wire.Block
		lenA := 1 + rng.IntN(4)
		for i := 0; i < lenA; i++ {
			randomBlock(a)
			check(a, "node A block")
		}
		for i := 0; i < lenA+1+rng.IntN(2); i++ {
			branchB = append(branchB, randomBlock(b))
			check(b, "node B block")
		}
		for _, blk := range branchB {
			if _, err := a.c.ProcessBlock(context.Background(), blk); err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
				t.Fatal(err)
			}
			check(a, "A importing B's branch")
		}
		if a.c.Tip().Hash != b.c.Tip().Hash {
			t.Fatalf("round %d: A did not reorganise onto B's heavier branch", round)
		}
		reorgs++
		check(a, "after reorg")
		// B learns A's abandoned branch too (no reorg: it is lighter).
		for h := uint64(1); h <= a.c.Tip().Height; h++ {
			blk, _ := a.c.BlockByHeight(h)
			b.c.ProcessBlock(context.Background(), blk)
		}
	}
	// A restart keeps the conserved state.
	a.c.Close()
	a.open()
	check(a, "after restart")
	if reorgs == 0 {
		t.Fatal("no reorganisation exercised")
	}
}
