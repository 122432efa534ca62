package registry

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// TestParallelCheckInsConnect mines a block of check-ins, some devices
// checking in twice (a conflict the engine must re-apply in order), that
// the engine applies in parallel when it connects it while the template
// computed its state root in order: the block connects on the miner and on
// a peer (state roots checked) and the peer ends on the same tip.
func TestParallelCheckInsConnect(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const n = 90
	w := newWorld(t)
	peer := newNode(t, w.net, w.clock)
	devs := make([]*keys.PrivateKey, n)
	owners := make([]*keys.PrivateKey, n)
	var attests []*wire.Tx
	base := w.nonce(w.oem)
	for i := range devs {
		devs[i], owners[i] = mustKey(t), mustKey(t)
		attests = append(attests, NewAttestTx(w.chainID(), w.oem, base+uint64(i), devs[i].PubKey(), w.model.ModelID))
	}
	w.mine(attests...)
	req := fridgeRequest(t)
	var checkIns []*wire.Tx
	for round := uint64(0); round < 2; round++ {
		for i, d := range devs {
			if round == 1 && i%9 != 0 {
				continue
			}
			r := req
			r.Metadata = []byte(fmt.Sprintf(`{"energy_class":"A","capacity_l":%d}`, 100+i+int(round)))
			r.ThingDescription = withDeviceID(t, r.ThingDescription, d.PubKey())
			checkIns = append(checkIns, NewSignedCheckInTx(w.chainID(), d, round, owners[i], r))
		}
	}
	blk := w.mine(checkIns...)
	if len(blk.Txs) != n+n/9 {
		t.Fatalf("block holds %d check-ins, want %d", len(blk.Txs), n+n/9)
	}
	peer.syncFrom(w.node, blk.Header.Height)
}
