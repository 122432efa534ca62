package p2p

// The malformed-peer suite: a test peer (a real libp2p host, with
// gossipsub configured like the node's) attacks a node that is linked to
// an honest third node. Each test asserts that the node stays up,
// penalises or bans the attacker, relays nothing invalid (the honest node
// never sees it), keeps syncing from an honest peer, and keeps its block
// index bounded. Chains are short so the suite fits CI; THINGCHAIN_LONG=1
// runs longer variants.

import (
	"context"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

func longTests() bool { return os.Getenv("THINGCHAIN_LONG") == "1" }

// craftBlock builds a block on c's tip carrying one valid transaction,
// lets mutate spoil it, then signs and solves it, so its proof of work
// and miner signature are valid whatever else is wrong.
func craftBlock(tb testing.TB, c *chain.Chain, key *keys.PrivateKey, mutate func(*wire.Block)) *wire.Block {
	tb.Helper()
	sender, _ := keys.GenerateKey()
	tmpl, err := c.NewTemplate(chain.TemplateRequest{Reward: key.PubKey().Address(), MinerKey: key.PubKey(),
		Txs: []*wire.Tx{signedTx(c, sender, 0, "payload")}})
	if err != nil {
		tb.Fatal(err)
	}
	blk := tmpl.Block
	if len(blk.Txs) != 1 {
		tb.Fatalf("template took %d transactions, want 1", len(blk.Txs))
	}
	mutate(blk)
	miner.Sign(&blk.Header, key)
	if !miner.Solve(context.Background(), &blk.Header, 1, nil) {
		tb.Fatal("cannot solve")
	}
	return blk
}

// Blocks that break a rule are never relayed and cost their sender: each
// kind from its own attacker, against a node whose honest neighbour must
// never see any of them, and which keeps following that neighbour.
func TestGossipInvalidBlocksNotRelayed(t *testing.T) {
	t.Parallel()
	victim, honest := newTestNode(t), newTestNode(t)
	honest.connect(victim)
	k := consensus.MetadataChain
	c := victim.chain(k)
	topic := BlockTopic("regtest", c.Params().ChainID)
	waitGossipReady(t, victim.p2p, honest.p2p.ID(), k)
	key, _ := keys.GenerateKey()
	indexBefore := c.BlockIndexSize()

	cases := []struct {
		name   string
		block  func() []byte
		amount int
		// stored: the chain keeps a block that fails only against state,
		// marked invalid (so it is never fetched or judged again), as
		// Bitcoin Core keeps blocks that fail ConnectBlock.
		stored bool
	}{
		{"wrong Merkle root", func() []byte {
			return craftBlock(t, c, key, func(b *wire.Block) { b.Header.TxRoot[0] ^= 1 }).Encode()
		}, PenaltyInvalidBlock, false},
		{"wrong state root", func() []byte {
			return craftBlock(t, c, key, func(b *wire.Block) { b.Header.StateRoot[0] ^= 1 }).Encode()
		}, PenaltyInvalidBlock, true},
		{"transaction with a bad signature", func() []byte {
			return craftBlock(t, c, key, func(b *wire.Block) {
				b.Txs[0].Sig[5] ^= 1
				b.Header.TxRoot = wire.MerkleRoot([]wire.Hash{b.Txs[0].ID()})
			}).Encode()
		}, PenaltyInvalidBlock, false},
		{"invalid proof of work", func() []byte {
			b := craftBlock(t, c, key, func(*wire.Block) {})
			target, _ := consensus.CompactToBig(b.Header.Bits)
			for consensus.HashToBig(b.Header.Hash()).Cmp(target) <= 0 {
				b.Header.Nonce++
			}
			return b.Encode()
		}, PenaltyInvalidBlock, false},
		{"truncated", func() []byte {
			raw := craftBlock(t, c, key, func(*wire.Block) {}).Encode()
			return raw[:len(raw)-7]
		}, PenaltyMalformed, false},
	}
	bad := map[wire.Hash]bool{} // hash → may be stored as invalid
	stored := 0
	for _, tc := range cases {
		raw := tc.block()
		bad[wire.DoubleSHA256(raw[:wire.HeaderSize])] = tc.stored
		if tc.stored {
			stored++
		}
		r := newRogue(t)
		r.connect(t, victim)
		r.publish(t, topic, raw)
		pen := victim.waitPenalty(r.h.ID(), 20*time.Second, tc.name, func(penalty) bool { return true })
		if pen.amount != tc.amount {
			t.Fatalf("%s: penalty %d, want %d", tc.name, pen.amount, tc.amount)
		}
		if tc.amount == PenaltyInvalidBlock && !victim.p2p.Banned(r.h.ID()) {
			t.Fatalf("%s: sender not banned", tc.name)
		}
	}
	// The victim is up and follows its honest neighbour; gossip between
	// them is ordered, so had the victim relayed any bad block, the
	// honest node would have judged it before this one.
	hs := honest.mine(k, 1, nil)
	waitTip(t, c, hs[0], 20*time.Second)
	if s := honest.p2p.Score(victim.p2p.ID()); s != 0 {
		t.Fatalf("the honest node penalised the victim (%v): it relayed something invalid", s)
	}
	for h, mayStore := range bad {
		if honest.chain(k).HaveBlock(h) {
			t.Fatalf("bad block %s reached the honest node", h)
		}
		if c.HaveBlock(h) && !mayStore {
			t.Fatalf("bad block %s was stored", h)
		}
	}
	if got := c.BlockIndexSize(); got > indexBefore+1+stored {
		t.Fatalf("block index grew from %d to %d for one valid block", indexBefore, got)
	}
}

// A gossip frame over MaxGossipBytes (12 MiB), which pubsub drops by
// itself, costs its sender.
func TestOversizedGossipFramePenalised(t *testing.T) {
	t.Parallel()
	victim := newTestNode(t)
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ps, err := pubsub.NewGossipSub(context.Background(), h, pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(), pubsub.WithMessageIdFn(messageID), pubsub.WithMaxMessageSize(32<<20))
	if err != nil {
		t.Fatal(err)
	}
	r := &rogue{h: h, ps: ps, topics: map[string]*pubsub.Topic{}}
	r.connect(t, victim)
	r.publish(t, BlockTopic("regtest", victim.net.Metadata.ChainID), make([]byte, 12<<20))
	pen := victim.waitPenalty(h.ID(), 30*time.Second, "oversized frame", func(penalty) bool { return true })
	if pen.amount != PenaltyOversized {
		t.Fatalf("12 MiB gossip: %+v", pen)
	}
}

// rogueSync is a libp2p host that answers a chain's sync protocol as
// answer says (nil: reset the stream), counting requests by type.
type rogueSync struct {
	h     host.Host
	count [8]atomic.Int64
}

func newRogueSync(tb testing.TB, chainID uint32, answer func(ctx context.Context, req Message) Message) *rogueSync {
	tb.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(func() { cancel(); h.Close() })
	r := &rogueSync{h: h}
	h.SetStreamHandler(SyncProtocol("regtest", chainID), func(s network.Stream) {
		defer s.Close()
		req, err := ReadMessage(s, MaxRequestBytes)
		if err != nil {
			s.Reset()
			return
		}
		r.count[req.Type()].Add(1)
		resp := answer(ctx, req)
		if resp == nil {
			s.Reset()
			return
		}
		WriteMessage(s, resp)
	})
	return r
}

func (r *rogueSync) info() peer.AddrInfo { return peer.AddrInfo{ID: r.h.ID(), Addrs: r.h.Addrs()} }

var hugeWork = new(big.Int).Lsh(big.NewInt(1), 250)

// A peer claiming 2^250 work and serving a real but lower-work branch
// (Bitcoin Core's p2p_dos_header_tree) makes the node store nothing and
// costs it PenaltyUnprovenWork; so does one whose branch runs past the
// presync limit, and one that answers with no headers at all. None is
// asked again at once.
func TestLowWorkBranchNotStored(t *testing.T) {
	t.Parallel()
	k := consensus.MetadataChain
	ours, theirs := 120, 90
	if longTests() {
		ours, theirs = 3000, 2500
	}
	branch := newTestNode(t) // mines the attacker's branch from genesis
	branch.mine(k, theirs, nil)
	bc := branch.chain(k)
	serve := func(empty bool) func(context.Context, Message) Message {
		return func(_ context.Context, req Message) Message {
			switch req := req.(type) {
			case *GetStatus:
				return &Status{Height: 1 << 40, Hash: bc.Tip().Hash, Work: hugeWork}
			case *GetHeaders:
				if empty {
					return &Headers{}
				}
				return &Headers{Headers: bc.HeadersAfter(req.Locator, int(req.Max))}
			case *GetBlocks:
				bs := &Blocks{}
				for _, h := range req.Hashes {
					b, err := bc.BlockBytes(h)
					if err != nil {
						break
					}
					bs.Blocks = append(bs.Blocks, b)
				}
				return bs
			}
			return nil
		}
	}
	for _, tc := range []struct {
		name  string
		limit int
		empty bool
	}{
		{"branch ends below our work", 0, false},
		{"branch runs past the presync limit", theirs / 3, false},
		{"no headers at all", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			victim := newTestNode(t, func(c *Config) { c.presyncLimit = tc.limit })
			victim.mine(k, ours, nil)
			c := victim.chain(k)
			index, tip := c.BlockIndexSize(), c.Tip().Hash
			r := newRogueSync(t, c.Params().ChainID, serve(tc.empty))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := victim.p2p.Connect(ctx, r.info()); err != nil {
				t.Fatal(err)
			}
			pen := victim.waitPenalty(r.h.ID(), 30*time.Second, "unproven work", func(p penalty) bool { return p.amount == PenaltyUnprovenWork })
			if pen.banned {
				t.Fatalf("one unproven claim banned the peer: %+v", pen)
			}
			if n := r.count[MsgGetBlocks].Load(); n != 0 {
				t.Fatalf("the node asked for %d batches of a lower-work branch", n)
			}
			if got := c.BlockIndexSize(); got != index || c.Tip().Hash != tip {
				t.Fatalf("block index %d → %d, tip changed %v", index, got, c.Tip().Hash != tip)
			}
			cn, _ := victim.p2p.chainNet(k)
			if !cn.coolingDown(r.h.ID()) {
				t.Fatal("the peer would be asked again at the next round")
			}
			// The honest path still works: a real better chain is synced.
			honest := newTestNode(t)
			honest.connect(victim)
			waitTipHeight(t, honest.chain(k), uint64(ours), 30*time.Second)
			hs := honest.mine(k, 1, nil)
			waitTip(t, c, hs[0], 20*time.Second)
		})
	}
}

