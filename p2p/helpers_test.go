package p2p

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// testMachine is the smallest real state machine: type-1 transactions with
// any payload, each sender's nonces in sequence, no block rewards. It keeps
// these tests independent of the ledger and registry packages.
type testMachine struct{}

const txTest = 1

func (testMachine) Genesis(*chain.View) error { return nil }

func (testMachine) CheckTxSanity(tx *wire.Tx) error {
	if tx.Type != txTest {
		return consensus.RuleErrorf(consensus.ErrorKind("ErrTestTxType"), "unknown tx type %d", tx.Type)
	}
	return nil
}

func (testMachine) ApplyTx(v *chain.View, tx *wire.Tx, _ *chain.BlockContext) error {
	k := append([]byte("nonce/"), tx.Sender[:]...)
	n, err := v.GetUint64(k)
	if err != nil {
		return err
	}
	if tx.Nonce != n {
		return consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d, expected %d", tx.Nonce, n)
	}
	v.PutUint64(k, n+1)
	return nil
}

func (testMachine) FinishBlock(*chain.View, *wire.Block, *chain.BlockContext) error { return nil }

// memPool is an in-memory TxPool that tests can wait on.
type memPool struct {
	mu      sync.Mutex
	txs     map[wire.Hash]*wire.Tx
	hooks   []func(*wire.Tx)
	changed chan struct{} // pinged after every accepted tx
}

var _ TxPool = (*memPool)(nil)

func newMemPool() *memPool {
	return &memPool{txs: map[wire.Hash]*wire.Tx{}, changed: make(chan struct{}, 1)}
}

func (p *memPool) AddTx(tx *wire.Tx) error {
	id := tx.ID()
	p.mu.Lock()
	if _, dup := p.txs[id]; dup {
		p.mu.Unlock()
		return errors.New("already have it")
	}
	p.txs[id] = tx
	hooks := append([]func(*wire.Tx){}, p.hooks...)
	p.mu.Unlock()
	for _, fn := range hooks {
		fn(tx)
	}
	select {
	case p.changed <- struct{}{}:
	default:
	}
	return nil
}

func (p *memPool) OnNewTx(fn func(*wire.Tx)) {
	p.mu.Lock()
	p.hooks = append(p.hooks, fn)
	p.mu.Unlock()
}

func (p *memPool) has(id wire.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.txs[id]
	return ok
}

func (p *memPool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.txs)
}

// waitPool waits until cond holds, re-checking whenever the pool changes.
func (p *memPool) wait(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-p.changed:
		case <-deadline.C:
			tb.Fatalf("timed out after %v waiting for %s (pool holds %d)", timeout, what, p.len())
		}
	}
}

// penalty is one call of the penalize hook.
type penalty struct {
	peer   peer.ID
	amount int
	total  float64
	banned bool
}

// testNode is a node in this process: two real chains in Badger
// directories under t.TempDir, in-memory pools and a libp2p host on
// 127.0.0.1.
type testNode struct {
	tb        testing.TB
	net       *consensus.Params
	chains    map[consensus.ChainKind]*chain.Chain
	pools     map[consensus.ChainKind]*memPool
	p2p       *Node
	key       *keys.PrivateKey
	penalties chan penalty
}

var kinds = []consensus.ChainKind{consensus.MetadataChain, consensus.AuctionChain}

func newTestNode(tb testing.TB, mutate ...func(*Config)) *testNode {
	tb.Helper()
	net := consensus.RegTest()
	dir := tb.TempDir()
	tn := &testNode{tb: tb, net: net, chains: map[consensus.ChainKind]*chain.Chain{}, pools: map[consensus.ChainKind]*memPool{},
		penalties: make(chan penalty, 1024)}
	var err error
	if tn.key, err = keys.GenerateKey(); err != nil {
		tb.Fatal(err)
	}
	var handles []ChainHandle
	for _, k := range kinds {
		c, err := chain.Open(chain.Config{Net: net, Kind: k, Dir: filepath.Join(dir, k.String()), StateMachine: testMachine{}, Store: testStore()})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { c.Close() })
		tn.chains[k] = c
		tn.pools[k] = newMemPool()
		handles = append(handles, ChainHandle{Chain: c, TxPool: tn.pools[k]})
	}
	cfg := Config{
		NetworkName: "regtest", BanDuration: time.Hour, SyncInterval: 2 * time.Second,
		IdentityPath: filepath.Join(dir, "p2p.key"), Chains: handles,
		hooks: &hooks{penalty: func(p peer.ID, amount int, total float64, banned bool) {
			select {
			case tn.penalties <- penalty{p, amount, total, banned}:
			default:
			}
		}},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	if tn.p2p, err = New(context.Background(), cfg); err != nil {
		tb.Fatal(err)
	}
	// Registered after the chains' cleanups, so it runs first.
	tb.Cleanup(func() { tn.p2p.Close() })
	if err := tn.p2p.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return tn
}

// testStore keeps Badger small: several nodes share one test process.
func testStore() chain.StoreOptions {
	o := chain.DefaultStoreOptions()
	o.MemTableSize = 16 << 20
	return o
}

