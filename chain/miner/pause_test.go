package miner

import (
	"context"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// TestGenerateWhileMining: Generate with the key of a background miner
// that mines flat out on the same chain (identical templates whenever
// both build in the same millisecond) succeeds every time while the miner
// is paused, each generated block extending the tip, and the miner mines
// again after each resume.
func TestGenerateWhileMining(t *testing.T) {
	net := consensus.RegTest()
	c, err := chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: t.TempDir(), StateMachine: ledger.NewMachine(net)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key, _ := keys.GenerateKey()
	reward := key.PubKey().Address()
	m := New(Config{Key: key, Reward: reward, Threads: 1, Targets: []Target{{Chain: c}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitMined := func(atLeast uint64) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		tick := time.NewTicker(time.Millisecond) // Mined is a counter: poll it
		defer tick.Stop()
		for m.Mined() < atLeast {
			select {
			case <-tick.C:
			case <-deadline:
				t.Fatalf("background miner mined %d blocks, want ≥ %d", m.Mined(), atLeast)
			}
		}
	}
	waitMined(1)
	for round := 0; round < 15; round++ {
		resume := m.Pause()
		before := c.Tip().Height
		hashes, err := Generate(context.Background(), c, 3, key, reward, nil, nil)
		if err != nil {
			resume()
			t.Fatalf("round %d: Generate while the miner is paused: %v", round, err)
		}
		for i, h := range hashes {
			got, err := c.HashAtHeight(before + uint64(i) + 1)
			if err != nil || got != h {
				resume()
				t.Fatalf("round %d: generated block %d is not on the main chain at height %d", round, i, before+uint64(i)+1)
			}
		}
		mined := m.Mined()
		resume()
		waitMined(mined + 1)
	}
}
