package p2p

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// A gossiped block we already have, far below the tip, costs a transient
// point; it is ignored, not relayed.
func TestStaleGossipIsUnsolicited(t *testing.T) {
	t.Parallel()
	a := newTestNode(t)
	k := consensus.MetadataChain
	hs := a.mine(k, staleDepth+4, nil)
	old, err := a.chain(k).BlockByHash(hs[0])
	if err != nil {
		t.Fatal(err)
	}
	// Same header (same hash), different bytes, so pubsub's seen-cache
	// of A's own announcement does not swallow it.
	sender, _ := keys.GenerateKey()
	old.Txs = append(old.Txs, signedTx(a.chain(k), sender, 0, "padding"))
	r := newRogue(t)
	r.connect(t, a)
	r.publish(t, BlockTopic("regtest", a.net.Metadata.ChainID), old.Encode())
	pen := a.waitPenalty(r.h.ID(), 20*time.Second, "stale block penalty", func(penalty) bool { return true })
	if pen.amount != PenaltyUnsolicited || pen.banned || pen.total > 1.01 {
		t.Fatalf("stale block: %+v", pen)
	}
}

// A sync peer that answers GetBlocks with blocks not asked for gets a
// transient point per block; one that serves an invalid block is banned.
func TestRogueSyncServer(t *testing.T) {
	t.Parallel()
	k := consensus.MetadataChain
	src := newTestNode(t) // the honest chain the rogue pretends to serve
	// More batches than requests in flight, so the first failure leaves
	// the batch launcher waiting for a slot: the sync must still end.
	src.mine(k, (blocksInFlight+1)*MaxBlocksPerMsg+1, nil)
	victim := newTestNode(t)
	chainID := victim.net.Metadata.ChainID

	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var mode atomic.Int32 // 0: two blocks out of order, 1: an invalid block
	sender, _ := keys.GenerateKey()
	badTx := signedTx(src.chain(k), sender, 0, "not in the tx root")
	h.SetStreamHandler(SyncProtocol("regtest", chainID), func(s network.Stream) {
		defer s.Close()
		req, err := ReadMessage(s, MaxRequestBytes)
		if err != nil {
			s.Reset()
			return
		}
		c := src.chain(k)
		var resp Message
		switch req := req.(type) {
		case *GetStatus:
			tip := c.Tip()
			resp = &Status{Height: tip.Height, Hash: tip.Hash, Work: tip.Work}
		case *GetHeaders:
			resp = &Headers{Headers: c.HeadersAfter(req.Locator, int(req.Max))}
		case *GetBlocks:
			bs := &Blocks{}
			m := mode.Load() // once, so a response is all of one mode
			for _, hash := range req.Hashes {
				blk, _ := c.BlockByHash(hash)
				if m == 1 {
					blk.Txs = append(blk.Txs, badTx) // same header, body does not match it
				}
				bs.Blocks = append(bs.Blocks, blk.Encode())
			}
			if n := len(bs.Blocks); m == 0 && n >= 2 {
				bs.Blocks[n-2], bs.Blocks[n-1] = bs.Blocks[n-1], bs.Blocks[n-2]
			}
			resp = bs
		}
		WriteMessage(s, resp)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := victim.p2p.Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
		t.Fatal(err)
	}
	pen := victim.waitPenalty(h.ID(), 20*time.Second, "unsolicited blocks", func(penalty) bool { return true })
	if pen.amount != 2*PenaltyUnsolicited || pen.banned {
		t.Fatalf("2 blocks in the wrong order: %+v", pen)
	}
	mode.Store(1)
	victim.p2p.chains[0].requestSync(h.ID())
	// (Another round may still see mode 0 before this one runs.)
	pen = victim.waitPenalty(h.ID(), 20*time.Second, "invalid synced block", func(p penalty) bool { return p.amount != 2*PenaltyUnsolicited })
	if pen.amount != PenaltyInvalidBlock || !pen.banned {
		t.Fatalf("invalid synced block: %+v", pen)
	}
	if got := victim.chain(k).Tip().Height; got != 0 {
		t.Fatalf("victim moved to height %d on a rogue's answers", got)
	}
}

// If QUIC cannot listen, the node runs on TCP alone.
func TestQUICFallsBackToTCP(t *testing.T) {
	t.Parallel()
	busy, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.LocalAddr().(*net.UDPAddr).Port
	a := newTestNode(t, func(c *Config) {
		c.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0", fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", port)}
	})
	for _, addr := range a.p2p.Addrs() {
		if strings.Contains(addr.String(), "/quic") {
			t.Fatalf("listening on %s, a port that is taken", addr)
		}
	}
	b := newTestNode(t)
	b.connect(a)
	hs := a.mine(consensus.MetadataChain, 1, nil)
	waitTip(t, b.chain(consensus.MetadataChain), hs[0], 20*time.Second)
}

