package chain

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// mkTx builds a kv transaction for h's chain, lets mod change any field,
// then signs it, so a test can break exactly one envelope field.
func mkTx(h *harness, key *keys.PrivateKey, nonce uint64, payload string, mod func(*wire.Tx)) *wire.Tx {
	tx := &wire.Tx{ChainID: h.c.params.ChainID, Type: txSet, Nonce: nonce, Fee: 1, Sender: key.PubKey(), Payload: []byte(payload)}
	if mod != nil {
		mod(tx)
	}
	tx.Sig = key.Sign(tx.SigHash())
	return tx
}

// asertNet is TestNet with the easiest starting difficulty, so the ASERT
// schedule applies (unlike regtest) but blocks still solve instantly.
func asertNet() *consensus.Params {
	p := consensus.TestNet()
	p.Metadata.GenesisBits = 0x207fffff
	return p
}

// signOnly signs a header without solving it (for bits no nonce can meet).
func (h *harness) signOnly(hdr *wire.Header) {
	hdr.MinerKey = h.key.PubKey()
	hdr.MinerSig = h.key.Sign(hdr.SigningHash())
}

// unsolve picks the first nonce whose hash is above the header's target.
func unsolve(hdr *wire.Header) {
	target, _ := consensus.CompactToBig(hdr.Bits)
	for hdr.Nonce = 0; consensus.HashToBig(hdr.Hash()).Cmp(target) <= 0; hdr.Nonce++ {
	}
}

type stage int

const (
	stageHeader  stage = iota + 1 // checkHeaderSanity: not stored
	stageBlock                    // rest of checkBlockSanity: not stored
	stageContext                  // checkHeaderContext: not stored
	stageState                    // connectBlock: stored, then marked invalid
)

type ruleCase struct {
	name    string
	net     func() *consensus.Params // nil: regtest
	premine int                      // blocks mined before the case; -1 for none
	setup   func(h *harness)         // after premining (e.g. reopen with other Config)
	txs     func(h *harness) []*wire.Tx
	mutate  func(h *harness, b *wire.Block)
	want    error // nil: the block must be accepted as the new tip
	stage   stage
}

