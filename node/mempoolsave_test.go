package node

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// runNode starts a regtest node on dir without network or API and
// returns it with a stop function that waits for Run to return.
func runNode(t *testing.T, dir string, saveEvery time.Duration) (*Node, func()) {
	return runNodeConfig(t, Config{DataDir: dir, MempoolSaveInterval: saveEvery})
}

// runNodeConfig is runNode with more settings (regtest, no network or API).
func runNodeConfig(t *testing.T, cfg Config) (*Node, func()) {
	t.Helper()
	cfg.Network, cfg.RPCAddr, cfg.P2PListen, cfg.Store = "regtest", "off", []string{"off"}, TestnetStoreOptions()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	select {
	case <-n.Ready():
	case <-done:
		t.Fatal("node stopped during start-up")
	case <-time.After(20 * time.Second):
		t.Fatal("node did not start")
	}
	return n, func() { cancel(); <-done }
}

// TestMempoolSurvivesRestart: transactions pending at a clean shutdown
// are back after the restart; so are those of the last periodic save
// after a crash (the file a kill -9 leaves behind), and one that became
// invalid meanwhile is dropped.
func TestMempoolSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	alice, _ := keys.GenerateKey()
	n, stop := runNode(t, dir, 20*time.Millisecond)
	first, err := n.Faucet(alice.PubKey().Address(), 5)
	if err != nil {
		t.Fatal(err)
	}
	firstTx, _ := n.AuctionPool.Get(first)
	second, err := n.Faucet(alice.PubKey().Address(), 6)
	if err != nil {
		t.Fatal(err)
	}
	secondTx, _ := n.AuctionPool.Get(second)

	// Wait for a periodic save holding both, and keep that file: it is
	// what a crash right now would leave.
	path := n.mempoolPath(consensus.AuctionChain)
	poll := time.NewTicker(10 * time.Millisecond) // a file has no event to wait on: poll it
	defer poll.Stop()
	deadline := time.After(20 * time.Second)
	var periodic []byte
	for periodic == nil {
		data, _ := os.ReadFile(path)
		if bytes.Contains(data, firstTx.Encode()) && bytes.Contains(data, secondTx.Encode()) {
			periodic = data
			break
		}
		select {
		case <-poll.C:
		case <-deadline:
			t.Fatal("no periodic save of the mempool within 20s")
		}
	}
	stop()

	// Clean shutdown: both are back.
	n, stop = runNode(t, dir, time.Hour)
	if !n.AuctionPool.Has(first) || !n.AuctionPool.Has(second) {
		t.Fatalf("after a clean restart the pool holds %d transactions, want both faucet transfers", n.AuctionPool.Count())
	}
	// Mine the first while the second leaves the pool (as if mined by a
	// peer's block this node will not see before the crash).
	n.AuctionPool.Remove(second)
	if _, err := n.Generate(context.Background(), consensus.AuctionChain, 1); err != nil {
		t.Fatal(err)
	}
	if n.AuctionPool.Count() != 0 {
		t.Fatalf("pool holds %d after mining", n.AuctionPool.Count())
	}
	stop()

	// A crash after the periodic save: only that file is left.
	if err := os.WriteFile(path, periodic, 0o600); err != nil {
		t.Fatal(err)
	}
	n, stop = runNode(t, dir, time.Hour)
	defer stop()
	if n.AuctionPool.Has(first) {
		t.Fatal("a transaction mined before the crash came back")
	}
	if !n.AuctionPool.Has(second) {
		t.Fatal("the pending transaction of the periodic save did not come back after the crash")
	}
}
