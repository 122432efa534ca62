package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestGenesisAllocations opens each network's auction chain and checks
// that the genesis state holds its allocations, the faucet on test
// networks only, and a supply equal to their sum.
func TestGenesisAllocations(t *testing.T) {
	for _, net := range []*consensus.Params{consensus.MainNet(), consensus.TestNet(), consensus.RegTest()} {
		t.Run(net.Name, func(t *testing.T) {
			c, err := chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: t.TempDir(), StateMachine: NewMachine(net)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			k, hasFaucet := FaucetKey(net)
			if hasFaucet == (net.Name == "main") {
				t.Fatalf("faucet present: %v", hasFaucet)
			}
			if len(net.Allocations) == 0 && !hasFaucet {
				t.Fatal("no coin at all in genesis")
			}
			err = c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
				var want uint64
				for _, a := range net.Allocations {
					acct, err := GetAccount(v, a.Address)
					if err != nil || acct.Balance != a.Amount {
						t.Errorf("allocation %x: %+v, %v", a.Address, acct, err)
					}
					want += a.Amount
				}
				if hasFaucet {
					seed := sha256.Sum256([]byte("thingchain " + net.Name + " faucet"))
					if !bytes.Equal(k.Bytes(), seed[:]) {
						t.Error("faucet key is not SHA-256(\"thingchain <network> faucet\")")
					}
					acct, err := GetAccount(v, k.PubKey().Address())
					if err != nil || acct.Balance != FaucetAllocation {
						t.Errorf("faucet: %+v, %v", acct, err)
					}
					want += FaucetAllocation
				}
				supply, err := Supply(v)
				if err != nil || supply != want {
					t.Errorf("supply %d (%v), allocations sum to %d", supply, err, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFeePayerHook installs a payer that splits fees between the block's
// reward address and a second address, as the metadata miners' share will.
func TestFeePayerHook(t *testing.T) {
	net := consensus.RegTest()
	share := keys.Address{0x5a}
	m := NewMachine(net)
	m.SetFeePayer(func(v *chain.View, blk *wire.Block, ctx *chain.BlockContext, fees uint64) error {
		if err := Credit(v, share, fees/4); err != nil {
			return err
		}
		return PayToMiner(v, blk, ctx, fees-fees/4)
	})
	c, err := chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: t.TempDir(), StateMachine: m})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, _ := FaucetKey(net)
	mk, _ := keys.GenerateKey()
	txs := []*wire.Tx{NewTransfer(net, f, keys.Address{1}, 5, 1000, 0), NewTransfer(net, f, keys.Address{2}, 5, 600, 1)}
	if _, err := miner.Generate(context.Background(), c, 1, mk, mk.PubKey().Address(), func() []*wire.Tx { return txs }, nil); err != nil {
		t.Fatal(err)
	}
	err = c.ReadState(func(v *chain.View, _ chain.TipInfo) error {
		s, _ := GetAccount(v, share)
		r, _ := GetAccount(v, mk.PubKey().Address())
		if s.Balance != 400 || r.Balance != 1200 {
			t.Errorf("share %d, miner %d; want 400 and 1200", s.Balance, r.Balance)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
