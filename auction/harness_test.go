package auction

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// fakeMeta is an in-memory metadata chain: a tree of blocks (hash,
// height, parent, reward address), a main chain through it, and each
// device's history of states by height (read on the main chain). Main
// chain blocks grown with grow have the same hash at the same height in
// every fakeMeta, so two fakes model one metadata chain seen by two nodes.
// The node's adapter to the real metadata chain is tested in the node.
type fakeMeta struct {
	mu      sync.Mutex
	main    []wire.Hash // index = height; 0 is genesis
	blocks  map[wire.Hash]fakeBlock
	devices map[keys.PubKey][]devState
	forks   int
}

type fakeBlock struct {
	height  uint64
	parent  wire.Hash
	reward  keys.Address
	invalid bool
}

type devState struct {
	from uint64 // effective from this height on
	info DeviceInfo
	ok   bool
}

var _ Metadata = (*fakeMeta)(nil)

func newFakeMeta() *fakeMeta {
	g := sha256.Sum256([]byte("meta genesis"))
	return &fakeMeta{main: []wire.Hash{g}, blocks: map[wire.Hash]fakeBlock{g: {}}, devices: map[keys.PubKey][]devState{}}
}

func (f *fakeMeta) BlockAt(h uint64) (wire.Hash, keys.Address, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h >= uint64(len(f.main)) {
		return wire.Hash{}, keys.Address{}, false, nil
	}
	return f.main[h], f.blocks[f.main[h]].reward, true, nil
}

func (f *fakeMeta) TipHeight() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return uint64(len(f.main) - 1)
}

func (f *fakeMeta) Block(hash wire.Hash) (MetaBlock, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blocks[hash]
	if !ok {
		return MetaBlock{}, false, nil
	}
	info := MetaBlock{Height: b.height, HaveData: true, Invalid: b.invalid}
	if b.height < uint64(len(f.main)) && f.main[b.height] == hash {
		info.MainChain, info.Depth = true, uint64(len(f.main)-1)-b.height
	}
	return info, true, nil
}

func (f *fakeMeta) AncestorAt(hash wire.Hash, h uint64) (wire.Hash, keys.Address, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blocks[hash]
	for ok && b.height > h {
		hash = b.parent
		b, ok = f.blocks[hash]
	}
	if !ok || b.height != h {
		return wire.Hash{}, keys.Address{}, false, nil
	}
	return hash, b.reward, true, nil
}

func (f *fakeMeta) DeviceAt(d keys.PubKey, at wire.Anchor) (DeviceInfo, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if at.Height >= uint64(len(f.main)) || f.main[at.Height] != at.Hash {
		return DeviceInfo{}, false, fmt.Errorf("%w: fake metadata block %s not on the main chain", ErrAnchorPending, at.Hash)
	}
	var cur devState
	for _, s := range f.devices[d] {
		if s.from <= at.Height {
			cur = s
		}
	}
	return cur.info, cur.ok, nil
}

// grow appends n metadata blocks mined by reward to the main chain.
func (f *fakeMeta) grow(n int, reward keys.Address) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		h := uint64(len(f.main))
		hash := wire.Hash(sha256.Sum256(binary.BigEndian.AppendUint64([]byte("meta"), h)))
		f.blocks[hash] = fakeBlock{height: h, parent: f.main[h-1], reward: reward}
		f.main = append(f.main, hash)
	}
}

// fork adds a side branch of n blocks on the main-chain block at height
// from, leaving the main chain as it is, and returns its hashes.
func (f *fakeMeta) fork(from uint64, n int, reward keys.Address) []wire.Hash {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forks++
	parent := f.main[from]
	var out []wire.Hash
	for i := 1; i <= n; i++ {
		h := from + uint64(i)
		hash := wire.Hash(sha256.Sum256(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte("side"), uint64(f.forks)), h)))
		f.blocks[hash] = fakeBlock{height: h, parent: parent, reward: reward}
		out = append(out, hash)
		parent = hash
	}
	return out
}

// reorgTo makes the branch ending at tip the main chain.
func (f *fakeMeta) reorgTo(tip wire.Hash) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.blocks[tip]
	main := make([]wire.Hash, b.height+1)
	for hash := tip; ; {
		b := f.blocks[hash]
		main[b.height] = hash
		if b.height == 0 {
			break
		}
		hash = b.parent
	}
	f.main = main
}