// TestBlockRules is the table of every header and block rule: each case
// starts from a valid solved block on the tip (built by NewTemplate, so tx
// root and state root are right), breaks exactly one rule, re-signs and
// re-solves, and must be refused with that rule's kind, by ProcessBlock and
// by ProcessBlockBytes alike, without moving the tip or touching state.
// The valid cases (including every rule's boundary) must be accepted.
func TestBlockRules(t *testing.T) {
	user, _ := newKey(t)
	user2, _ := newKey(t)
	other, _ := newKey(t)
	oneTx := func(h *harness) []*wire.Tx { return []*wire.Tx{mkTx(h, user, 0, "a=1", nil)} }
	twoTxs := func(h *harness) []*wire.Tx {
		return []*wire.Tx{mkTx(h, user, 0, "a=1", nil), mkTx(h, user2, 0, "b=2", nil)}
	}
	cases := []ruleCase{
		// Valid blocks, including each rule's boundary.
		{name: "valid empty block"},
		{name: "valid block with transactions", txs: twoTxs},
		{name: "valid first block after genesis", premine: -1, txs: oneTx},
		{name: "valid timestamp one ms after median time past", mutate: func(h *harness, b *wire.Block) {
			b.Header.Timestamp = h.c.tipNode().medianTimePast() + 1
			h.resolve(b)
		}},
		{name: "valid timestamp exactly at the future limit", mutate: func(h *harness, b *wire.Block) {
			b.Header.Timestamp = h.clock.Add(h.net.Metadata.MaxFutureDrift).UnixMilli()
			h.resolve(b)
		}},
		{name: "valid block exactly at the size limit", txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			h.net.Metadata.MaxBlockBytes = len(b.Encode())
		}},
		{name: "valid block exactly at the tx count limit", txs: twoTxs, mutate: func(h *harness, b *wire.Block) {
			h.net.Metadata.MaxBlockTxs = 2
		}},
		{name: "valid tx expiring at this height", txs: func(h *harness) []*wire.Tx {
			return []*wire.Tx{mkTx(h, user, 0, "a=1", func(tx *wire.Tx) { tx.Expiry = h.c.Tip().Height + 1 })}
		}},
		{name: "valid block on the ASERT schedule", net: asertNet, mutate: func(h *harness, b *wire.Block) {
			if b.Header.Bits == h.net.Metadata.GenesisBits {
				t.Error("ASERT did not retarget: the case tests nothing")
			}
		}},
		{name: "valid block from an admitted miner", setup: func(h *harness) {
			admitted := h.key.PubKey()
			h.config.MinerAllowed = func(k keys.PubKey) error {
				if k != admitted {
					return errors.New("not admitted")
				}
				return nil
			}
			h.reopen()
		}},

		// Header sanity.
		{name: "wrong chain ID (auction chain)", stage: stageHeader, want: consensus.ErrWrongChain, mutate: func(h *harness, b *wire.Block) {
			b.Header.ChainID = h.net.Auction.ChainID
			h.resolve(b)
		}},
		{name: "wrong chain ID (other network)", stage: stageHeader, want: consensus.ErrWrongChain, mutate: func(h *harness, b *wire.Block) {
			b.Header.ChainID = consensus.MainNet().Metadata.ChainID
			h.resolve(b)
		}},
		{name: "version 0", stage: stageHeader, want: consensus.ErrBadVersion, mutate: func(h *harness, b *wire.Block) {
			b.Header.Version = 0
			h.resolve(b)
		}},
		{name: "version 2", stage: stageHeader, want: consensus.ErrBadVersion, mutate: func(h *harness, b *wire.Block) {
			b.Header.Version = consensus.CurrentHeaderVersion + 1
			h.resolve(b)
		}},
		{name: "bits easier than the PoW limit", stage: stageHeader, want: consensus.ErrBitsOutOfRange, mutate: func(h *harness, b *wire.Block) {
			b.Header.Bits = 0x2100ffff
			h.resolve(b)
		}},
		{name: "bits negative", stage: stageHeader, want: consensus.ErrBitsOutOfRange, mutate: func(h *harness, b *wire.Block) {
			b.Header.Bits = 0x1d800001 // no nonce can meet it; the encoding itself is refused
			h.signOnly(&b.Header)
		}},
		{name: "bits zero target", stage: stageHeader, want: consensus.ErrBitsOutOfRange, mutate: func(h *harness, b *wire.Block) {
			b.Header.Bits = 0
			h.signOnly(&b.Header)
		}},
		{name: "bits overflowing 256 bits", stage: stageHeader, want: consensus.ErrBitsOutOfRange, mutate: func(h *harness, b *wire.Block) {
			b.Header.Bits = 0xff123456
			h.resolve(b)
		}},
		{name: "hash above target (regtest)", stage: stageHeader, want: consensus.ErrHighHash, mutate: func(h *harness, b *wire.Block) {
			unsolve(&b.Header)
		}},
		{name: "hash above target (testnet difficulty, unsolved)", stage: stageHeader, want: consensus.ErrHighHash,
			net: consensus.TestNet, premine: -1, mutate: func(h *harness, b *wire.Block) {
				unsolve(&b.Header) // harness.template could not solve at this difficulty; it did not need to
			}},
		{name: "miner signature by another key", stage: stageHeader, want: consensus.ErrBadMinerSig, mutate: func(h *harness, b *wire.Block) {
			b.Header.MinerSig = other.Sign(b.Header.SigningHash())
			h.solveOnly(b)
		}},
		{name: "header changed after signing", stage: stageHeader, want: consensus.ErrBadMinerSig, mutate: func(h *harness, b *wire.Block) {
			b.Header.Reward[0] ^= 1
			h.solveOnly(b)
		}},
		{name: "zero miner signature", stage: stageHeader, want: consensus.ErrBadMinerSig, mutate: func(h *harness, b *wire.Block) {
			b.Header.MinerSig = [wire.SignatureSize]byte{}
			h.solveOnly(b)
		}},
		{name: "malformed miner key", stage: stageHeader, want: consensus.ErrBadMinerSig, mutate: func(h *harness, b *wire.Block) {
			b.Header.MinerKey[0] = 0x05
			h.solveOnly(b)
		}},

		// Block sanity.
		{name: "block one byte over the size limit", stage: stageBlock, want: consensus.ErrBlockTooBig, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			h.net.Metadata.MaxBlockBytes = len(b.Encode()) - 1
		}},
		{name: "one transaction over the count limit", stage: stageBlock, want: consensus.ErrTooManyTxs, txs: twoTxs, mutate: func(h *harness, b *wire.Block) {
			h.net.Metadata.MaxBlockTxs = 1
		}},
		{name: "tx root flipped", stage: stageBlock, want: consensus.ErrBadTxRoot, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			b.Header.TxRoot[0] ^= 1
			h.resolve(b)
		}},
		{name: "tx root on an empty block", stage: stageBlock, want: consensus.ErrBadTxRoot, mutate: func(h *harness, b *wire.Block) {
			b.Header.TxRoot = wire.DoubleSHA256(nil)
			h.resolve(b)
		}},
		{name: "transactions reordered under the old root", stage: stageBlock, want: consensus.ErrBadTxRoot, txs: twoTxs, mutate: func(h *harness, b *wire.Block) {
			b.Txs[0], b.Txs[1] = b.Txs[1], b.Txs[0]
		}},
		{name: "transaction dropped under the old root", stage: stageBlock, want: consensus.ErrBadTxRoot, txs: twoTxs, mutate: func(h *harness, b *wire.Block) {
			b.Txs = b.Txs[:1]
		}},
		{name: "duplicate transaction", stage: stageBlock, want: consensus.ErrDuplicateTx, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			b.Txs = append(b.Txs, b.Txs[0])
			fixRoot(b)
			h.resolve(b)
		}},
		// NewTemplate applies what the state machine accepts, so these
		// blocks carry a correct state root: only the envelope is wrong.
		{name: "transaction for the auction chain", stage: stageBlock, want: consensus.ErrTxWrongChain, txs: func(h *harness) []*wire.Tx {
			return []*wire.Tx{mkTx(h, user, 0, "a=1", func(tx *wire.Tx) { tx.ChainID = h.net.Auction.ChainID })}
		}},
		{name: "transaction for another network", stage: stageBlock, want: consensus.ErrTxWrongChain, txs: func(h *harness) []*wire.Tx {
			return []*wire.Tx{mkTx(h, user, 0, "a=1", nil), mkTx(h, user2, 0, "b=1", func(tx *wire.Tx) { tx.ChainID = consensus.TestNet().Metadata.ChainID })}
		}},
		{name: "transaction signed by another key", stage: stageBlock, want: consensus.ErrTxBadSig, txs: func(h *harness) []*wire.Tx {
			tx := mkTx(h, user, 0, "a=1", nil)
			tx.Sig = other.Sign(tx.SigHash())
			return []*wire.Tx{tx}
		}},
		{name: "transaction changed after signing", stage: stageBlock, want: consensus.ErrTxBadSig, txs: func(h *harness) []*wire.Tx {
			tx := mkTx(h, user, 0, "a=1", nil)
			tx.Fee++
			return []*wire.Tx{mkTx(h, user2, 0, "b=1", nil), tx}
		}},
		{name: "transaction with a malformed sender key", stage: stageBlock, want: consensus.ErrTxBadSig, txs: func(h *harness) []*wire.Tx {
			tx := mkTx(h, user, 0, "a=1", nil)
			tx.Sender[0] = 0x07
			return []*wire.Tx{tx}
		}},
		{name: "payload without '='", stage: stageBlock, want: errKVSanity, txs: func(h *harness) []*wire.Tx {
			return []*wire.Tx{mkTx(h, user, 0, "no equals sign", nil)}
		}},
		{name: "unknown transaction type", stage: stageBlock, want: errKVSanity, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			b.Txs[0] = mkTx(h, user, 0, "a=1", func(tx *wire.Tx) { tx.Type = 99 })
			fixRoot(b)
			h.resolve(b)
		}},

		// Header context.
		{name: "height skips one", stage: stageContext, want: consensus.ErrBadHeight, mutate: func(h *harness, b *wire.Block) {
			b.Header.Height++
			h.resolve(b)
		}},
		{name: "height equal to the parent's", stage: stageContext, want: consensus.ErrBadHeight, mutate: func(h *harness, b *wire.Block) {
			b.Header.Height--
			h.resolve(b)
		}},
		{name: "regtest bits other than GenesisBits", stage: stageContext, want: consensus.ErrUnexpectedBits, mutate: func(h *harness, b *wire.Block) {
			b.Header.Bits = 0x207ffffe
			h.resolve(b)
		}},
		{name: "ASERT: bits at the limit when the schedule is harder", stage: stageContext, want: consensus.ErrUnexpectedBits, net: asertNet, mutate: func(h *harness, b *wire.Block) {
			if b.Header.Bits == h.net.Metadata.GenesisBits {
				t.Fatal("ASERT did not retarget")
			}
			b.Header.Bits = h.net.Metadata.GenesisBits
			h.resolve(b)
		}},
		{name: "ASERT: bits harder than the schedule", stage: stageContext, want: consensus.ErrUnexpectedBits, net: asertNet, mutate: func(h *harness, b *wire.Block) {
			target, _ := consensus.CompactToBig(b.Header.Bits)
			b.Header.Bits = consensus.BigToCompact(target.Rsh(target, 1))
			h.resolve(b)
		}},
		{name: "timestamp at median time past", stage: stageContext, want: consensus.ErrTimeTooOld, mutate: func(h *harness, b *wire.Block) {
			b.Header.Timestamp = h.c.tipNode().medianTimePast()
			h.resolve(b)
		}},
		{name: "timestamp before genesis", stage: stageContext, want: consensus.ErrTimeTooOld, mutate: func(h *harness, b *wire.Block) {
			b.Header.Timestamp = h.net.Metadata.GenesisTime - 1
			h.resolve(b)
		}},
		{name: "timestamp one ms past the future limit", stage: stageContext, want: consensus.ErrTimeTooNew, mutate: func(h *harness, b *wire.Block) {
			b.Header.Timestamp = h.clock.Add(h.net.Metadata.MaxFutureDrift + time.Millisecond).UnixMilli()
			h.resolve(b)
		}},
		{name: "miner not admitted", stage: stageContext, want: consensus.ErrMinerNotAdmitted, setup: func(h *harness) {
			h.config.MinerAllowed = func(keys.PubKey) error { return errors.New("not on the list") }
			h.reopen()
		}},

		// State.
		{name: "state root mismatch", stage: stageState, want: consensus.ErrBadStateRoot, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			b.Header.StateRoot[3] ^= 0x40
			h.resolve(b)
		}},
		{name: "state root of the parent", stage: stageState, want: consensus.ErrBadStateRoot, mutate: func(h *harness, b *wire.Block) {
			b.Header.StateRoot = h.c.TipHeader().StateRoot
			h.resolve(b)
		}},
		{name: "nonce ahead of the sender's next", stage: stageState, want: consensus.ErrBadNonce, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			b.Txs[0] = mkTx(h, user, 5, "a=1", nil)
			fixRoot(b)
			h.resolve(b)
		}},
		{name: "nonce reused within the block", stage: stageState, want: consensus.ErrBadNonce, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			b.Txs = append(b.Txs, mkTx(h, user, 0, "a=2", nil))
			fixRoot(b)
			h.resolve(b)
		}},
		{name: "transaction expired one block ago", stage: stageState, want: consensus.ErrTxExpired, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			b.Txs[0] = mkTx(h, user, 0, "a=1", func(tx *wire.Tx) { tx.Expiry = b.Header.Height - 1 })
			fixRoot(b)
			h.resolve(b)
		}},
		{name: "transaction the state machine refuses", stage: stageState, want: errKVRejected, txs: oneTx, mutate: func(h *harness, b *wire.Block) {
			b.Txs[0] = mkTx(h, user, 0, "a=1", func(tx *wire.Tx) { tx.Type = txReject })
			fixRoot(b)
			h.resolve(b)
		}},
	}
	for _, tc := range cases {
		// A block refused before it is stored leaves the chain as it was,
		// so both entry points are tried on one chain; a stored (valid or
		// state-invalid) block needs a chain per entry point.
		runs := map[string][]bool{"ProcessBlock+Bytes": {false, true}}
		if tc.want == nil || tc.stage == stageState {
			runs = map[string][]bool{"ProcessBlock": {false}, "ProcessBlockBytes": {true}}
		}
		for suffix, via := range runs {
			t.Run(tc.name+"/"+suffix, func(t *testing.T) {
				t.Parallel()
				runRuleCase(t, tc, via)
			})
		}
	}
}

