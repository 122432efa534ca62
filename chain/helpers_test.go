package chain

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// kvMachine is a small but real state machine for engine tests: type-1
// transactions set "key=value" pairs, each sender's nonce must advance by
// one, and every block credits its reward address with 1 plus its fees, so
// reorganisations have state to rewind that tests can read back.
type kvMachine struct{}

const (
	txSet    = 1
	txReject = 2 // fails in ApplyTx: a state-rule violation
)

// Kinds of the test state machine (a real one declares its own kinds).
const (
	errKVSanity   = consensus.ErrorKind("ErrKVSanity")   // unknown type or payload not key=value
	errKVRejected = consensus.ErrorKind("ErrKVRejected") // a txReject transaction, refused by state
)

func (kvMachine) Genesis(v *View) error {
	v.Put([]byte("genesis"), []byte("yes"))
	return nil
}

func (kvMachine) CheckTxSanity(tx *wire.Tx) error {
	switch tx.Type {
	case txSet, txReject:
	default:
		return consensus.RuleErrorf(errKVSanity, "unknown tx type %d", tx.Type)
	}
	if tx.Type == txSet && !bytes.Contains(tx.Payload, []byte("=")) {
		return consensus.RuleErrorf(errKVSanity, "payload %q is not key=value", tx.Payload)
	}
	return nil
}

func (kvMachine) ApplyTx(v *View, tx *wire.Tx, _ *BlockContext) error {
	nk := append([]byte("nonce/"), tx.Sender[:]...)
	n, err := v.GetUint64(nk)
	if err != nil {
		return err
	}
	if tx.Nonce != n {
		return consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d, expected %d", tx.Nonce, n)
	}
	v.PutUint64(nk, n+1)
	if tx.Type == txReject {
		return consensus.RuleErrorf(errKVRejected, "rejected by state")
	}
	k, val, _ := bytes.Cut(tx.Payload, []byte("="))
	v.Put(append([]byte("kv/"), k...), val)
	return nil
}

func (kvMachine) FinishBlock(v *View, blk *wire.Block, _ *BlockContext) error {
	credit := uint64(1)
	for _, tx := range blk.Txs {
		credit += tx.Fee
	}
	k := append([]byte("reward/"), blk.Header.Reward[:]...)
	n, err := v.GetUint64(k)
	if err != nil {
		return err
	}
	v.PutUint64(k, n+credit)
	return nil
}

// harness is one chain in a temp directory with a miner key and a fixed,
// controllable clock.
type harness struct {
	t      testing.TB
	c      *Chain
	dir    string
	net    *consensus.Params
	key    *keys.PrivateKey
	clock  time.Time
	config Config
}

func newHarness(t testing.TB, net *consensus.Params) *harness {
	t.Helper()
	return newHarnessDir(t, net, t.TempDir())
}

// newHarnessDir is newHarness on a given data directory (a crashed
// child's, a corrupted one). The chain is closed at cleanup unless the
// test already closed it.
func newHarnessDir(t testing.TB, net *consensus.Params, dir string) *harness {
	t.Helper()
	key, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, net: net, key: key, clock: time.UnixMilli(net.Metadata.GenesisTime).Add(time.Hour)}
	h.config = Config{Net: net, Kind: consensus.MetadataChain, StateMachine: kvMachine{}, Now: func() time.Time { return h.clock }}
	h.open()
	t.Cleanup(func() {
		if h.c != nil {
			h.c.Close()
		}
	})
	return h
}

// close closes the chain so a test can tamper with its directory.
func (h *harness) close() {
	h.t.Helper()
	if err := h.c.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.c = nil
}