func TestGaterBansExpire(t *testing.T) {
	friend, stranger := peer.ID("friend"), peer.ID("stranger")
	g := newGater(nil)
	if !g.permit(stranger) {
		t.Fatal("no allowlist: everyone is permitted")
	}
	g.ban(stranger, time.Now().Add(time.Hour))
	if g.permit(stranger) || !g.InterceptPeerDial(friend) {
		t.Fatal("ban not applied, or applied to the wrong peer")
	}
	g.ban(stranger, time.Now().Add(-time.Second))
	if !g.permit(stranger) || len(g.bans()) != 0 {
		t.Fatal("an expired ban still refuses")
	}
	g = newGater([]peer.ID{friend})
	if g.permit(stranger) || !g.permit(friend) {
		t.Fatal("allowlist not applied")
	}
}

func TestIsPeerFault(t *testing.T) {
	for err, want := range map[error]bool{
		consensus.RuleErrorf(consensus.ErrHighHash, "x"):       true,
		consensus.RuleErrorf(consensus.ErrBadTxRoot, "x"):      true,
		consensus.RuleErrorf(consensus.ErrDuplicateBlock, "x"): false,
		consensus.RuleErrorf(consensus.ErrTimeTooNew, "x"):     false,
		consensus.AssertError("bug"):                           false,
		context.Canceled:                                       false,
	} {
		if got := isPeerFault(err); got != want {
			t.Errorf("%v: fault=%v, want %v", err, got, want)
		}
	}
}

// A connected peer that speaks our sync protocol but is missing from our
// gossip topics (pubsub lost its subscriptions) is reconnected once.
func TestGossipHealReconnects(t *testing.T) {
	t.Parallel()
	a := newTestNode(t, func(c *Config) { c.SyncInterval = 50 * time.Millisecond })
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	// Speaks the sync protocol (so it looks like one of ours) but runs no
	// pubsub, which is what a lost subscription looks like from A.
	h.SetStreamHandler(SyncProtocol("regtest", a.net.Metadata.ChainID), func(s network.Stream) { s.Reset() })
	events := make(chan string, 16)
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF:    func(network.Network, network.Conn) { events <- "connected" },
		DisconnectedF: func(network.Network, network.Conn) { events <- "disconnected" },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Connect(ctx, a.p2p.AddrInfo()); err != nil {
		t.Fatal(err)
	}
	// A heals by dropping the connection and dialling again: after the
	// first connection, a disconnect must come and then a new connection.
	// (Two connections may be set up at once, by both sides dialling, so
	// only the order disconnect-then-connect is asserted.)
	want := []string{"connected", "disconnected", "connected"}
	for step := 0; step < len(want); {
		select {
		case got := <-events:
			if got == want[step] {
				step++
			}
		case <-ctx.Done():
			t.Fatalf("no %s event (step %d)", want[step], step)
		}
	}
	if a.p2p.Score(h.ID()) != 0 {
		t.Fatal("healing is not a penalty")
	}
}