// solveOnly grinds the nonce without re-signing (the case broke the
// signature on purpose).
func (h *harness) solveOnly(b *wire.Block) {
	target, _ := consensus.CompactToBig(b.Header.Bits)
	for b.Header.Nonce = 0; consensus.HashToBig(b.Header.Hash()).Cmp(target) > 0; b.Header.Nonce++ {
	}
}

func runRuleCase(t *testing.T, tc ruleCase, via []bool) {
	net := consensus.RegTest()
	if tc.net != nil {
		net = tc.net()
	}
	h := newHarness(t, net)
	premine := 3
	if tc.premine != 0 {
		premine = max(tc.premine, 0)
	}
	for range premine {
		h.mine()
	}
	if tc.setup != nil {
		tc.setup(h)
	}
	var txs []*wire.Tx
	if tc.txs != nil {
		txs = tc.txs(h)
	}
	var blk *wire.Block
	if net.Metadata.GenesisBits == consensus.TestNet().Metadata.GenesisBits && net.Name == "test" {
		// Too hard to solve in a test: build and sign only.
		h.clock = h.clock.Add(time.Second)
		tmpl, err := h.c.NewTemplate(TemplateRequest{Reward: h.key.PubKey().Address(), MinerKey: h.key.PubKey(), Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		blk = tmpl.Block
		h.signOnly(&blk.Header)
	} else {
		blk = h.template(txs...)
	}
	if tc.mutate != nil {
		tc.mutate(h, blk)
	}
	before := h.c.Tip()
	stateBefore := dumpState(t, h.c)
	for _, viaBytes := range via {
		var res Result
		var err error
		if viaBytes {
			res, err = h.c.ProcessBlockBytes(context.Background(), blk.Encode())
		} else {
			res, err = h.c.ProcessBlock(context.Background(), blk)
		}
		if tc.want == nil {
			if err != nil || !res.MainTip || !res.Accepted || res.Orphan {
				t.Fatalf("valid block refused (bytes %v): %v (result %+v)", viaBytes, err, res)
			}
			mustEqual(t, "tip", h.c.Tip().Hash, blk.Hash())
			mustEqual(t, "height", h.c.Tip().Height, before.Height+1)
			return
		}
		if !errors.Is(err, tc.want) {
			t.Fatalf("bytes %v: got error %v, want kind %v", viaBytes, err, tc.want)
		}
		var rerr consensus.RuleError
		if !errors.As(err, &rerr) || rerr.Kind != tc.want {
			t.Fatalf("error %v is not a RuleError of kind %v", err, tc.want)
		}
		if res.MainTip || res.Orphan {
			t.Fatalf("invalid block reported as %+v", res)
		}
	}
	if tc.stage == stageHeader {
		if herr := h.c.CheckHeaderSanity(&blk.Header); !errors.Is(herr, tc.want) {
			t.Fatalf("CheckHeaderSanity: got %v, want %v", herr, tc.want)
		}
	}
	mustEqual(t, "tip after the invalid block", h.c.Tip().Hash, before.Hash)
	switch tc.stage {
	case stageState:
		// Stored, tried against state, refused and remembered as invalid.
		if !h.c.HaveBlock(blk.Hash()) {
			t.Fatal("block that failed against state was not kept")
		}
		h.c.mu.RLock()
		n := h.c.index[blk.Hash()]
		h.c.mu.RUnlock()
		if n == nil || n.status&statusInvalid == 0 || n.status&statusValid != 0 {
			t.Fatalf("block not marked invalid: %+v", n)
		}
	case stageHeader, stageBlock, stageContext:
		if h.c.HaveBlock(blk.Hash()) {
			t.Fatal("block refused before state was stored anyway")
		}
	default:
		t.Fatal("case has no stage")
	}
	if after := dumpState(t, h.c); len(after) != len(stateBefore) {
		t.Fatalf("refused block changed state: %d entries, was %d", len(after), len(stateBefore))
	} else {
		for k, v := range stateBefore {
			if after[k] != v {
				t.Fatalf("refused block changed state key %q", k)
			}
		}
	}
	// The chain is not wedged: restore limits and extend it normally.
	if tc.net == nil && tc.setup == nil && premine > 0 {
		fresh := consensus.RegTest()
		h.net.Metadata.MaxBlockBytes, h.net.Metadata.MaxBlockTxs = fresh.Metadata.MaxBlockBytes, fresh.Metadata.MaxBlockTxs
		h.mine(mkTx(h, h.key, 0, "after=ok", nil))
		mustEqual(t, "state after recovery", mustState(t, h, "kv/after"), "ok")
	}
}

// TestDuplicateBlock: every way of seeing a block twice is ErrDuplicateBlock.
func TestDuplicateBlock(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	main := a.mine()
	side := b.mine() // same height, equal work: stored on a side branch
	feed(t, a.c, side)
	b.mine() // the orphan's parent, never shown to a
	orphan := b.template()
	if res, err := a.c.ProcessBlock(context.Background(), orphan); err != nil || !res.Orphan {
		t.Fatalf("orphan: %+v %v", res, err)
	}
	for name, blk := range map[string]*wire.Block{"main chain": main, "side branch": side, "orphan": orphan} {
		if _, err := a.c.ProcessBlock(context.Background(), blk); !errors.Is(err, consensus.ErrDuplicateBlock) {
			t.Errorf("%s via ProcessBlock: got %v, want ErrDuplicateBlock", name, err)
		}
		if _, err := a.c.ProcessBlockBytes(context.Background(), blk.Encode()); !errors.Is(err, consensus.ErrDuplicateBlock) {
			t.Errorf("%s via ProcessBlockBytes: got %v, want ErrDuplicateBlock", name, err)
		}
	}
	if a.c.OrphanCount() != 1 {
		t.Fatalf("orphan count %d after resubmission, want 1", a.c.OrphanCount())
	}
	mustEqual(t, "tip", a.c.Tip().Hash, main.Hash())
}

// TestInvalidAncestor: a block that failed to connect poisons its
// descendants, now and after a restart.
func TestInvalidAncestor(t *testing.T) {
	h := newHarness(t, consensus.RegTest())
	h.mine()
	good := h.c.Tip()
	bad := h.template()
	bad.Header.StateRoot[0] ^= 1
	h.resolve(bad)
	if _, err := h.c.ProcessBlock(context.Background(), bad); !errors.Is(err, consensus.ErrBadStateRoot) {
		t.Fatalf("bad state root: got %v", err)
	}
	childOf := func(parent *wire.Block) *wire.Block {
		c := &wire.Block{Header: parent.Header}
		c.Header.Height++
		c.Header.PrevHash = parent.Hash()
		c.Header.Timestamp++
		h.resolve(c)
		return c
	}
	child := childOf(bad)
	grandchild := childOf(child)
	if _, err := h.c.ProcessBlock(context.Background(), child); !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("child of invalid block: got %v, want ErrInvalidAncestor", err)
	}
	// The child was refused, not stored: its own child is an orphan.
	if res, err := h.c.ProcessBlock(context.Background(), grandchild); err != nil || !res.Orphan {
		t.Fatalf("grandchild: %+v %v", res, err)
	}
	if _, err := h.c.ProcessBlock(context.Background(), bad); !errors.Is(err, consensus.ErrDuplicateBlock) {
		t.Fatalf("resubmitted invalid block: got %v, want ErrDuplicateBlock", err)
	}
	h.reopen() // the invalid flag survives a restart
	if _, err := h.c.ProcessBlock(context.Background(), child); !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("child of invalid block after restart: got %v, want ErrInvalidAncestor", err)
	}
	if _, err := h.c.ProcessBlockBytes(context.Background(), child.Encode()); !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("child bytes after restart: got %v, want ErrInvalidAncestor", err)
	}
	mustEqual(t, "tip", h.c.Tip().Hash, good.Hash)
	// A valid sibling of the bad block is still accepted.
	h.mine()
	mustEqual(t, "height after the valid sibling", h.c.Tip().Height, uint64(2))
}

