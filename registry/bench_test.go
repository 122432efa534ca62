package registry

import (
	"context"
	"fmt"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// BenchmarkCheckInBlockImport measures check-ins per second accepted into
// blocks: node A builds a block of n check-ins (its mempool-side sanity
// checks are outside the timing); node B, with a cold signature cache,
// imports the block: envelope signatures in parallel, owner signatures,
// TD and metadata validation, state updates and commit.
func BenchmarkCheckInBlockImport(b *testing.B) {
	const n = 2000
	meter := keys.NewVerifyMeter(1000)
	var imported int
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		w := newWorld(b)
		peer := newNode(b, w.net, w.clock)
		devs := make([]*keys.PrivateKey, n)
		var attests []*wire.Tx
		base := w.nonce(w.oem)
		for i := range devs {
			devs[i] = mustKey(b)
			attests = append(attests, NewAttestTx(w.chainID(), w.oem, base+uint64(i), devs[i].PubKey(), w.model.ModelID))
		}
		w.mine(attests...)
		req := fridgeRequest(b)
		checkIns := make([]*wire.Tx, n)
		for i, d := range devs {
			r := req
			r.Metadata = []byte(fmt.Sprintf(`{"energy_class":"A","capacity_l":%d}`, 100+i))
			r.ThingDescription = withDeviceID(b, r.ThingDescription, d.PubKey())
			checkIns[i] = NewSignedCheckInTx(w.chainID(), d, 0, mustKey(b), r)
			if err := w.c.CheckTxSanity(checkIns[i]); err != nil {
				b.Fatal(err)
			}
		}
		blk := w.mine(checkIns...)
		for h := uint64(1); h < blk.Header.Height; h++ {
			prev, _ := w.c.BlockByHeight(h)
			if _, err := peer.c.ProcessBlock(context.Background(), prev); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		var err error
		// Labelled so that a CPU profile of the benchmark can be narrowed
		// to the import: go tool pprof -tagfocus=phase=import.
		pprof.Do(context.Background(), pprof.Labels("phase", "import"), func(ctx context.Context) {
			_, err = peer.c.ProcessBlock(ctx, blk)
		})
		if err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		imported += n
		b.StopTimer()
		meter.Sample()
		b.StartTimer()
	}
	rate := float64(imported) / spent.Seconds()
	b.ReportMetric(rate, "checkins/s")
	// Two signatures per check-in (envelope, owner): x_verify is the
	// signature rate over the all-core verify rate sampled between
	// iterations (target ≥ 0.7).
	b.ReportMetric(2*rate/meter.Rate(), "x_verify")
}
