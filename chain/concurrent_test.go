package chain

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// eventReplay checks a subscriber's view of the main chain: every event
// must revert exactly the current tip first and apply blocks each
// extending the previous, with Seq numbers consecutive. It returns the
// main chain the events describe.
type eventReplay struct {
	mu      sync.Mutex
	main    []wire.Hash
	seq     uint64
	err     error
	count   int
	applied map[wire.Hash]bool // every block any event applied
}

// sawApplied reports whether an event has applied the block.
func (r *eventReplay) sawApplied(h wire.Hash) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied[h]
}

func followEvents(c *Chain) *eventReplay {
	r := &eventReplay{main: []wire.Hash{c.GenesisHash()}, applied: map[wire.Hash]bool{}}
	// Blocks before the subscription (none in these tests) would be
	// missing; the tests subscribe on a fresh chain.
	r.seq = c.lastSeqForTest()
	c.Subscribe(r.apply)
	return r
}

func (c *Chain) lastSeqForTest() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.nextSeq - 1
}

func (r *eventReplay) apply(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	r.count++
	if ev.Seq != r.seq+1 {
		r.err = fmt.Errorf("event Seq %d after %d", ev.Seq, r.seq)
		return
	}
	r.seq = ev.Seq
	for _, b := range ev.Reverted {
		if tip := r.main[len(r.main)-1]; b.Hash() != tip {
			r.err = fmt.Errorf("event %d reverts %s at height %d, but the tip the events built is %s", ev.Seq, b.Hash(), b.Header.Height, tip)
			return
		}
		r.main = r.main[:len(r.main)-1]
	}
	for _, b := range ev.Applied {
		tip := r.main[len(r.main)-1]
		if b.Header.PrevHash != tip || b.Header.Height != uint64(len(r.main)) {
			r.err = fmt.Errorf("event %d applies block at height %d on %s, but the events built height %d, tip %s (out of order)",
				ev.Seq, b.Header.Height, b.Header.PrevHash, len(r.main)-1, tip)
			return
		}
		r.main = append(r.main, b.Hash())
		r.applied[b.Hash()] = true
	}
	if ev.Tip.Hash != r.main[len(r.main)-1] {
		r.err = fmt.Errorf("event %d says the tip is %s, its blocks end at %s", ev.Seq, ev.Tip.Hash, r.main[len(r.main)-1])
	}
}

// competingBranches mines a common stem and two branches off it on two
// harnesses, returning them and a fresh harness on the same network whose
// clock admits every block.
func competingBranches(t *testing.T, stem, lenA, lenB int) (common, branchA, branchB []*wire.Block, target *harness) {
	t.Helper()
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	user, _ := newKey(t)
	for i := 0; i < stem; i++ {
		common = append(common, a.mine(signTx(a.c, user, txSet, uint64(i), 0, fmt.Sprintf("stem%d=1", i))))
	}
	feed(t, b.c, common...)
	syncClocks(a, b)
	for i := 0; i < lenA; i++ {
		branchA = append(branchA, a.mine(signTx(a.c, user, txSet, uint64(stem+i), 0, fmt.Sprintf("a%d=1", i))))
	}
	b.clock = b.clock.Add(7e8) // different timestamps: different blocks
	for i := 0; i < lenB; i++ {
		branchB = append(branchB, b.mine(signTx(b.c, user, txSet, uint64(stem+i), 0, fmt.Sprintf("b%d=1", i))))
	}
	target = newHarness(t, net)
	syncClocks(a, b, target)
	return common, branchA, branchB, target
}

