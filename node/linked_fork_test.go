package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// waitChains waits, on both chains' events of every given Chains, until
// cond holds, failing with describe() after timeout. The settle loop
// works asynchronously, so this is how tests observe it.
func waitChains(t testing.TB, timeout time.Duration, cond func() bool, describe func() string, cs ...*chain.Chain) {
	t.Helper()
	changed := make(chan struct{}, 1)
	for _, c := range cs {
		c.Subscribe(func(chain.Event) {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	// The settle loop may also change nothing visible (a pending flag),
	// so re-check at a modest pace as well as on every event.
	recheck := time.NewTicker(50 * time.Millisecond)
	defer recheck.Stop()
	for !cond() {
		select {
		case <-changed:
		case <-recheck.C:
		case <-deadline.C:
			t.Fatalf("timed out after %s: %s", timeout, describe())
		}
	}
}

// feedMain feeds dst the blocks of src's main chain from height from on.
func feedMain(t testing.TB, src, dst *chain.Chain, from uint64) []*wire.Block {
	t.Helper()
	var out []*wire.Block
	for h := from; h <= src.TipHeight(); h++ {
		blk, err := src.BlockByHeight(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dst.ProcessBlock(context.Background(), blk); err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
			t.Fatalf("%s block %d: %v", src.Params().Kind, h, err)
		}
		out = append(out, blk)
	}
	return out
}

// TestSideBranchAnchorPendingThenConnects: node B's metadata main chain is
// heavier than A's, but A's auction chain is heavier and anchors a block
// of A's metadata branch, which B knows only as a side branch. B stores
// A's auction block as pending (no error, not invalid), follows the
// heavier auction branch's anchor with its metadata chain, and connects
// it; over real libp2p sync neither node penalises the other. Either
// chain's blocks may reach B first: a metadata side branch arriving after
// the auction block moves no tip (no event), which the link's backstop
// covers.
func TestSideBranchAnchorPendingThenConnects(t *testing.T) {
	for _, auctionFirst := range []bool{false, true} {
		name := "metadata branch first"
		if auctionFirst {
			name = "auction block first"
		}
		t.Run(name, func(t *testing.T) { sideBranchAnchor(t, auctionFirst) })
	}
}

func sideBranchAnchor(t *testing.T, auctionFirst bool) {
	a, b := startNode(t), startNode(t)
	ctx := t.Context()
	if _, err := a.Generate(ctx, consensus.MetadataChain, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Generate(ctx, consensus.AuctionChain, 1); err != nil {
		t.Fatal(err)
	}
	feedMain(t, a.Metadata, b.Metadata, 1)
	feedMain(t, a.Auction, b.Auction, 1)
	fork := a.Metadata.TipHeight()

	// The metadata chains fork: A's branch of 3, B's heavier branch of 4;
	// A's auction chain grows on A's metadata branch.
	if _, err := a.Generate(ctx, consensus.MetadataChain, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Generate(ctx, consensus.MetadataChain, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Generate(ctx, consensus.AuctionChain, 2); err != nil {
		t.Fatal(err)
	}
	anchored, err := lastAnchor(a.Auction)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := a.Metadata.HashAtHeight(anchored.Height); anchored.Height <= fork || h != anchored.Hash {
		t.Fatalf("setup: A's auction tip anchors %v, want a block of A's metadata branch", anchored)
	}
	first, err := a.Auction.BlockByHeight(a.Auction.TipHeight() - 1)
	if err != nil {
		t.Fatal(err)
	}
	if first.Header.Anchor != anchored {
		t.Fatalf("setup: the first auction block after the fork anchors %v, want %v", first.Header.Anchor, anchored)
	}
	learnBranch := func() {
		aMeta := feedMain(t, a.Metadata, b.Metadata, fork+1)
		if !auctionFirst && b.Metadata.IsMainChain(aMeta[0].Hash()) {
			t.Fatal("setup: A's metadata branch should be a side branch on B")
		}
	}
	if !auctionFirst {
		learnBranch()
	}
	res, err := b.Auction.ProcessBlock(ctx, first)
	if err != nil {
		t.Fatalf("an auction block anchoring a metadata block B lacks or has on a side branch: %v (must not be a rule error)", err)
	}
	if !res.Pending || res.MainTip {
		t.Fatalf("result %+v: want pending", res)
	}
	if info, _ := b.Auction.BlockInfo(first.Hash()); info.Invalid {
		t.Fatal("the pending auction block was marked invalid")
	}
	if auctionFirst {
		learnBranch()
	}
	// B's auction chain now holds a heavier branch waiting for A's metadata
	// branch: its metadata chain follows that anchor, though lighter, and
	// the auction block connects.
	waitChains(t, 10*time.Second, func() bool { return b.Auction.Tip().Hash == first.Hash() }, func() string {
		return fmt.Sprintf("B's auction tip %d, metadata tip %d (anchor on main: %v)", b.Auction.TipHeight(), b.Metadata.TipHeight(), b.Metadata.IsMainChain(anchored.Hash))
	}, b.Auction, b.Metadata)
	if !b.Metadata.IsMainChain(anchored.Hash) {
		t.Fatal("B's metadata chain does not hold the anchored block")
	}

	// Now connect the nodes; sync delivers the rest both ways.
	if err := b.P2P.Connect(ctx, a.P2P.AddrInfo()); err != nil {
		t.Fatal(err)
	}
	converged := func() bool {
		return a.Auction.Tip().Hash == b.Auction.Tip().Hash && a.Metadata.Tip().Hash == b.Metadata.Tip().Hash
	}
	waitChains(t, 20*time.Second, converged, func() string {
		return fmt.Sprintf("A at metadata %d/auction %d, B at metadata %d/auction %d",
			a.Metadata.TipHeight(), a.Auction.TipHeight(), b.Metadata.TipHeight(), b.Auction.TipHeight())
	}, a.Auction, b.Auction, a.Metadata, b.Metadata)
	if got := b.Auction.Tip().Hash; got != a.Auction.Tip().Hash {
		t.Fatalf("B's auction tip %s, want A's heavier branch", got)
	}
	if !b.Metadata.IsMainChain(anchored.Hash) {
		t.Fatal("B's metadata chain does not hold the anchored block")
	}
	for _, pair := range [][2]*Node{{a, b}, {b, a}} {
		if s := pair[0].P2P.Score(pair[1].P2P.ID()); s != 0 || pair[0].P2P.Banned(pair[1].P2P.ID()) {
			t.Fatalf("a node penalised its honest peer: score %.0f", s)
		}
	}
}

// forkNode is one node of the randomised test: a data directory's two
// linked chains and a miner key, without a network.
type forkNode struct {
	cs  *Chains
	key *keys.PrivateKey
}

func (n *forkNode) mine(t testing.TB, kind consensus.ChainKind) *wire.Block {
	t.Helper()
	c := n.cs.Metadata
	req := chain.TemplateRequest{Reward: n.key.PubKey().Address(), MinerKey: n.key.PubKey()}
	if kind == consensus.AuctionChain {
		c = n.cs.Auction
		last, err := lastAnchor(c)
		if err != nil {
			t.Fatal(err)
		}
		if req.Anchor, err = auction.ChooseAnchor(c.Net(), n.cs.link, last); err != nil {
			t.Fatal(err)
		}
	}
	tmpl, err := c.NewTemplate(req)
	if errors.Is(err, chain.ErrPending) {
		return nil // the metadata chain moved under the chosen anchor; try later
	}
	if err != nil {
		t.Fatalf("%s template: %v", kind, err)
	}
	blk := tmpl.Block
	miner.Sign(&blk.Header, n.key)
	if !miner.Solve(context.Background(), &blk.Header, 1, nil) {
		t.Fatal("could not solve")
	}
	if _, err := c.ProcessBlock(context.Background(), blk); err != nil {
		t.Fatalf("own %s block: %v", kind, err)
	}
	return blk
}

type forkBlock struct {
	kind consensus.ChainKind
	blk  *wire.Block
}

// TestRandomForkSchedulesConverge: three nodes mine short forks on both
// chains under random partitions and deliver each other's blocks late and
// in random order, the two chains interleaved; every block an honest node
// mined is accepted everywhere (never a rule error), and once everything
// is delivered every node ends on the same two tips.
// THINGCHAIN_LONG=1 runs more schedules.
func TestRandomForkSchedulesConverge(t *testing.T) {
	schedules := 3
	if os.Getenv("THINGCHAIN_LONG") != "" {
		schedules = 30
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("THINGCHAIN_SEED"), 10, 64); err == nil {
		seed = s
	}
	var logs countingHandler
	for i := 0; i < schedules; i++ {
		s := seed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) { runForkSchedule(t, s, slog.New(&logs)) })
	}
	// The schedules must have exercised what they test.
	pending, reorgs, followed := logs.count("block pending"), logs.count("reorganized"), logs.count("metadata chain follows a heavier auction branch's anchor")
	t.Logf("%d schedules: %d pending blocks, %d reorganisations, %d metadata switches to a pending auction branch's anchor", schedules, pending, reorgs, followed)
	if pending == 0 || reorgs == 0 {
		t.Fatalf("the schedules produced %d pending blocks and %d reorganisations; the test exercised nothing", pending, reorgs)
	}
}

// countingHandler counts log records by message (all levels).
type countingHandler struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[string]int{}
	}
	h.n[r.Message]++
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }
func (h *countingHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[msg]
}

func runForkSchedule(t *testing.T, seed uint64, log *slog.Logger) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	net := consensus.RegTest()
	nodes := make([]*forkNode, 3)
	for i := range nodes {
		cs, err := OpenChains(t.TempDir(), net, nil, TestnetStoreOptions(), log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cs.Close)
		key, _ := keys.GenerateKey()
		nodes[i] = &forkNode{cs: cs, key: key}
	}
	var mined []forkBlock
	delivered := make([]map[wire.Hash]bool, len(nodes))
	for i := range delivered {
		delivered[i] = map[wire.Hash]bool{}
	}
	deliver := func(to int, fb forkBlock) {
		if delivered[to][fb.blk.Hash()] {
			return
		}
		delivered[to][fb.blk.Hash()] = true
		c := nodes[to].cs.Metadata
		if fb.kind == consensus.AuctionChain {
			c = nodes[to].cs.Auction
		}
		if _, err := c.ProcessBlock(context.Background(), fb.blk); err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
			t.Fatalf("node %d rejected an honest %s block at height %d: %v", to, fb.kind, fb.blk.Header.Height, err)
		}
	}
	isolated := -1
	for round := 0; round < 60; round++ {
		if rng.IntN(10) == 0 { // a partition starts or heals
			isolated = rng.IntN(len(nodes)+1) - 1
		}
		m := rng.IntN(len(nodes))
		kind := consensus.MetadataChain
		if rng.IntN(2) == 0 {
			kind = consensus.AuctionChain
		}
		if blk := nodes[m].mine(t, kind); blk != nil {
			mined = append(mined, forkBlock{kind, blk})
			delivered[m][blk.Hash()] = true
		}
		// Deliver a few random late blocks, across the partition only
		// when it is healed.
		for j := rng.IntN(4); j > 0 && len(mined) > 0; j-- {
			fb := mined[rng.IntN(len(mined))]
			to := rng.IntN(len(nodes))
			if isolated >= 0 && (to == isolated) != (delivered[isolated][fb.blk.Hash()]) {
				continue
			}
			deliver(to, fb)
		}
	}
	// Heal: everything to everyone, in random order.
	for to := range nodes {
		for _, k := range rng.Perm(len(mined)) {
			deliver(to, mined[k])
		}
	}
	// Node 0 settles, then breaks any tie of equal-work tips.
	n0 := nodes[0]
	waitChains(t, 20*time.Second, func() bool {
		_, pending := n0.cs.Auction.HeaviestPending()
		return !pending
	}, func() string { return "node 0 still has a heavier pending auction branch" }, n0.cs.Auction, n0.cs.Metadata)
	var tiebreak []forkBlock
	for _, kind := range []consensus.ChainKind{consensus.MetadataChain, consensus.MetadataChain, consensus.AuctionChain} {
		blk := n0.mine(t, kind)
		if blk == nil {
			t.Fatalf("node 0 could not mine its %s tie-break block", kind)
		}
		tiebreak = append(tiebreak, forkBlock{kind, blk})
	}
	for to := 1; to < len(nodes); to++ {
		for _, k := range rng.Perm(len(tiebreak)) {
			deliver(to, tiebreak[k])
		}
	}
	var all []*chain.Chain
	for _, n := range nodes {
		all = append(all, n.cs.Metadata, n.cs.Auction)
	}
	same := func() bool {
		for _, n := range nodes[1:] {
			if n.cs.Metadata.Tip().Hash != n0.cs.Metadata.Tip().Hash || n.cs.Auction.Tip().Hash != n0.cs.Auction.Tip().Hash {
				return false
			}
		}
		return true
	}
	waitChains(t, 20*time.Second, same, func() string {
		s := fmt.Sprintf("seed %d, %d blocks mined; tips (metadata/auction):", seed, len(mined))
		for i, n := range nodes {
			s += fmt.Sprintf(" node%d %d %.8s/%d %.8s", i, n.cs.Metadata.TipHeight(), n.cs.Metadata.Tip().Hash, n.cs.Auction.TipHeight(), n.cs.Auction.Tip().Hash)
		}
		return s
	}, all...)
	if got := n0.cs.Auction.Tip().Hash; got != tiebreak[2].blk.Hash() {
		t.Fatalf("converged auction tip %s is not the tie-break block", got)
	}
}