// invalidSide adds a side branch of n blocks on the main-chain block at
// height from whose first block is invalid, returning its last hash.
func (f *fakeMeta) invalidSide(from uint64, n int) wire.Hash {
	hs := f.fork(from, n, keys.Address{0xee})
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, h := range hs {
		b := f.blocks[h]
		b.invalid = true
		f.blocks[h] = b
	}
	return hs[len(hs)-1]
}

// setDevice records a device state in a new metadata block.
func (f *fakeMeta) setDevice(d keys.PubKey, info DeviceInfo, ok bool, reward keys.Address) {
	f.grow(1, reward)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.devices[d] = append(f.devices[d], devState{from: uint64(len(f.main) - 1), info: info, ok: ok})
}

// tnode is one auction chain on a temp Badger directory with the real
// auction machine.
type tnode struct {
	t     testing.TB
	net   *consensus.Params
	meta  Metadata
	c     *chain.Chain
	dir   string
	miner *keys.PrivateKey
	store chain.StoreOptions
	// noAnchor makes mine carry the previous anchor instead of choosing one.
	noAnchor bool
}

func newTNode(t testing.TB, net *consensus.Params, meta Metadata) *tnode {
	t.Helper()
	n := &tnode{t: t, net: net, meta: meta, dir: t.TempDir()}
	n.miner = mustKey(t)
	n.open()
	t.Cleanup(func() {
		if n.c != nil {
			n.c.Close()
		}
	})
	return n
}

func (n *tnode) open() {
	n.t.Helper()
	c, err := chain.Open(chain.Config{Net: n.net, Kind: consensus.AuctionChain, Dir: n.dir, Store: n.store, StateMachine: NewMachine(n.net, n.meta)})
	if err != nil {
		n.t.Fatal(err)
	}
	n.c = c
}

