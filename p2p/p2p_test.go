package p2p

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/mempool"
	"github.com/thingchain/thingchain/registry"
)

// testNode is a full node in this process: two real chains in Badger
// directories, a real mempool on the auction chain and a real libp2p host
// on 127.0.0.1.
type testNode struct {
	t       *testing.T
	net     *consensus.Params
	meta    *chain.Chain
	auction *chain.Chain
	pool    *mempool.Pool
	p2p     *Node
	key     *keys.PrivateKey
}

func newTestNode(t *testing.T, mutate ...func(*Config)) *testNode {
	t.Helper()
	net := consensus.RegTest()
	dir := t.TempDir()
	tn := &testNode{t: t, net: net}
	tn.key, _ = keys.GenerateKey()
	var err error
	if tn.meta, err = chain.Open(chain.Config{Net: net, Kind: consensus.MetadataChain, Dir: filepath.Join(dir, "m"), StateMachine: registry.Machine{}}); err != nil {
		t.Fatal(err)
	}
	if tn.auction, err = chain.Open(chain.Config{Net: net, Kind: consensus.AuctionChain, Dir: filepath.Join(dir, "a"), StateMachine: ledger.NewMachine(net)}); err != nil {
		t.Fatal(err)
	}
	tn.pool = mempool.New(mempool.Config{Chain: tn.auction, StateNonce: func(pk keys.PubKey) (uint64, error) {
		var n uint64
		err := tn.auction.ReadState(func(v *chain.View, _ chain.TipInfo) error {
			acct, err := ledger.GetAccount(v, pk.Address())
			n = acct.Nonce
			return err
		})
		return n, err
	}})
	cfg := Config{NetworkName: "regtest", ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, BanDuration: time.Hour, SyncInterval: time.Second,
		IdentityPath: filepath.Join(dir, "p2p.key"),
		Chains:       []ChainHandle{{Chain: tn.meta}, {Chain: tn.auction, Pool: tn.pool}}}
	for _, m := range mutate {
		m(&cfg)
	}
	if tn.p2p, err = New(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if err := tn.p2p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tn.p2p.Close()
		tn.meta.Close()
		tn.auction.Close()
	})
	return tn
}

func (tn *testNode) connect(other *testNode) {
	tn.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tn.p2p.Connect(ctx, other.p2p.Addrs()[0]); err != nil {
		tn.t.Fatal(err)
	}
}

func (tn *testNode) mine(c *chain.Chain, n int, txs func() []*wire.Tx) []wire.Hash {
	tn.t.Helper()
	hs, err := miner.Generate(context.Background(), c, n, tn.key, tn.key.PubKey().Address(), txs, nil)
	if err != nil {
		tn.t.Fatal(err)
	}
	return hs
}

// waitTip waits, on chain events, until c's tip is want.
func waitTip(t *testing.T, c *chain.Chain, want wire.Hash, timeout time.Duration) {
	t.Helper()
	changed := make(chan struct{}, 1)
	c.Subscribe(func(chain.Event) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	deadline := time.After(timeout)
	for c.Tip().Hash != want {
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s chain: tip %s at height %d, want %s", c.Params().Kind, c.Tip().Hash, c.Tip().Height, want)
		}
	}
}

func TestGossipAcrossALine(t *testing.T) {
	a, b, c := newTestNode(t), newTestNode(t), newTestNode(t)
	b.connect(a)
	c.connect(b)
	txSeen := make(chan wire.Hash, 16)
	c.pool.OnNewTx(func(tx *wire.Tx) { txSeen <- tx.ID() })
	// Let the meshes form: gossipsub grafts on its heartbeat; a block sent
	// before that still arrives through sync, so both paths are exercised.
	mh := a.mine(a.meta, 1, nil)
	ah := a.mine(a.auction, 1, nil)
	waitTip(t, c.meta, mh[0], 20*time.Second)
	waitTip(t, c.auction, ah[0], 20*time.Second)

	faucet, _ := ledger.FaucetKey(a.net)
	tx := ledger.NewTransfer(a.net, faucet, keys.Address{7}, 5, 1000, 0)
	if err := a.pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-txSeen:
		if id != tx.ID() {
			t.Fatalf("C got tx %s, want %s", id, tx.ID())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("transaction did not reach C")
	}
	// A block with the tx mined on C comes back to A.
	hs := c.mine(c.auction, 1, func() []*wire.Tx { return c.pool.Candidates(0) })
	waitTip(t, a.auction, hs[0], 20*time.Second)
	if a.pool.Has(tx.ID()) {
		t.Fatal("A kept a transaction that is now in a block")
	}
}

func TestLateJoinerSyncs(t *testing.T) {
	a := newTestNode(t)
	a.mine(a.meta, 150, nil)
	a.mine(a.auction, 220, nil)
	d := newTestNode(t)
	d.connect(a)
	waitTip(t, d.meta, a.meta.Tip().Hash, 60*time.Second)
	waitTip(t, d.auction, a.auction.Tip().Hash, 60*time.Second)
}

func TestPartitionsConverge(t *testing.T) {
	a, b := newTestNode(t), newTestNode(t)
	common := a.mine(a.auction, 2, nil)
	b.connect(a)
	waitTip(t, b.auction, common[1], 20*time.Second)
	a.p2p.Disconnect(b.p2p.ID())
	b.p2p.Disconnect(a.p2p.ID())
	a.mine(a.auction, 5, nil)
	a.mine(a.meta, 3, nil)
	b.mine(b.auction, 8, nil)
	b.mine(b.meta, 6, nil)
	b.connect(a)
	waitTip(t, a.auction, b.auction.Tip().Hash, 30*time.Second)
	waitTip(t, a.meta, b.meta.Tip().Hash, 30*time.Second)
	if a.auction.TipHeader().StateRoot != b.auction.TipHeader().StateRoot {
		t.Fatal("converged tips with different state")
	}
}

