package node

import (
	"sync"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/ledger"
)

// TestConcurrentFaucetRequests: requests arriving at once (a device
// simulator and a load generator funding their accounts) each get their
// own faucet transaction; none collides on the faucet key's nonce.
func TestConcurrentFaucetRequests(t *testing.T) {
	n := startNode(t)
	const requests = 40 // below the mempool's run of pending nonces per sender
	var wg sync.WaitGroup
	ids := make([]wire.Hash, requests)
	errs := make([]error, requests)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _ := keys.GenerateKey()
			ids[i], errs[i] = n.Faucet(k.PubKey().Address(), ledger.Coin)
		}()
	}
	wg.Wait()
	seen := map[wire.Hash]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if seen[ids[i]] {
			t.Fatalf("request %d: transaction %s returned twice", i, ids[i])
		}
		seen[ids[i]] = true
	}
	if got := n.AuctionPool.Stats().Count; got != requests {
		t.Fatalf("mempool holds %d faucet transactions, want %d", got, requests)
	}
}
