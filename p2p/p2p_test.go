package p2p

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// 1. Three nodes in a line: blocks mined on A and a transaction submitted
// on A reach C through B, on both chains.
func TestGossipAcrossALine(t *testing.T) {
	t.Parallel()
	a, b, c := newTestNode(t), newTestNode(t), newTestNode(t)
	b.connect(a)
	c.connect(b)
	for _, k := range kinds {
		hs := a.mine(k, 1, nil)
		blk, err := a.chain(k).BlockByHash(hs[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := a.p2p.BroadcastBlock(k, blk); err != nil { // already announced: harmless
			t.Fatal(err)
		}
		waitTip(t, c.chain(k), hs[0], 20*time.Second)
	}
	// Metadata: submitted to A's pool (gossiped through OnNewTx);
	// auction: broadcast explicitly.
	sender, _ := keys.GenerateKey()
	metaTx := signedTx(a.chain(consensus.MetadataChain), sender, 0, "hello")
	if err := a.pools[consensus.MetadataChain].AddTx(metaTx); err != nil {
		t.Fatal(err)
	}
	auctionTx := signedTx(a.chain(consensus.AuctionChain), sender, 0, "bid")
	if err := a.p2p.BroadcastTx(consensus.AuctionChain, auctionTx); err != nil {
		t.Fatal(err)
	}
	for k, tx := range map[consensus.ChainKind]*wire.Tx{consensus.MetadataChain: metaTx, consensus.AuctionChain: auctionTx} {
		for _, n := range []*testNode{b, c} {
			pool := n.pools[k]
			pool.wait(t, 20*time.Second, k.String()+" tx", func() bool { return pool.has(tx.ID()) })
		}
	}
	// A block mined on C with the transaction comes back to A.
	hs := c.mine(consensus.AuctionChain, 1, func() []*wire.Tx { return []*wire.Tx{auctionTx} })
	waitTip(t, a.chain(consensus.AuctionChain), hs[0], 20*time.Second)
	if blk, _ := a.chain(consensus.AuctionChain).BlockByHash(hs[0]); len(blk.Txs) != 1 {
		t.Fatal("the block lost its transaction")
	}
	for _, n := range []*testNode{a, b, c} {
		for _, p := range n.p2p.Peers() {
			if p.Score != 0 || p.Banned {
				t.Errorf("honest peer penalised: %s", describe(p))
			}
		}
	}
}

// 2. A late joiner syncs 200 blocks on each chain, header first.
func TestLateJoinerSyncs(t *testing.T) {
	t.Parallel()
	a := newTestNode(t)
	for _, k := range kinds {
		a.mine(k, 200, nil)
	}
	d := newTestNode(t)
	d.connect(a)
	for _, k := range kinds {
		waitTip(t, d.chain(k), a.chain(k).Tip().Hash, 60*time.Second)
	}
}

// 3. Two nodes mine apart, then meet: both end on the heavier branch.
func TestPartitionsConverge(t *testing.T) {
	t.Parallel()
	a, b := newTestNode(t), newTestNode(t)
	for _, k := range kinds {
		a.mine(k, 5, nil)
		b.mine(k, 8, nil)
	}
	a.connect(b)
	for _, k := range kinds {
		want := b.chain(k).Tip()
		waitTip(t, a.chain(k), want.Hash, 30*time.Second)
		if got := b.chain(k).Tip(); got.Hash != want.Hash || got.Height != 8 {
			t.Fatalf("%s: B moved off its heavier branch to %s at %d", k, got.Hash, got.Height)
		}
		if a.chain(k).Tip().Hash != b.chain(k).Tip().Hash {
			t.Fatalf("%s: tips differ", k)
		}
	}
}

// 4. A peer publishing invalid blocks is banned and refused, while honest
// nodes keep exchanging blocks.
func TestInvalidBlocksGetPeerBanned(t *testing.T) {
	t.Parallel()
	a, b := newTestNode(t), newTestNode(t)
	b.connect(a)
	auction := a.chain(consensus.AuctionChain)
	topic := BlockTopic("regtest", auction.Params().ChainID)
	genesis := auction.Tip()
	minerKey, _ := keys.GenerateKey()
	base := wire.Header{Version: consensus.CurrentHeaderVersion, ChainID: auction.Params().ChainID, Height: 1,
		PrevHash: genesis.Hash, Timestamp: genesis.Time + 1000, Bits: auction.Params().GenesisBits, MinerKey: minerKey.PubKey()}

	cases := map[string]func() []byte{
		"bad signature": func() []byte {
			h := base
			h.MinerSig = minerKey.Sign(wire.DoubleSHA256([]byte("something else")))
			h = solvedHeader(h)
			return (&wire.Block{Header: h}).Encode()
		},
		"bad proof of work": func() []byte {
			h := base
			h.Bits = 0x03000001 // target 1: no hash meets it
			h.MinerSig = minerKey.Sign(h.SigningHash())
			return (&wire.Block{Header: h}).Encode()
		},
	}
	for name, block := range cases {
		r := newRogue(t)
		r.connect(t, a)
		r.publish(t, topic, block())
		pen := a.waitPenalty(r.h.ID(), 20*time.Second, name+" ban", func(p penalty) bool { return p.banned })
		if pen.amount != PenaltyInvalidBlock {
			t.Fatalf("%s: penalty %d, want %d", name, pen.amount, PenaltyInvalidBlock)
		}
		var listed bool
		for _, p := range a.p2p.Peers() {
			if p.ID == r.h.ID() {
				listed = p.Banned && p.Score >= BanThreshold
			}
		}
		if !listed {
			t.Fatalf("%s: Peers() does not show the ban", name)
		}
		// Refused on reconnect: the gater closes the connection before any
		// protocol runs, so no request is answered.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r.h.Connect(ctx, a.p2p.AddrInfo())
		cancel()
		if err := askStatus(r.h, a, auction.Params().ChainID); err == nil {
			t.Fatalf("%s: banned peer was answered", name)
		}
	}
	// The honest pair carries on, and A relayed none of it to B.
	hs := b.mine(consensus.AuctionChain, 1, nil)
	waitTip(t, auction, hs[0], 20*time.Second)
	if s := b.p2p.Score(a.p2p.ID()); s != 0 {
		t.Fatalf("B penalised A (%v): A relayed invalid blocks", s)
	}
}

// 5. Malformed and oversized gossip, and garbage on the sync protocol, are
// penalised (the stream is reset); the node keeps serving honest peers.
func TestGarbageIsPenalised(t *testing.T) {
	t.Parallel()
	a := newTestNode(t)
	txTopic := TxTopic("regtest", a.net.Metadata.ChainID)
	blockTopic := BlockTopic("regtest", a.net.Metadata.ChainID)

	t.Run("gossip", func(t *testing.T) {
		r := newRogue(t)
		r.connect(t, a)
		rng := rand.New(rand.NewPCG(1, 2))
		junk := make([]byte, 200)
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		// A frame of one transaction that does not decode.
		frame, err := EncodeTxFrame([][]byte{junk})
		if err != nil {
			t.Fatal(err)
		}
		r.publish(t, txTopic, frame)
		pen := a.waitPenalty(r.h.ID(), 20*time.Second, "malformed tx penalty", func(penalty) bool { return true })
		if pen.amount != PenaltyMalformed || pen.banned {
			t.Fatalf("malformed tx: %+v", pen)
		}
		// A frame whose one transaction is over the size limit.
		huge := binary.AppendUvarint([]byte{1}, wire.MaxTxBytes+1)
		r.publish(t, txTopic, append(huge, make([]byte, wire.MaxTxBytes+1)...))
		pen = a.waitPenalty(r.h.ID(), 20*time.Second, "oversized tx penalty", func(penalty) bool { return true })
		if pen.amount != PenaltyOversized || !pen.banned {
			t.Fatalf("oversized tx: %+v, want a ban at %d", pen, PenaltyMalformed+PenaltyOversized)
		}
		r2 := newRogue(t)
		r2.connect(t, a)
		r2.publish(t, blockTopic, make([]byte, a.net.Metadata.MaxBlockBytes+1))
		if pen := a.waitPenalty(r2.h.ID(), 20*time.Second, "oversized block", func(penalty) bool { return true }); pen.amount != PenaltyOversized {
			t.Fatalf("oversized block: %+v", pen)
		}
		r2.publish(t, blockTopic, []byte("not a block"))
		if pen := a.waitPenalty(r2.h.ID(), 20*time.Second, "malformed block", func(penalty) bool { return true }); pen.amount != PenaltyMalformed || !pen.banned {
			t.Fatalf("malformed block: %+v", pen)
		}
	})

	t.Run("sync stream", func(t *testing.T) {
		h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if err := h.Connect(context.Background(), a.p2p.AddrInfo()); err != nil {
			t.Fatal(err)
		}
		proto := SyncProtocol("regtest", a.net.Metadata.ChainID)
		send := func(frame []byte) error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := h.NewStream(ctx, a.p2p.ID(), proto)
			if err != nil {
				return err
			}
			defer s.Close()
			s.Write(frame)
			s.CloseWrite()
			_, err = io.ReadAll(s)
			return err // nil only if the node answered and closed cleanly
		}
		steps := []struct {
			name   string
			frame  []byte
			amount int
		}{
			{"unknown type", []byte{0x02, 0x63, 0x00}, PenaltyUnknownMessage},
			{"response as request", EncodeFrame(&Headers{}), PenaltyUnknownMessage},
			{"oversized frame", []byte{0x80, 0x80, 0x80, 0x80, 0x01}, PenaltyOversized},
			{"malformed body", []byte{0x03, byte(MsgGetHeaders), 0x05, 0x01}, PenaltyMalformed},
		}
		for i, s := range steps {
			err := send(s.frame)
			if err == nil {
				t.Fatalf("%s: the stream was answered, not reset", s.name)
			}
			pen := a.waitPenalty(h.ID(), 10*time.Second, s.name, func(penalty) bool { return true })
			if pen.amount != s.amount {
				t.Fatalf("%s: penalty %d, want %d", s.name, pen.amount, s.amount)
			}
			if last := i == len(steps)-1; pen.banned != last {
				t.Fatalf("%s: banned=%v at score %.0f", s.name, pen.banned, pen.total)
			}
		}
		if err := send(EncodeFrame(&GetStatus{})); err == nil {
			t.Fatal("banned peer still served")
		}
	})

	// Still serving honest peers, on both chains.
	b := newTestNode(t)
	hs := a.mine(consensus.MetadataChain, 3, nil)
	b.connect(a)
	waitTip(t, b.chain(consensus.MetadataChain), hs[2], 20*time.Second)
	st, err := b.p2p.chains[1].request(context.Background(), a.p2p.ID(), &GetStatus{})
	if err != nil || st.(*Status).Hash != a.chain(consensus.AuctionChain).Tip().Hash {
		t.Fatalf("status from A after the garbage: %v", err)
	}
}

// askStatus sends GetStatus from h to target's sync protocol and reads the
// answer. (Opening the stream alone proves nothing: libp2p negotiates the
// protocol lazily, so refusals show on the first read.)
func askStatus(h host.Host, target *testNode, chainID uint32) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := h.NewStream(ctx, target.p2p.ID(), SyncProtocol("regtest", chainID))
	if err != nil {
		return err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(5 * time.Second))
	if err := WriteMessage(s, &GetStatus{}); err != nil {
		return err
	}
	s.CloseWrite()
	_, err = ReadMessage(s, MaxMessageBytes)
	return err
}

