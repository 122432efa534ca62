package p2p

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// TestPermissionedMinerRejected: a node whose chains admit only one miner
// key refuses a block mined by another key that a peer relays, penalises
// that peer, and still accepts blocks from the admitted miner.
func TestPermissionedMinerRejected(t *testing.T) {
	admitted := newTestNode(t)
	outsider := newTestNode(t)
	net := consensus.RegTest()
	dir := t.TempDir()
	allowed := func(k keys.PubKey) error {
		if k != admitted.key.PubKey() {
			return errors.New("not admitted")
		}
		return nil
	}
	var handles []ChainHandle
	chains := map[consensus.ChainKind]*chain.Chain{}
	for _, k := range kinds {
		c, err := chain.Open(chain.Config{Net: net, Kind: k, Dir: filepath.Join(dir, k.String()), StateMachine: testMachine{}, Store: testStore(), MinerAllowed: allowed})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		chains[k] = c
		// The relay rule is the chain's admission rule (ChainHandle.MinerAllowed).
		handles = append(handles, ChainHandle{Chain: c, TxPool: newMemPool(), MinerAllowed: allowed})
	}
	guard, err := New(context.Background(), Config{NetworkName: "regtest", BanDuration: time.Hour, SyncInterval: time.Second, Chains: handles})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { guard.Close() })
	if err := guard.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := outsider.p2p.Connect(ctx, guard.AddrInfo()); err != nil {
		t.Fatal(err)
	}
	if err := admitted.p2p.Connect(ctx, guard.AddrInfo()); err != nil {
		t.Fatal(err)
	}
	k := consensus.AuctionChain
	waitGossipReady(t, outsider.p2p, guard.ID(), k)
	good := admitted.mine(k, 1, nil)
	waitTip(t, chains[k], good[0], 30*time.Second)
	// Two blocks outweigh the guard's branch, so the guard meets them by
	// gossip or, failing that, by its next sync round: either path must
	// refuse them and penalise the outsider.
	bad := outsider.mine(k, 2, nil)
	deadline := time.Now().Add(30 * time.Second)
	for guard.Score(outsider.p2p.ID()) < PenaltyInvalidBlock && !guard.Banned(outsider.p2p.ID()) {
		if time.Now().After(deadline) {
			gcn, _ := guard.chainNet(k)
			ocn, _ := outsider.p2p.chainNet(k)
			t.Logf("guard has bad=%v tip=%d; guard topic peers %v; outsider topic peers %v; conns %d", chains[k].HaveBlock(bad[0]), chains[k].Tip().Height, gcn.blocks.ListPeers(), ocn.blocks.ListPeers(), len(guard.Host().Network().ConnsToPeer(outsider.p2p.ID())))
			t.Fatalf("relaying a non-admitted miner's block was not penalised (score %.0f)", guard.Score(outsider.p2p.ID()))
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
	for _, h := range bad {
		if chains[k].HaveBlock(h) && chains[k].IsMainChain(h) {
			t.Fatal("a block from a non-admitted miner joined the main chain")
		}
	}
	if chains[k].Tip().Hash != good[0] {
		t.Fatal("the guard left the admitted miner's block")
	}
}
