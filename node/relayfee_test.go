package node

import (
	"errors"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/mempool"
)

// TestMinRelayFeePerNetwork: a node's auction pool refuses (and so never
// relays) a transaction below its network's relay fee floor — free ones
// on main and test — takes one that pays the floor past the fee check,
// and regtest admits free transactions. The metadata pool has no floor.
func TestMinRelayFeePerNetwork(t *testing.T) {
	if consensus.MainNet().MinRelayFeeRate == 0 {
		t.Fatal("main must have a positive relay fee floor")
	}
	key, _ := keys.GenerateKey()
	for _, tc := range []struct {
		network string
		freeOK  bool
		feeRate uint64
	}{
		{"main", false, consensus.MainNet().MinRelayFeeRate},
		{"test", false, consensus.TestNet().MinRelayFeeRate},
		{"regtest", true, 0},
	} {
		t.Run(tc.network, func(t *testing.T) {
			n, err := New(Config{Network: tc.network, DataDir: t.TempDir(), Store: TestnetStoreOptions()})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			free := ledger.NewTransfer(n.Net, key, keys.Address{1}, 5, 0, 0)
			err = n.AuctionPool.Add(free)
			if got := errors.Is(err, mempool.ErrFeeTooLow); got == tc.freeOK {
				t.Fatalf("free transfer on %s: got %v, want ErrFeeTooLow=%v", tc.network, err, !tc.freeOK)
			}
			if err := n.AuctionPool.CheckRelayFee(free); (err == nil) != tc.freeOK {
				t.Fatalf("CheckRelayFee of a free transfer on %s: %v", tc.network, err)
			}
			size := uint64(free.EncodedSize())
			paying := ledger.NewTransfer(n.Net, key, keys.Address{1}, 5, tc.feeRate*size, 0)
			if err := n.AuctionPool.CheckRelayFee(paying); err != nil {
				t.Fatalf("a transfer paying the floor exactly: %v", err)
			}
			if tc.feeRate > 0 {
				under := ledger.NewTransfer(n.Net, key, keys.Address{1}, 5, tc.feeRate*size-1, 0)
				if err := n.AuctionPool.Add(under); !errors.Is(err, mempool.ErrFeeTooLow) {
					t.Fatalf("one unit under the floor: got %v, want ErrFeeTooLow", err)
				}
			}
		})
	}
}