// waitTipHeight waits, on chain events, until c's tip reaches height.
func waitTipHeight(tb testing.TB, c *chain.Chain, height uint64, timeout time.Duration) {
	tb.Helper()
	changed := make(chan struct{}, 1)
	c.Subscribe(func(chain.Event) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for c.Tip().Height < height {
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("%s chain: height %d, want %d", c.Params().Kind, c.Tip().Height, height)
		}
	}
}

// Three peers that claim more work and answer every header request just
// inside the timeout with nothing do not delay a follower's catch-up
// beyond twice the time it takes with no attacker (plus 1 s of slack for
// timing noise on two shared cores), and each is penalised.
func TestStallingPeersDoNotDelaySync(t *testing.T) {
	t.Parallel()
	k := consensus.MetadataChain
	n := 600
	if longTests() {
		n = 5000
	}
	src := newTestNode(t)
	hs := src.mine(k, n, nil)
	tip := hs[len(hs)-1]

	catchUp := func(stallers int) (time.Duration, *testNode, []*rogueSync) {
		f := newTestNode(t)
		var rs []*rogueSync
		for range stallers {
			r := newRogueSync(t, f.net.Metadata.ChainID, func(ctx context.Context, req Message) Message {
				switch req.(type) {
				case *GetStatus:
					return &Status{Height: 1 << 30, Hash: wire.Hash{1}, Work: hugeWork}
				case *GetHeaders:
					select { // just inside the node's timeout
					case <-time.After(headersTimeout - 300*time.Millisecond):
					case <-ctx.Done():
					}
					return &Headers{}
				}
				return nil
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := f.p2p.Connect(ctx, r.info()); err != nil {
				t.Fatal(err)
			}
			cancel()
			rs = append(rs, r)
		}
		// The stallers have been asked first.
		for _, r := range rs {
			waitCount(t, &r.count[MsgGetHeaders], 1, 10*time.Second)
		}
		start := time.Now()
		f.connect(src)
		waitTip(t, f.chain(k), tip, 120*time.Second)
		return time.Since(start), f, rs
	}
	base, _, _ := catchUp(0)
	attacked, f, rs := catchUp(3)
	t.Logf("catch-up of %d blocks: %v alone, %v with 3 stalling peers", n, base, attacked)
	if attacked > 2*base+time.Second {
		t.Fatalf("catch-up took %v with stalling peers, %v without", attacked, base)
	}
	stalling := map[peer.ID]bool{}
	for _, r := range rs {
		stalling[r.h.ID()] = true
	}
	deadline := time.After(3 * headersTimeout)
	for len(stalling) > 0 {
		select {
		case p := <-f.penalties:
			if p.amount == PenaltyUnprovenWork {
				delete(stalling, p.peer)
			}
		case <-deadline:
			t.Fatalf("%d stalling peers not penalised", len(stalling))
		}
	}
}

// waitCount polls a counter the test peer bumps from libp2p's goroutines.
func waitCount(tb testing.TB, c *atomic.Int64, want int64, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for c.Load() < want {
		if time.Now().After(deadline) {
			tb.Fatalf("counter at %d, want %d", c.Load(), want)
		}
		<-tick.C
	}
}

// 32 workers of legal, maximal GetBlocks and GetHeaders requests get no
// more than the peer's serving budget: burst + rate × time.
func TestServingBudget(t *testing.T) {
	t.Parallel()
	const rate, burst = 256 << 10, 64 << 10
	victim := newTestNode(t, func(c *Config) { c.ServeBytesPerSec, c.ServeBurstBytes = rate, burst })
	k := consensus.MetadataChain
	c := victim.chain(k)
	sender, _ := keys.GenerateKey()
	nonce := uint64(0)
	hashes := victim.mine(k, MaxBlocksPerMsg, func() []*wire.Tx {
		tx := signedTx(c, sender, nonce, string(make([]byte, 4<<10)))
		nonce++
		return []*wire.Tx{tx}
	})
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Connect(context.Background(), victim.p2p.AddrInfo()); err != nil {
		t.Fatal(err)
	}
	window := 2 * time.Second
	if longTests() {
		window = 10 * time.Second
	}
	var got atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				s, err := h.NewStream(ctx, victim.p2p.ID(), SyncProtocol("regtest", c.Params().ChainID))
				if err != nil {
					return
				}
				var req Message = &GetBlocks{Hashes: hashes}
				if w%4 == 0 {
					req = &GetHeaders{Max: MaxHeadersPerMsg}
				}
				WriteMessage(s, req)
				s.CloseWrite()
				buf := make([]byte, 32<<10)
				for ctx.Err() == nil {
					n, err := s.Read(buf)
					got.Add(int64(n))
					if err != nil {
						break
					}
				}
				s.Reset()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	limit := int64(burst) + int64(float64(rate)*elapsed.Seconds())
	t.Logf("served %d bytes in %v; budget %d", got.Load(), elapsed, limit)
	if got.Load() > limit+4<<10 {
		t.Fatalf("served %d bytes in %v, over the budget of %d", got.Load(), elapsed, limit)
	}
	if got.Load() < limit/4 {
		t.Fatalf("served only %d bytes of a budget of %d: the budget is not what limits", got.Load(), limit)
	}
	// Another peer is served: budgets are per peer.
	other := newTestNode(t)
	other.connect(victim)
	waitTip(t, other.chain(k), hashes[len(hashes)-1], 30*time.Second)
}

// Inbound connections are capped per IP address and overall; those over
// a cap are refused when they arrive, not after the connection manager's
// grace period.
func TestInboundConnectionLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		max    int
	}{
		{"per IP", func(c *Config) { c.MaxConnsPerIP, c.limitLoopback = 4, true }, 4},
		{"overall", func(c *Config) { c.MaxInbound = 5 }, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			victim := newTestNode(t, tc.mutate)
			accepted := 0
			for range 12 {
				h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				info := victim.p2p.AddrInfo()
				info.Addrs = info.Addrs[:1]
				if h.Connect(ctx, info) == nil && askStatus(h, victim, victim.net.Metadata.ChainID) == nil {
					accepted++
				}
				cancel()
			}
			if accepted != tc.max {
				t.Fatalf("%d of 12 connections served, want %d", accepted, tc.max)
			}
			if n := len(victim.p2p.Host().Network().Peers()); n > tc.max {
				t.Fatalf("%d peers connected, cap %d", n, tc.max)
			}
		})
	}
}