// TestConcurrentProcessBlockAcceptsOnce processes the same and competing
// blocks from many goroutines at once: each block must be reported
// Accepted exactly once (the others get ErrDuplicateBlock), the chain must
// end where a serial replay ends, and subscribers must see events in
// height order (each applied block extends the tip the previous events
// built), and each event reached them before the ProcessBlock that made
// it returned. Run with -race: the duplicate check used to read a block
// node's status outside the lock while acceptBlock wrote it, and two
// goroutines could both store and report the same block.
func TestConcurrentProcessBlockAcceptsOnce(t *testing.T) {
	common, branchA, branchB, target := competingBranches(t, 3, 25, 28)
	replay := followEvents(target.c)
	all := append(append(append([]*wire.Block{}, common...), branchA...), branchB...)
	// Each goroutine feeds one branch in height order (so nothing is an
	// orphan), or both branches interleaved.
	var feeds [][]*wire.Block
	for g := 0; g < 12; g++ {
		var seq []*wire.Block
		switch g % 3 {
		case 0:
			seq = append(append(seq, common...), branchA...)
		case 1:
			seq = append(append(seq, common...), branchB...)
		default:
			seq = append(seq, common...)
			for i := 0; i < max(len(branchA), len(branchB)); i++ {
				if i < len(branchA) {
					seq = append(seq, branchA[i])
				}
				if i < len(branchB) {
					seq = append(seq, branchB[i])
				}
			}
		}
		feeds = append(feeds, seq)
	}
	accepted := make(map[wire.Hash]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errc := make(chan error, len(feeds))
	start := make(chan struct{})
	for _, seq := range feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for _, b := range seq {
				res, err := target.c.ProcessBlock(context.Background(), b)
				if err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
					errc <- fmt.Errorf("block %d: %w", b.Header.Height, err)
					return
				}
				if res.Orphan {
					errc <- fmt.Errorf("block %d: orphan although its parent was processed first", b.Header.Height)
					return
				}
				if res.MainTip && !replay.sawApplied(b.Hash()) {
					// Delivery is synchronous: the event that made b the
					// tip reached subscribers before ProcessBlock returned.
					errc <- fmt.Errorf("block %d: ProcessBlock returned MainTip before subscribers saw it applied", b.Header.Height)
					return
				}
				if res.Accepted {
					mu.Lock()
					accepted[b.Hash()]++
					mu.Unlock()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for _, b := range all {
		if n := accepted[b.Hash()]; n != 1 {
			t.Errorf("block %d (%s) reported Accepted %d times, want once", b.Header.Height, b.Hash(), n)
		}
	}
	serial := newHarness(t, consensus.RegTest())
	serial.clock = target.clock
	feed(t, serial.c, all...)
	sameChain(t, "concurrent vs serial", target.c, serial.c)
	replay.mu.Lock()
	defer replay.mu.Unlock()
	if replay.err != nil {
		t.Fatal(replay.err)
	}
	mustEqual(t, "tip the events built", replay.main[len(replay.main)-1], target.c.Tip().Hash)
}

// TestConcurrentOrphansAcceptOnce feeds the same blocks in random orders
// from many goroutines, so blocks arrive before their parents, are held as
// orphans and are connected when the parent lands, possibly while another
// goroutine offers them again. The chain must end at the serial tip with
// every block stored once and events in order.
func TestConcurrentOrphansAcceptOnce(t *testing.T) {
	common, branchA, branchB, target := competingBranches(t, 2, 15, 17)
	replay := followEvents(target.c)
	all := append(append(append([]*wire.Block{}, common...), branchA...), branchB...)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := 0; g < 8; g++ {
		seq := append([]*wire.Block{}, all...)
		rng := rand.New(rand.NewPCG(uint64(g), 9))
		rng.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range seq {
				if _, err := target.c.ProcessBlock(context.Background(), b); err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
					errc <- fmt.Errorf("block %d: %w", b.Header.Height, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for _, b := range all {
		if s := blockStatus(target.c, b.Hash()); s&statusHaveData == 0 {
			t.Fatalf("block %d not stored (status %b)", b.Header.Height, s)
		}
	}
	serial := newHarness(t, consensus.RegTest())
	serial.clock = target.clock
	feed(t, serial.c, all...)
	sameChain(t, "concurrent vs serial", target.c, serial.c)
	replay.mu.Lock()
	defer replay.mu.Unlock()
	if replay.err != nil {
		t.Fatal(replay.err)
	}
	mustEqual(t, "tip the events built", replay.main[len(replay.main)-1], target.c.Tip().Hash)
}
