package mempool

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// randomTraffic is a stream of transfers from few senders with nonces near
// their next ones, amounts that sometimes overspend, repeated and
// replacing transactions and a few bad signatures: every path of Submit.
func randomTraffic(f *fixture, rng *rand.Rand, ks []*keys.PrivateKey, n int) []*wire.Tx {
	var out []*wire.Tx
	for range n {
		k := ks[rng.IntN(len(ks))]
		base, err := stateNonce(f.c)(k.PubKey())
		if err != nil {
			f.t.Fatal(err)
		}
		nonce := base + uint64(rng.IntN(8))
		amount := uint64(1 + rng.IntN(3))
		if rng.IntN(8) == 0 {
			amount = 300 * ledger.Coin // the funded 1000 coins allow three of these
		}
		fee := uint64(100 + rng.IntN(4)*100)
		tx := ledger.NewTransfer(f.net, k, to(ks[rng.IntN(len(ks))]), amount, fee, nonce)
		switch rng.IntN(20) {
		case 0:
			tx.Sig[10] ^= 1
		case 1:
			if len(out) > 0 {
				tx = out[rng.IntN(len(out))]
			}
		}
		out = append(out, tx)
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func pendingIDs(p *Pool) []wire.Hash {
	var ids []wire.Hash
	for _, tx := range p.Pending() {
		ids = append(ids, tx.ID())
	}
	slices.SortFunc(ids, func(a, b wire.Hash) int { return slices.Compare(a[:], b[:]) })
	return ids
}

// TestPendingStateCacheMatchesReplay submits the same random traffic,
// with blocks mined in between, to a pool using the per-sender
// pending-state cache, to one replaying every sender's run (the behaviour
// before the cache) and, in batches, to one using SubmitBatch: every
// result, every error and the pending set after each step are the same.
func TestPendingStateCacheMatchesReplay(t *testing.T) {
	f := newFixture(t, 0)
	ks := f.fund(5)
	now := func() time.Time { return f.now }
	mk := func() *Pool { return New(Config{Chain: f.c, StateNonce: stateNonce(f.c), Now: now}) }
	cached, replay, batched := mk(), mk(), mk()
	replay.replayRuns = true
	rng := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for round := range 12 {
		txs := randomTraffic(f, rng, ks, 60)
		bres, berrs := batched.SubmitBatch(txs)
		for i, tx := range txs {
			cres, cerr := cached.Submit(tx)
			rres, rerr := replay.Submit(tx)
			if errText(cerr) != errText(rerr) || fmt.Sprint(cres) != fmt.Sprint(rres) {
				t.Fatalf("round %d tx %d: cached %+v %v, replay %+v %v", round, i, cres, cerr, rres, rerr)
			}
			if errText(cerr) != errText(berrs[i]) || fmt.Sprint(cres) != fmt.Sprint(bres[i]) {
				t.Fatalf("round %d tx %d: Submit %+v %v, SubmitBatch %+v %v", round, i, cres, cerr, bres[i], berrs[i])
			}
			if cerr == nil {
				accepted++
			}
			var rerrKind consensus.RuleError
			if cerr != nil && (!errors.As(cerr, &rerrKind) && !errors.As(cerr, new(PolicyError))) {
				t.Fatalf("unexpected error type %T: %v", cerr, cerr)
			}
		}
		want := pendingIDs(replay)
		if got := pendingIDs(cached); !slices.Equal(got, want) {
			t.Fatalf("round %d: cached pool pending %d, replaying pool %d", round, len(got), len(want))
		}
		if got := pendingIDs(batched); !slices.Equal(got, want) {
			t.Fatalf("round %d: batched pool pending %d, replaying pool %d", round, len(got), len(want))
		}
		if round%3 == 2 {
			// A block of the cached pool's candidates moves every pool's tip.
			f.mineTxs(cached.Candidates(0))
		}
	}
	if accepted < 100 {
		t.Fatalf("only %d transactions accepted: the traffic does not exercise the state path", accepted)
	}
}