func (h *harness) open() {
	h.t.Helper()
	cfg := h.config
	cfg.Dir = h.dir
	c, err := Open(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
}

func (h *harness) reopen() {
	h.t.Helper()
	h.close()
	h.open()
}

// signTx builds a signed kv transaction for this chain.
func signTx(c *Chain, key *keys.PrivateKey, typ uint16, nonce, fee uint64, payload string) *wire.Tx {
	tx := &wire.Tx{ChainID: c.params.ChainID, Type: typ, Nonce: nonce, Fee: fee, Sender: key.PubKey(), Payload: []byte(payload)}
	tx.Sig = key.Sign(tx.SigHash())
	return tx
}

// child builds a valid, solved block on parent with the given txs, without
// going through the chain (so tests can build side branches and break
// rules on purpose before solving). The state root is computed by
// replaying on a scratch chain only when the parent is the tip; otherwise
// callers use mineOn.
func (h *harness) solve(hdr *wire.Header) {
	h.t.Helper()
	hdr.MinerKey = h.key.PubKey()
	hdr.MinerSig = h.key.Sign(hdr.SigningHash())
	target, _ := consensus.CompactToBig(hdr.Bits)
	for ; consensus.HashToBig(hdr.Hash()).Cmp(target) > 0; hdr.Nonce++ {
	}
}

// mine extends the current tip by one block with txs and the harness
// reward address (or reward, if given), returning the accepted block.
func (h *harness) mine(txs ...*wire.Tx) *wire.Block {
	h.t.Helper()
	blk := h.template(txs...)
	if _, err := h.c.ProcessBlock(context.Background(), blk); err != nil {
		h.t.Fatalf("mine: %v", err)
	}
	return blk
}

// template returns a solved block on the tip without processing it.
func (h *harness) template(txs ...*wire.Tx) *wire.Block {
	h.t.Helper()
	h.clock = h.clock.Add(time.Second)
	tmpl, err := h.c.NewTemplate(TemplateRequest{Reward: h.key.PubKey().Address(), MinerKey: h.key.PubKey(), Txs: txs})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(tmpl.Rejected) > 0 {
		h.t.Fatalf("template rejected %v", tmpl.Rejected[0].Err)
	}
	h.solve(&tmpl.Block.Header)
	return tmpl.Block
}

func (h *harness) state(key string) (string, bool) {
	h.t.Helper()
	var out []byte
	var found bool
	err := h.c.ReadState(func(v *View, _ TipInfo) error {
		var err error
		out, found, err = v.Get([]byte(key))
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return string(out), found
}

func (h *harness) reward(addr keys.Address) uint64 {
	v, ok := h.state("reward/" + string(addr[:]))
	if !ok {
		return 0
	}
	return binary.BigEndian.Uint64([]byte(v))
}

func mustEqual[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

var _ = fmt.Sprintf

// resolve re-signs and re-solves a header after a test mutated it, so the
// only rule broken is the one the case targets.
func (h *harness) resolve(blk *wire.Block) {
	h.t.Helper()
	blk.Header.Nonce = 0
	h.solve(&blk.Header)
}

func fixRoot(blk *wire.Block) { blk.Header.TxRoot = wire.TxRoot(blk.Txs) }

// feed processes blocks in order, tolerating ones already known.
func feed(t testing.TB, c *Chain, blocks ...*wire.Block) {
	t.Helper()
	for _, b := range blocks {
		if _, err := c.ProcessBlock(context.Background(), b); err != nil && !errors.Is(err, consensus.ErrDuplicateBlock) {
			t.Fatalf("feed block %d: %v", b.Header.Height, err)
		}
	}
}

func mustState(t testing.TB, h *harness, key string) string {
	t.Helper()
	v, ok := h.state(key)
	if !ok {
		t.Fatalf("state %q missing", key)
	}
	return v
}

// dumpState reads every committed state entry of the chain straight from
// the store, so two chains can be compared in full.
func dumpState(t testing.TB, c *Chain) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixState}, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key()[1:])] = string(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameChain asserts that two chains have the same tip, the same state root
// and the same state, entry by entry.
func sameChain(t testing.TB, what string, a, b *Chain) {
	t.Helper()
	ta, tb := a.Tip(), b.Tip()
	if ta.Hash != tb.Hash || ta.Height != tb.Height || ta.Work.Cmp(tb.Work) != 0 {
		t.Fatalf("%s: tips differ: %s@%d vs %s@%d", what, ta.Hash, ta.Height, tb.Hash, tb.Height)
	}
	mustEqual(t, what+": state root", a.TipHeader().StateRoot, b.TipHeader().StateRoot)
	mustEqual(t, what+": commitment", wire.Hash(a.commitment.Sum()), a.TipHeader().StateRoot)
	sa, sb := dumpState(t, a), dumpState(t, b)
	if len(sa) != len(sb) {
		t.Fatalf("%s: %d state entries vs %d", what, len(sa), len(sb))
	}
	for k, v := range sa {
		if w, ok := sb[k]; !ok || w != v {
			t.Fatalf("%s: state %q is %x vs %x (present %v)", what, k, v, w, ok)
		}
	}
}

// syncClocks sets both harness clocks to the later of the two, so blocks
// one mines are not from the future for the other.
func syncClocks(hs ...*harness) {
	var latest time.Time
	for _, h := range hs {
		if h.clock.After(latest) {
			latest = h.clock
		}
	}
	for _, h := range hs {
		h.clock = latest
	}
}

// subscribe records every event the chain delivers.
func subscribe(c *Chain) *[]Event {
	var mu sync.Mutex
	events := &[]Event{}
	c.Subscribe(func(ev Event) {
		mu.Lock()
		*events = append(*events, ev)
		mu.Unlock()
	})
	return events
}

func hashes(blocks []*wire.Block) []wire.Hash {
	out := make([]wire.Hash, len(blocks))
	for i, b := range blocks {
		out[i] = b.Hash()
	}
	return out
}

func newKey(t testing.TB) (*keys.PrivateKey, keys.Address) {
	t.Helper()
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k, k.PubKey().Address()
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