// rogue is a bare libp2p host with gossipsub on the same topics, which a
// test uses to send whatever it likes.
type rogue struct {
	id     peer.ID
	blocks *pubsub.Topic
	txs    *pubsub.Topic
}

func newRogue(t *testing.T, target *testNode) *rogue {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ps, err := pubsub.NewGossipSub(context.Background(), h, pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign), pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pb.Message) string { id := wire.DoubleSHA256(m.Data); return string(id[:]) }))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := peer.AddrInfoFromString(target.p2p.Addrs()[0])
	if err := h.Connect(context.Background(), *info); err != nil {
		t.Fatal(err)
	}
	prefix := "/thingchain/regtest/" + hex8(target.net.Auction.ChainID)
	r := &rogue{id: h.ID()}
	if r.blocks, err = ps.Join(prefix + "/blocks/1"); err != nil {
		t.Fatal(err)
	}
	if r.txs, err = ps.Join(prefix + "/txs/1"); err != nil {
		t.Fatal(err)
	}
	return r
}

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b)
}

// publishUntil republishes fresh variants until cond holds (gossipsub
// needs a mesh before a publish goes anywhere; each attempt is a new
// message so deduplication does not swallow it).
func publishUntil(t *testing.T, topic *pubsub.Topic, make func(i int) []byte, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; !cond(); i++ {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		topic.Publish(context.Background(), make(i))
		time.Sleep(100 * time.Millisecond) // pacing the attacker's sends, not synchronising on a result
	}
}

func TestInvalidBlocksGetPeerBanned(t *testing.T) {
	a, b := newTestNode(t), newTestNode(t)
	b.connect(a)
	r := newRogue(t, a)
	publishUntil(t, r.blocks, func(i int) []byte {
		blk := &wire.Block{Header: wire.Header{Version: 1, ChainID: a.net.Auction.ChainID, Height: 1, Bits: 0x03000001, Nonce: uint64(i)}}
		return blk.Encode() // impossible proof of work
	}, func() bool { return a.p2p.Banned(r.id) })
	// The honest pair carries on.
	hs := b.mine(b.auction, 1, nil)
	waitTip(t, a.auction, hs[0], 20*time.Second)
	banned := false
	for _, p := range a.p2p.Peers() {
		if p.ID == r.id.String() && p.Banned {
			banned = true
		}
	}
	if !banned {
		t.Fatal("Peers() does not show the ban")
	}
}

func TestMalformedGossipPenalised(t *testing.T) {
	a := newTestNode(t)
	r := newRogue(t, a)
	rng := rand.New(rand.NewPCG(1, 2))
	publishUntil(t, r.txs, func(i int) []byte {
		junk := make([]byte, 10+rng.IntN(100))
		for j := range junk {
			junk[j] = byte(rng.Uint32())
		}
		return junk
	}, func() bool { return a.p2p.Banned(r.id) })
}

func TestSyncStreamGarbage(t *testing.T) {
	a := newTestNode(t)
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	info, _ := peer.AddrInfoFromString(a.p2p.Addrs()[0])
	if err := h.Connect(context.Background(), *info); err != nil {
		t.Fatal(err)
	}
	proto := a.p2p.chains[1].syncProto
	for i := 0; i < 3 && !a.p2p.Banned(h.ID()); i++ {
		s, err := h.NewStream(context.Background(), info.ID, proto)
		if err != nil {
			break // already refused: banned
		}
		s.Write([]byte{0x05, 0x63, 1, 2, 3, 4}) // frame of 5 bytes: unknown type 0x63
		s.CloseWrite()
		var buf bytes.Buffer
		buf.ReadFrom(s) // the node resets the stream
		s.Close()
	}
	if !a.p2p.Banned(h.ID()) {
		t.Fatal("peer sending garbage on the sync protocol was not banned")
	}
	// The node still serves honest peers.
	b := newTestNode(t)
	hs := a.mine(a.meta, 3, nil)
	b.connect(a)
	waitTip(t, b.meta, hs[2], 20*time.Second)
}

func TestAllowlistRefusesOthers(t *testing.T) {
	friend := newTestNode(t)
	a := newTestNode(t, func(c *Config) { c.Allowlist = []peer.ID{friend.p2p.ID()} })
	friend.connect(a)
	stranger := newTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The dial may appear to succeed on the stranger's side for a moment
	// (the handshake completes before the gater's verdict), but the node
	// never admits the connection and no stream gets through.
	stranger.p2p.Connect(ctx, a.p2p.Addrs()[0])
	if _, err := stranger.p2p.Host().NewStream(ctx, a.p2p.ID(), a.p2p.chains[0].syncProto); err == nil {
		t.Fatal("a peer outside the allowlist opened a stream")
	}
	for _, p := range a.p2p.Peers() {
		if p.ID == stranger.p2p.ID().String() {
			t.Fatal("the node lists a peer outside its allowlist")
		}
	}
	if a.p2p.Host().Network().Connectedness(friend.p2p.ID()) != network.Connected {
		t.Fatal("the allowed peer is not connected")
	}
}

func TestIdentityPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id")
	k1, err := LoadIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadIdentity(path)
	if err != nil || !k1.Equals(k2) {
		t.Fatal("identity changed between loads")
	}
	if err := writeFile(path, []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentity(path); err == nil {
		t.Fatal("damaged identity accepted")
	}
}