func (tn *testNode) chain(k consensus.ChainKind) *chain.Chain { return tn.chains[k] }

func (tn *testNode) connect(other *testNode) {
	tn.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tn.p2p.Connect(ctx, other.p2p.AddrInfo()); err != nil {
		tn.tb.Fatal(err)
	}
}

// mine generates n blocks on one chain (announced by the chain hook).
func (tn *testNode) mine(k consensus.ChainKind, n int, txs func() []*wire.Tx) []wire.Hash {
	tn.tb.Helper()
	hs, err := miner.Generate(context.Background(), tn.chains[k], n, tn.key, tn.key.PubKey().Address(), txs, nil)
	if err != nil {
		tn.tb.Fatal(err)
	}
	return hs
}

// waitPenalty waits for a penalty against p matching cond.
func (tn *testNode) waitPenalty(p peer.ID, timeout time.Duration, what string, cond func(penalty) bool) penalty {
	tn.tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case pen := <-tn.penalties:
			if pen.peer == p && cond(pen) {
				return pen
			}
		case <-deadline.C:
			tn.tb.Fatalf("timed out waiting for %s (peer score %.0f)", what, tn.p2p.Score(p))
		}
	}
}

// waitTip waits, on chain events, until c's tip is want.
func waitTip(tb testing.TB, c *chain.Chain, want wire.Hash, timeout time.Duration) {
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
	for c.Tip().Hash != want {
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("%s chain: tip %s at height %d, want %s", c.Params().Kind, c.Tip().Hash, c.Tip().Height, want)
		}
	}
}

// signedTx builds a valid type-1 transaction for chain c.
func signedTx(c *chain.Chain, key *keys.PrivateKey, nonce uint64, payload string) *wire.Tx {
	tx := &wire.Tx{ChainID: c.Params().ChainID, Type: txTest, Nonce: nonce, Sender: key.PubKey(), Payload: []byte(payload)}
	tx.Sig = key.Sign(tx.SigHash())
	return tx
}

// rogue is a bare libp2p host with gossipsub on a node's topic names, which
// a test drives to send whatever it likes.
type rogue struct {
	h      host.Host
	ps     *pubsub.PubSub
	topics map[string]*pubsub.Topic
}

func newRogue(tb testing.TB) *rogue {
	tb.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	ps, err := pubsub.NewGossipSub(context.Background(), h, pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(), pubsub.WithMessageIdFn(messageID), pubsub.WithMaxMessageSize(MaxGossipBytes))
	if err != nil {
		tb.Fatal(err)
	}
	return &rogue{h: h, ps: ps, topics: map[string]*pubsub.Topic{}}
}

// connect dials target over TCP only: dialling TCP and QUIC at once can
// leave a duplicate connection whose closing makes gossipsub forget the
// target's subscriptions (see heal.go); our nodes repair that, a rogue
// does not.
func (r *rogue) connect(tb testing.TB, target *testNode) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info := target.p2p.AddrInfo()
	info.Addrs = slices.DeleteFunc(info.Addrs, func(a ma.Multiaddr) bool { return isQUIC(a.String()) })
	if err := r.h.Connect(ctx, info); err != nil {
		tb.Fatal(err)
	}
}

// publish sends data on a topic once the target is known to subscribe to
// it. Flood publishing then sends it straight to every such peer, mesh or
// not.
func (r *rogue) publish(tb testing.TB, topic string, data []byte) {
	tb.Helper()
	t := r.topics[topic]
	if t == nil {
		var err error
		if t, err = r.ps.Join(topic); err != nil {
			tb.Fatal(err)
		}
		r.topics[topic] = t
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Poll until the target is listed: pubsub can process a peer's
	// subscriptions before it registers the peer, so no single event says
	// "ready", and a publish before both would not reach it.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for len(t.ListPeers()) == 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			tb.Fatalf("no peer subscribed to %s", topic)
		}
	}
	if err := t.Publish(ctx, data); err != nil {
		tb.Fatalf("rogue publish on %s: %v", topic, err)
	}
}

// solvedHeader grinds the nonce of h until its proof of work is valid on
// regtest (about two tries).
func solvedHeader(h wire.Header) wire.Header {
	target, _ := consensus.CompactToBig(h.Bits)
	for consensus.HashToBig(h.Hash()).Cmp(target) > 0 {
		h.Nonce++
	}
	return h
}

func describe(p PeerInfo) string {
	return fmt.Sprintf("%s score=%.0f banned=%v", p.ID, p.Score, p.Banned)
}

// waitGossipReady waits until n's pubsub lists p as subscribed to the
// block and transaction topics of chain k, so a publish from n reaches p
// directly (flood publishing) rather than depending on timing.
func waitGossipReady(tb testing.TB, n *Node, p peer.ID, k consensus.ChainKind) {
	tb.Helper()
	cn, err := n.chainNet(k)
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !slices.Contains(cn.blocks.ListPeers(), p) || !slices.Contains(cn.txs.ListPeers(), p) {
		select {
		case <-tick.C:
		case <-deadline.C:
			tb.Fatalf("%s gossip to %s not ready", k, p)
		}
	}
}