// EncodeFrame is WriteMessage into a byte slice.
func EncodeFrame(m Message) []byte {
	w := &sliceWriter{}
	WriteMessage(w, m)
	return w.b
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// 6. A burst of 2,000 transactions from one node reaches both others in
// a line, none lost.
func TestTxBurstNoLoss(t *testing.T) {
	t.Parallel()
	a, b, c := newTestNode(t), newTestNode(t), newTestNode(t)
	b.connect(a)
	c.connect(b)
	k := consensus.AuctionChain
	ch := a.chain(k)
	sender, _ := keys.GenerateKey()
	warmUp(t, a, c, k)
	const burst = 2000
	txs := make([]*wire.Tx, burst)
	for i := range txs {
		txs[i] = signedTx(ch, sender, uint64(i), fmt.Sprintf("burst %d", i))
	}
	before := map[*testNode]int{b: b.pools[k].len(), c: c.pools[k].len()}
	start := time.Now()
	for _, tx := range txs {
		if err := a.p2p.BroadcastTx(k, tx); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []*testNode{b, c} {
		pool, want := n.pools[k], before[n]+burst
		pool.wait(t, 30*time.Second, "the whole burst", func() bool { return pool.len() >= want })
		for _, tx := range txs {
			if !pool.has(tx.ID()) {
				t.Fatalf("tx %s lost", tx.ID())
			}
		}
	}
	t.Logf("%d txs reached both peers in %v", burst, time.Since(start))
}

// warmUp sends probe transactions from a until one reaches far, so the
// gossip meshes along the way have formed.
func warmUp(tb testing.TB, a, far *testNode, k consensus.ChainKind) {
	tb.Helper()
	key, _ := keys.GenerateKey()
	pool := far.pools[k]
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		tx := signedTx(a.chain(k), key, uint64(i), "probe")
		if err := a.p2p.BroadcastTx(k, tx); err != nil {
			tb.Fatal(err)
		}
		timer := time.NewTimer(time.Second)
		for !pool.has(tx.ID()) {
			select {
			case <-pool.changed:
				continue
			case <-timer.C:
			}
			break
		}
		timer.Stop()
		if pool.has(tx.ID()) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("gossip mesh did not form")
		}
	}
}

