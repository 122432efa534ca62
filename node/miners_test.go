package node

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

// TestGovernedMinerAdmission: on a permissioned network the chains accept
// blocks from a genesis miner, then from a miner governance admitted —
// processed directly, with the metadata chain's lock held during the
// check, which must not read the chain — and refuse them again once
// governance revokes it; an unknown key is refused throughout.
func TestGovernedMinerAdmission(t *testing.T) {
	net := consensus.RegTest()
	genesisMiner, _ := keys.GenerateKey()
	newcomer, _ := keys.GenerateKey()
	stranger, _ := keys.GenerateKey()
	net.Permissioned = true
	net.GenesisMiners = [][33]byte{genesisMiner.PubKey()}
	cs, err := OpenChains(t.TempDir(), net, nil, TestnetStoreOptions(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	auth, _ := registry.DevAuthorityKeys(net)
	chainID := net.Metadata.ChainID
	gov, _ := keys.GenerateKey()
	var govNonce, proposal uint64
	governance := func(a registry.Action) {
		t.Helper()
		tx := registry.NewApprovedGovernanceTx(chainID, gov, govNonce, registry.Proposal{Action: a, Subject: newcomer.PubKey(), Name: "pool", ProposalNonce: proposal}, auth, []uint8{0, 1})
		govNonce++
		proposal++
		if _, err := miner.Generate(ctx, cs.Metadata, 1, genesisMiner, genesisMiner.PubKey().Address(), func() []*wire.Tx { return []*wire.Tx{tx} }, nil); err != nil {
			t.Fatal(err)
		}
	}
	mine := func(k *keys.PrivateKey) error {
		_, err := miner.Generate(ctx, cs.Metadata, 1, k, k.PubKey().Address(), nil, nil)
		return err
	}
	wantRefused := func(k *keys.PrivateKey, who string) {
		t.Helper()
		if err := mine(k); !errors.Is(err, consensus.ErrMinerNotAdmitted) {
			t.Fatalf("%s mined: got %v, want %s", who, err, consensus.ErrMinerNotAdmitted)
		}
	}
	if err := mine(genesisMiner); err != nil {
		t.Fatalf("genesis miner: %v", err)
	}
	wantRefused(newcomer, "a miner before its admission")
	governance(registry.AdmitMiner)
	if err := mine(newcomer); err != nil {
		t.Fatalf("admitted miner: %v", err)
	}
	if err := cs.MinerAllowed(newcomer.PubKey()); err != nil {
		t.Fatalf("the auction chain's rule refuses the admitted miner: %v", err)
	}
	wantRefused(stranger, "an unknown key")
	governance(registry.RevokeMiner)
	wantRefused(newcomer, "a revoked miner")
}