func mustKey(t testing.TB) *keys.PrivateKey {
	t.Helper()
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (n *tnode) view(fn func(v *chain.View) error) {
	n.t.Helper()
	if err := n.c.ReadState(func(v *chain.View, _ chain.TipInfo) error { return fn(v) }); err != nil {
		n.t.Fatal(err)
	}
}

func (n *tnode) anchor() wire.Anchor {
	n.t.Helper()
	if n.noAnchor {
		return wire.Anchor{}
	}
	var last wire.Anchor
	n.view(func(v *chain.View) (err error) { last, err = LastAnchor(v); return })
	a, err := ChooseAnchor(n.net, n.meta, last)
	if err != nil {
		n.t.Fatal(err)
	}
	return a
}

// build returns a solved block on the tip with exactly txs (failing the
// test if any is rejected) and the given anchor.
func (n *tnode) build(anchor wire.Anchor, txs ...*wire.Tx) *wire.Block {
	n.t.Helper()
	tmpl, err := n.c.NewTemplate(chain.TemplateRequest{Reward: n.miner.PubKey().Address(), MinerKey: n.miner.PubKey(), Txs: txs, Anchor: anchor})
	if err != nil {
		n.t.Fatal(err)
	}
	if len(tmpl.Rejected) > 0 {
		n.t.Fatalf("template rejected a transaction: %v", tmpl.Rejected[0].Err)
	}
	blk := tmpl.Block
	blk.Header.MinerKey = n.miner.PubKey()
	blk.Header.MinerSig = n.miner.Sign(blk.Header.SigningHash())
	if !miner.Solve(context.Background(), &blk.Header, 1, nil) {
		n.t.Fatal("could not solve")
	}
	return blk
}

// mine connects a block of exactly txs with a freshly chosen anchor.
func (n *tnode) mine(txs ...*wire.Tx) *wire.Block {
	n.t.Helper()
	blk := n.build(n.anchor(), txs...)
	res, err := n.c.ProcessBlock(context.Background(), blk)
	if err != nil {
		n.t.Fatal(err)
	}
	if !res.MainTip {
		n.t.Fatal("mined block is not the tip")
	}
	return blk
}

// mineTo mines empty blocks until the tip is at height h.
func (n *tnode) mineTo(h uint64) {
	n.t.Helper()
	for n.c.Tip().Height < h {
		n.mine()
	}
}

// apply checks one tx against the tip state (as the mempool would, with
// the tip's anchor) and returns its rule error.
func (n *tnode) apply(tx *wire.Tx) error {
	n.t.Helper()
	if err := n.c.CheckTxSanity(tx); err != nil {
		return err
	}
	errs, _, err := n.c.ApplyOnTip([]*wire.Tx{tx})
	if err != nil {
		return err
	}
	return errs[0]
}

func (n *tnode) balance(a keys.Address) uint64 {
	n.t.Helper()
	var acct ledger.Account
	n.view(func(v *chain.View) (err error) { acct, err = ledger.GetAccount(v, a); return })
	return acct.Balance
}

func (n *tnode) nonce(k *keys.PrivateKey) uint64 {
	n.t.Helper()
	var acct ledger.Account
	n.view(func(v *chain.View) (err error) { acct, err = ledger.GetAccount(v, k.PubKey().Address()); return })
	return acct.Nonce
}

func (n *tnode) auction(id wire.Hash) *Auction {
	n.t.Helper()
	var a *Auction
	n.view(func(v *chain.View) (err error) { a, err = GetAuction(v, id); return })
	if a == nil {
		n.t.Fatalf("no auction %s", id)
	}
	return a
}

func (n *tnode) bid(id wire.Hash, bidder keys.Address) *Bid {
	n.t.Helper()
	var b *Bid
	n.view(func(v *chain.View) (err error) { b, err = GetBid(v, id, bidder); return })
	if b == nil {
		n.t.Fatalf("no bid of %x in %s", bidder, id)
	}
	return b
}

// conserved asserts that the balances of addrs, the escrow and the
// metadata pool add up to the supply. addrs must cover every address
// that ever held coin.
func (n *tnode) conserved(when string, addrs map[keys.Address]bool) {
	n.t.Helper()
	var total, supply, escrow, pool uint64
	n.view(func(v *chain.View) error {
		var err error
		if supply, err = ledger.Supply(v); err != nil {
			return err
		}
		if escrow, err = Escrow(v); err != nil {
			return err
		}
		if pool, err = MetadataPool(v); err != nil {
			return err
		}
		for a := range addrs {
			acct, err := ledger.GetAccount(v, a)
			if err != nil {
				return err
			}
			total += acct.Balance
		}
		return nil
	})
	if total+escrow+pool != supply {
		n.t.Fatalf("%s: balances %d + escrow %d + pool %d = %d, supply %d (off by %d)", when, total, escrow, pool, total+escrow+pool, supply, int64(total+escrow+pool-supply))
	}
}

func faucet(t testing.TB, net *consensus.Params) *keys.PrivateKey {
	k, ok := ledger.FaucetKey(net)
	if !ok {
		t.Fatal("no faucet")
	}
	return k
}

// world is a test scene: a node, its metadata chain, a faucet, and
// devices with owners.
type world struct {
	*tnode
	fm      *fakeMeta
	faucet  *keys.PrivateKey
	fNonce  uint64
	metaMin keys.Address
	addrs   map[keys.Address]bool
	terms   Terms
}

func newWorld(t testing.TB, net *consensus.Params) *world {
	t.Helper()
	fm := newFakeMeta()
	w := &world{fm: fm, faucet: faucet(t, net), addrs: map[keys.Address]bool{}}
	w.tnode = newTNode(t, net, fm)
	w.metaMin = mustKey(t).PubKey().Address()
	w.terms = Terms{ReservePerPoint: 10, PointsPerPeriod: 100, AccessPeriodSeconds: 60}
	fm.grow(3, w.metaMin)
	w.track(w.faucet.PubKey().Address(), w.miner.PubKey().Address(), w.metaMin)
	return w
}

func (w *world) track(as ...keys.Address) {
	for _, a := range as {
		w.addrs[a] = true
	}
}

// user makes a funded account.
func (w *world) users(n int, amount uint64) []*keys.PrivateKey {
	w.t.Helper()
	var ks []*keys.PrivateKey
	var txs []*wire.Tx
	for i := 0; i < n; i++ {
		k := mustKey(w.t)
		ks = append(ks, k)
		w.track(k.PubKey().Address())
		txs = append(txs, ledger.NewTransfer(w.net, w.faucet, k.PubKey().Address(), amount, 0, w.fNonce))
		w.fNonce++
	}
	w.mine(txs...)
	return ks
}

// device makes an auctionable device with a fresh owner, deep enough to
// be anchored after the next block.
func (w *world) device() (dev, owner *keys.PrivateKey) {
	dev, owner = mustKey(w.t), mustKey(w.t)
	w.track(dev.PubKey().Address(), owner.PubKey().Address())
	w.fm.setDevice(dev.PubKey(), DeviceInfo{Owner: owner.PubKey().Address(), Auctionable: true, Terms: w.terms}, true, w.metaMin)
	w.fm.grow(int(w.net.Auction.AnchorDepth), w.metaMin)
	return dev, owner
}

func (w *world) check(when string) { w.t.Helper(); w.conserved(when, w.addrs) }

func wantKind(t testing.TB, what string, err error, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got %v, want %v", what, err, kind)
	}
}