// TestGarbageBlockBytes feeds hostile bytes: every one must come back as a
// RuleError (ErrMalformed where decoding fails), never a panic or a
// node-side error.
func TestGarbageBlockBytes(t *testing.T) {
	h := newHarness(t, consensus.RegTest())
	user, _ := newKey(t)
	good := h.template(mkTx(h, user, 0, "k=v", nil)).Encode()
	ctx := context.Background()
	for name, b := range map[string][]byte{
		"empty":              nil,
		"garbage":            []byte("\x00\x01 not a block at all"),
		"truncated":          good[:len(good)-7],
		"oversized":          make([]byte, wire.MaxBlockBytes+1),
		"trailing":           append(append([]byte{}, good...), 9),
		"huge tx count":      append(append([]byte{}, good[:wire.HeaderSize]...), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"non-minimal varint": append(append([]byte{}, good[:wire.HeaderSize]...), 0x80, 0x00),
	} {
		_, err := h.c.ProcessBlockBytes(ctx, b)
		if !errors.Is(err, consensus.ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	for n := 0; n < len(good); n++ {
		if _, err := h.c.ProcessBlockBytes(ctx, good[:n]); !errors.Is(err, consensus.ErrMalformed) {
			t.Fatalf("truncated to %d of %d bytes: got %v, want ErrMalformed", n, len(good), err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		b := make([]byte, rng.IntN(2*len(good)))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if _, err := h.c.ProcessBlockBytes(ctx, b); err == nil || !isRuleError(err) {
			t.Fatalf("random %d bytes: got %v, want a RuleError", len(b), err)
		}
	}
	mustEqual(t, "tip height after garbage", h.c.Tip().Height, uint64(0))
	// Single bit flips anywhere in a valid block: refused with a rule, or
	// (a flip in the nonce that still meets the target) accepted.
	for i := 0; i < len(good)*8; i += 3 {
		b := append([]byte{}, good...)
		b[i/8] ^= 1 << (i % 8)
		if _, err := h.c.ProcessBlockBytes(ctx, b); err != nil && !isRuleError(err) {
			t.Fatalf("bit %d flipped: node-side error %v", i, err)
		}
	}
}

func isRuleError(err error) bool {
	var rerr consensus.RuleError
	return errors.As(err, &rerr)
}
