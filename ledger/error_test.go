package ledger

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestOverflowIsRefused drives each overflow check: a credit past 2^64-1,
// a block whose fees sum past it, genesis allocations past it and the
// last nonce.
func TestOverflowIsRefused(t *testing.T) {
	n := newNode(t)
	rich := keys.Address{7}
	err := n.c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
		PutAccount(v, rich, Account{Balance: math.MaxUint64 - 1})
		if err := Credit(v, rich, 2); !errors.Is(err, ErrOverflow) {
			t.Errorf("credit past 2^64-1: %v", err)
		}
		if acct, _ := GetAccount(v, rich); acct.Balance != math.MaxUint64-1 {
			t.Errorf("failed credit changed the balance to %d", acct.Balance)
		}
		if err := Credit(v, rich, 1); err != nil {
			t.Errorf("credit to exactly 2^64-1: %v", err)
		}
		if err := Debit(v, rich, math.MaxUint64, n.net.AddressHRP); err != nil {
			t.Errorf("debit of everything: %v", err)
		}
		if err := Debit(v, rich, 1, n.net.AddressHRP); !errors.Is(err, ErrInsufficientFunds) {
			t.Errorf("debit from empty: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	blk := &wire.Block{Txs: []*wire.Tx{{Fee: math.MaxUint64}, {Fee: 1}}}
	if _, err := BlockFees(blk); !errors.Is(err, ErrOverflow) {
		t.Errorf("block fees past 2^64-1: %v", err)
	}
	net := consensus.RegTest()
	net.Allocations = []consensus.Allocation{{Address: [20]byte{1}, Amount: math.MaxUint64}}
	if _, err := chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: t.TempDir(), StateMachine: NewMachine(net)}); !errors.Is(err, ErrOverflow) {
		t.Errorf("genesis allocations past 2^64-1 (with the faucet): %v", err)
	}
}

func TestNonceErrorsSayWhichWay(t *testing.T) {
	for _, tc := range []struct {
		got, want uint64
		says      string
	}{{3, 5, "already used; the next nonce is 5"}, {9, 5, "in the future; the next nonce is 5"}} {
		err := CheckNonce(tc.got, tc.want)
		if !errors.Is(err, consensus.ErrBadNonce) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("CheckNonce(%d, %d) = %v", tc.got, tc.want, err)
		}
	}
	if err := CheckNonce(5, 5); err != nil {
		t.Errorf("right nonce: %v", err)
	}
}