// 7. With an allowlist, other peers cannot connect in either direction.
func TestAllowlistRefusesOthers(t *testing.T) {
	t.Parallel()
	friend := newTestNode(t)
	a := newTestNode(t, func(c *Config) { c.Allowlist = []peer.ID{friend.p2p.ID()} })
	friend.connect(a)
	stranger := newTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The stranger's dial may seem to succeed for a moment (its side
	// finishes the handshake before A's gater closes the connection), but
	// no stream gets through.
	stranger.p2p.Connect(ctx, a.p2p.AddrInfo())
	if err := askStatus(stranger.p2p.Host(), a, a.net.Metadata.ChainID); err == nil {
		t.Fatal("a peer outside the allowlist was answered")
	}
	if err := a.p2p.Connect(ctx, stranger.p2p.AddrInfo()); err == nil {
		t.Fatal("the node dialled a peer outside its allowlist")
	}
	for _, p := range a.p2p.Peers() {
		if p.ID == stranger.p2p.ID() {
			t.Fatal("the node lists a peer outside its allowlist")
		}
	}
	if a.p2p.Host().Network().Connectedness(friend.p2p.ID()) != network.Connected {
		t.Fatal("the allowed peer is not connected")
	}
	// The friend still gets blocks.
	hs := a.mine(consensus.MetadataChain, 1, nil)
	waitTip(t, friend.chain(consensus.MetadataChain), hs[0], 20*time.Second)
}