// Bans survive a restart through the ban file; expired ones are dropped.
func TestBansPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "p2p-bans.json")
	r1, r2 := newRogue(t).h.ID(), newRogue(t).h.ID()
	if err := saveBans(file, map[peer.ID]time.Time{r2: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	open := func() *Node {
		n, err := New(context.Background(), Config{NetworkName: "regtest", BanFile: file, BanDuration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := open()
	if n.Banned(r2) {
		t.Fatal("an expired ban was loaded")
	}
	n.penalize(r1, BanThreshold, false, "test")
	if !n.Banned(r1) {
		t.Fatal("not banned")
	}
	n.Close()
	n = open()
	defer n.Close()
	if !n.Banned(r1) || n.Banned(r2) {
		t.Fatalf("after restart: r1 banned %v (want true), r2 banned %v (want false)", n.Banned(r1), n.Banned(r2))
	}
	bans, err := loadBans(file, time.Now())
	if err != nil || len(bans) != 1 {
		t.Fatalf("ban file holds %v (%v), want only the live ban", bans, err)
	}
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), Config{NetworkName: "regtest", BanFile: file}); err == nil {
		t.Fatal("a damaged ban file was accepted")
	}
}

// Redialling backs off to at most redialMax, so recovery after any outage
// stays within redialMax plus one dial (well under 20 s).
func TestRedialBackoffCapped(t *testing.T) {
	d := redialMin
	for range 50 {
		d = nextRedial(d)
		if d > redialMax {
			t.Fatalf("back-off grew to %v", d)
		}
	}
	if d != redialMax || redialMax+redialTimeout > 20*time.Second {
		t.Fatalf("back-off settles at %v; with a %v dial, recovery could take longer than 20 s", d, redialTimeout)
	}
}

// Endless streams: a request that never ends, and an answer that never
// ends, are cut at their frame limits and cost the sender; the node keeps
// syncing from an honest peer.
func TestEndlessStreams(t *testing.T) {
	t.Parallel()
	k := consensus.MetadataChain
	victim := newTestNode(t)
	chainID := victim.net.Metadata.ChainID

	t.Run("request", func(t *testing.T) {
		h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if err := h.Connect(context.Background(), victim.p2p.AddrInfo()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := h.NewStream(ctx, victim.p2p.ID(), SyncProtocol("regtest", chainID))
		if err != nil {
			t.Fatal(err)
		}
		s.SetDeadline(time.Now().Add(10 * time.Second))
		// A frame as large as a request may be, then garbage without end.
		frame := []byte{0xff, 0xff, 0x03, byte(MsgGetBlocks)} // length MaxRequestBytes-1
		junk := make([]byte, 32<<10)
		for i := range junk {
			junk[i] = 0xee
		}
		written := len(frame)
		_, err = s.Write(frame)
		for err == nil && written < 64<<20 {
			var n int
			n, err = s.Write(junk)
			written += n
		}
		if err == nil {
			t.Fatalf("the node read %d bytes of an endless request", written)
		}
		pen := victim.waitPenalty(h.ID(), 10*time.Second, "endless request", func(penalty) bool { return true })
		if pen.amount != PenaltyMalformed && pen.amount != PenaltyOversized {
			t.Fatalf("endless request: %+v", pen)
		}
	})

	t.Run("answer", func(t *testing.T) {
		h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		var sent atomic.Int64
		h.SetStreamHandler(SyncProtocol("regtest", chainID), func(s network.Stream) {
			defer s.Reset()
			if _, err := ReadMessage(s, MaxRequestBytes); err != nil {
				return
			}
			// A Status "of" 16 MiB, then bytes without end.
			s.Write([]byte{0x80, 0x80, 0x80, 0x08, byte(MsgStatus)})
			junk := make([]byte, 32<<10)
			for {
				n, err := s.Write(junk)
				if sent.Add(int64(n)); err != nil || sent.Load() > 256<<20 {
					return
				}
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := victim.p2p.Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
			t.Fatal(err)
		}
		pen := victim.waitPenalty(h.ID(), 20*time.Second, "endless answer", func(penalty) bool { return true })
		if pen.amount != PenaltyOversized {
			t.Fatalf("endless answer: %+v", pen)
		}
	})

	honest := newTestNode(t)
	hs := honest.mine(k, 5, nil)
	honest.connect(victim)
	waitTip(t, victim.chain(k), hs[4], 20*time.Second)
}

// A valid block gossiped on a branch with less work than the tip is
// ignored: not stored, not relayed, and no cost to the sender (it may be
// an honest latecomer).
func TestLowWorkGossipNotStored(t *testing.T) {
	t.Parallel()
	k := consensus.MetadataChain
	type verdict struct {
		hash wire.Hash
		res  pubsub.ValidationResult
	}
	verdicts := make(chan verdict, 64)
	victim := newTestNode(t, func(c *Config) {
		c.hooks.blockVerdict = func(_ peer.ID, data []byte, res pubsub.ValidationResult) {
			if len(data) >= wire.HeaderSize {
				select {
				case verdicts <- verdict{wire.DoubleSHA256(data[:wire.HeaderSize]), res}:
				default:
				}
			}
		}
	})
	branch := newTestNode(t)
	first := victim.mine(k, 1, nil)
	branch.connect(victim)
	waitTip(t, branch.chain(k), first[0], 20*time.Second)
	if err := branch.p2p.Disconnect(victim.p2p.ID()); err != nil {
		t.Fatal(err)
	}
	victim.mine(k, 5, nil)
	c := victim.chain(k)
	index := c.BlockIndexSize()
	// The branch's block at height 2 builds on a block the victim has.
	side, err := miner.Generate(context.Background(), branch.chain(k), 1, branch.key, branch.key.PubKey().Address(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := branch.chain(k).BlockByHash(side[0])
	if err != nil {
		t.Fatal(err)
	}
	r := newRogue(t)
	r.connect(t, victim)
	r.publish(t, BlockTopic("regtest", c.Params().ChainID), blk.Encode())
	deadline := time.After(20 * time.Second)
	for got := false; !got; {
		select {
		case v := <-verdicts:
			if v.hash != side[0] {
				continue
			}
			if v.res != pubsub.ValidationIgnore {
				t.Fatalf("low-work block: verdict %v, want ignore", v.res)
			}
			got = true
		case <-deadline:
			t.Fatal("the gossiped block was never judged")
		}
	}
	if c.HaveBlock(side[0]) || c.BlockIndexSize() != index {
		t.Fatalf("low-work block stored (index %d → %d)", index, c.BlockIndexSize())
	}
	if s := victim.p2p.Score(r.h.ID()); s != 0 {
		t.Fatalf("sender penalised (%v) for a valid block", s)
	}
}

// Concurrent syncs of one chain from two honest peers download each block
// once: a block one sync is fetching is waited for by the other.
func TestConcurrentSyncsFetchEachBlockOnce(t *testing.T) {
	t.Parallel()
	k := consensus.MetadataChain
	n := 4 * MaxBlocksPerMsg
	src := newTestNode(t)
	hs := src.mine(k, n, nil)
	sc := src.chain(k)
	var asked atomic.Int64
	serve := func(ctx context.Context, req Message) Message {
		switch req := req.(type) {
		case *GetStatus:
			tip := sc.Tip()
			return &Status{Height: tip.Height, Hash: tip.Hash, Work: tip.Work}
		case *GetHeaders:
			return &Headers{Headers: sc.HeadersAfter(req.Locator, int(req.Max))}
		case *GetBlocks:
			asked.Add(int64(len(req.Hashes)))
			select { // slow enough that both syncs overlap
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
			bs := &Blocks{}
			for _, h := range req.Hashes {
				b, err := sc.BlockBytes(h)
				if err != nil {
					break
				}
				bs.Blocks = append(bs.Blocks, b)
			}
			return bs
		}
		return nil
	}
	f := newTestNode(t)
	r1 := newRogueSync(t, f.net.Metadata.ChainID, serve)
	r2 := newRogueSync(t, f.net.Metadata.ChainID, serve)
	var wg sync.WaitGroup
	for _, r := range []*rogueSync{r1, r2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := f.p2p.Connect(ctx, r.info()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	waitTip(t, f.chain(k), hs[n-1], 60*time.Second)
	t.Logf("%d blocks, %d asked for (GetBlocks: %d to one peer, %d to the other)", n, asked.Load(),
		r1.count[MsgGetBlocks].Load(), r2.count[MsgGetBlocks].Load())
	if asked.Load() > int64(n+MaxBlocksPerMsg) {
		t.Fatalf("%d block requests for %d blocks", asked.Load(), n)
	}
}

// A peer that claims more work and then never answers a header request
// is paused after the timeout, not asked again every round (a sync slot
// per round is what eight such peers would otherwise take).
func TestSilentPeerPaused(t *testing.T) {
	t.Parallel()
	victim := newTestNode(t)
	r := newRogueSync(t, victim.net.Metadata.ChainID, func(ctx context.Context, req Message) Message {
		if _, ok := req.(*GetStatus); ok {
			return &Status{Height: 1 << 30, Hash: wire.Hash{1}, Work: hugeWork}
		}
		<-ctx.Done() // never answers
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := victim.p2p.Connect(ctx, r.info()); err != nil {
		t.Fatal(err)
	}
	// Subscribed to the chain's topics like a node, so that the node does
	// not reconnect it to repair gossip (heal.go) meanwhile.
	ps, err := pubsub.NewGossipSub(context.Background(), r.h, pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(), pubsub.WithMessageIdFn(messageID))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{BlockTopic("regtest", victim.net.Metadata.ChainID), TxTopic("regtest", victim.net.Metadata.ChainID)} {
		topic, err := ps.Join(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := topic.Subscribe(); err != nil {
			t.Fatal(err)
		}
	}
	cn, _ := victim.p2p.chainNet(consensus.MetadataChain)
	deadline := time.Now().Add(3 * headersTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cn.coolingDown(r.h.ID()) {
		if time.Now().After(deadline) {
			t.Fatal("a silent peer is not paused")
		}
		<-tick.C
	}
	if n := r.count[MsgGetHeaders].Load(); n != 1 {
		t.Fatalf("asked %d times for headers, want 1", n)
	}
	if s := victim.p2p.Score(r.h.ID()); s != 0 {
		t.Fatalf("a silent peer was penalised (%v); a timeout is no offence", s)
	}
}