// Different networks never mix: a node of another network connects but
// shares no topic or protocol.
func TestNetworksDoNotMix(t *testing.T) {
	t.Parallel()
	a := newTestNode(t)
	other := newTestNode(t, func(c *Config) { c.NetworkName = "othernet" })
	other.connect(a)
	a.mine(consensus.MetadataChain, 2, nil)
	_, err := other.p2p.chains[0].request(context.Background(), a.p2p.ID(), &GetStatus{})
	if err == nil {
		t.Fatal("a node of another network answered on our sync protocol")
	}
	if penaltyOf(err) != 0 {
		t.Fatalf("protocol mismatch treated as misbehaviour: %v", err)
	}
	if h := other.chain(consensus.MetadataChain).Tip().Height; h != 0 {
		t.Fatalf("other network's chain moved to height %d", h)
	}
}

func TestIdentityPersists(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p2p.key")
	k1, err := LoadIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	k2, err := LoadIdentity(path)
	if err != nil || !k1.Equals(k2) {
		t.Fatal("identity changed between loads")
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadIdentity(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("damaged identity: %v", err)
	}
	// New refuses to start on it rather than silently changing identity.
	if _, err := New(context.Background(), Config{NetworkName: "regtest", IdentityPath: path}); err == nil {
		t.Fatal("New accepted a damaged identity")
	}
	var perr *os.PathError
	if _, err := LoadIdentity(filepath.Join(t.TempDir(), "missing-dir", "key")); err == nil || !errors.As(err, &perr) {
		t.Fatalf("identity in a missing directory: %v", err)
	}
}

// TestSyncProgressReported: while a fresh node catches up, SyncProgress
// reports the sync (the peer's tip as target, a rate and the time left)
// on every chain change it makes.
func TestSyncProgressReported(t *testing.T) {
	const blocks = 4 * 500
	k := consensus.AuctionChain
	src := newTestNode(t)
	src.mine(k, blocks, nil)
	tip := src.chain(k).Tip()
	d := newTestNode(t)
	var mu sync.Mutex
	var seen []SyncProgress
	d.chain(k).Subscribe(func(ev chain.Event) {
		sp := d.p2p.SyncProgress(k)
		mu.Lock()
		seen = append(seen, sp)
		mu.Unlock()
	})
	d.connect(src)
	waitTip(t, d.chain(k), tip.Hash, time.Minute)
	mu.Lock()
	defer mu.Unlock()
	rated := 0
	for i, sp := range seen {
		if !sp.Syncing || sp.Target != tip.Height || sp.Peers != 1 {
			t.Fatalf("progress %d of %d: %+v, want syncing towards %d from 1 peer", i, len(seen), sp, tip.Height)
		}
		if sp.BlocksPerSec > 0 {
			rated++
			if sp.Height < sp.Target && sp.ETA <= 0 {
				t.Fatalf("progress %d: %+v has a rate but no ETA", i, sp)
			}
		}
	}
	if len(seen) < 2 || rated == 0 {
		t.Fatalf("%d progress reports, %d with a rate: want several, with rates", len(seen), rated)
	}
	if sp := d.p2p.SyncProgress(consensus.MetadataChain); sp.Syncing {
		t.Fatalf("metadata chain reports a sync: %+v", sp)
	}
}
