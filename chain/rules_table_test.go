package chain

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// resolve re-signs and re-solves a header after a test mutated it, so the
// only rule broken is the one the case targets.
func (h *harness) resolve(blk *wire.Block) {
	h.t.Helper()
	blk.Header.Nonce = 0
	h.solve(&blk.Header)
}

func fixRoot(blk *wire.Block) { blk.Header.TxRoot = wire.TxRoot(blk.Txs) }

// TestBlockRules is the table of every header and block rule: each case
// starts from a valid block on the tip, breaks exactly one rule, and must
// be refused with that rule's kind. The valid case must be accepted.
func TestBlockRules(t *testing.T) {
	user, _ := newKey(t)
	other, _ := newKey(t)
	cases := []struct {
		name   string
		txs    func(h *harness) []*wire.Tx
		mutate func(h *harness, b *wire.Block)
		params func(p *consensus.Params)
		want   error // nil: accepted
	}{
		{name: "valid empty block"},
		{name: "valid block with transactions", txs: func(h *harness) []*wire.Tx {
			return []*wire.Tx{signTx(h.c, user, txSet, 0, 1, "a=1"), signTx(h.c, user, txSet, 1, 1, "b=2")}
		}},
		{name: "wrong chain ID", want: consensus.ErrWrongChain, mutate: func(h *harness, b *wire.Block) {
			b.Header.ChainID = h.net.Auction.ChainID
			h.resolve(b)
		}},
		{name: "unknown version", want: consensus.ErrBadVersion, mutate: func(h *harness, b *wire.Block) {
			b.Header.Version = 2
			h.resolve(b)
		}},
		{name: "bits easier than the limit", want: consensus.ErrBitsOutOfRange, mutate: func(h *harness, b *wire.Block) {
			b.Header.Bits = 0x2100ffff
			h.resolve(b)
		}},
		{name: "negative bits", want: consensus.ErrBitsOutOfRange, mutate: func(h *harness, b *wire.Block) {
			b.Header.Bits = 0x1d800001 // no nonce can meet it; the encoding itself is refused
			b.Header.MinerSig = h.key.Sign(b.Header.SigningHash())
		}},
		{name: "hash above target", want: consensus.ErrHighHash, mutate: func(h *harness, b *wire.Block) {
			target, _ := consensus.CompactToBig(b.Header.Bits)
			for consensus.HashToBig(b.Header.Hash()).Cmp(target) <= 0 {
				b.Header.Nonce++
			}
		}},
		{name: "signature by another key", want: consensus.ErrBadMinerSig, mutate: func(h *harness, b *wire.Block) {
			b.Header.MinerSig = other.Sign(b.Header.SigningHash())
			b.Header.Nonce = 0
			target, _ := consensus.CompactToBig(b.Header.Bits)
			for consensus.HashToBig(b.Header.Hash()).Cmp(target) > 0 {
				b.Header.Nonce++
			}
		}},
		{name: "malformed miner key", want: consensus.ErrBadMinerSig, mutate: func(h *harness, b *wire.Block) {
			b.Header.MinerKey[0] = 0x05
			target, _ := consensus.CompactToBig(b.Header.Bits)
			for b.Header.Nonce = 0; consensus.HashToBig(b.Header.Hash()).Cmp(target) > 0; b.Header.Nonce++ {
			}
		}},
		{name: "block too big", want: consensus.ErrBlockTooBig,
			params: func(p *consensus.Params) { p.Metadata.MaxBlockBytes = 400 },
			mutate: func(h *harness, b *wire.Block) {
				b.Txs = []*wire.Tx{signTx(h.c, user, txSet, 0, 1, "a=1")}
				fixRoot(b)
				h.resolve(b)
			}},
		{name: "too many transactions", want: consensus.ErrTooManyTxs,
			params: func(p *consensus.Params) { p.Metadata.MaxBlockTxs = 1 },
			mutate: func(h *harness, b *wire.Block) {
				b.Txs = []*wire.Tx{signTx(h.c, user, txSet, 0, 1, "a=1"), signTx(h.c, user, txSet, 1, 1, "b=1")}
				fixRoot(b)
				h.resolve(b)
			}},
		{name: "wrong Merkle root", want: consensus.ErrBadTxRoot, txs: func(h *harness) []*wire.Tx {
			return []*wire.Tx{signTx(h.c, user, txSet, 0, 1, "a=1")}
		}, mutate: func(h *harness, b *wire.Block) {
			b.Header.TxRoot[0] ^= 1
			h.resolve(b)
		}},
		{name: "duplicate transaction", want: consensus.ErrDuplicateTx, mutate: func(h *harness, b *wire.Block) {
			tx := signTx(h.c, user, txSet, 0, 1, "a=1")
			b.Txs = []*wire.Tx{tx, tx}
			fixRoot(b)
			h.resolve(b)
		}},
		{name: "transaction for another chain", want: consensus.ErrTxWrongChain, mutate: func(h *harness, b *wire.Block) {
			tx := &wire.Tx{ChainID: h.net.Auction.ChainID, Type: txSet, Sender: user.PubKey(), Payload: []byte("a=1")}
			tx.Sig = user.Sign(tx.SigHash())
			b.Txs = []*wire.Tx{tx}
			fixRoot(b)
			h.resolve(b)
		}},
		{name: "transaction with a bad signature", want: consensus.ErrTxBadSig, mutate: func(h *harness, b *wire.Block) {
			tx := signTx(h.c, user, txSet, 0, 1, "a=1")
			tx.Sig = other.Sign(tx.SigHash())
			b.Txs = []*wire.Tx{tx}
			fixRoot(b)
			h.resolve(b)
		}},
		{name: "transaction failing state-machine sanity", want: consensus.ErrTxSanity, mutate: func(h *harness, b *wire.Block) {
			b.Txs = []*wire.Tx{signTx(h.c, user, txSet, 0, 1, "no equals sign")}
			fixRoot(b)
			h.resolve(b)
		}},
		{name: "wrong height", want: consensus.ErrBadHeight, mutate: func(h *harness, b *wire.Block) {
			b.Header.Height++
			h.resolve(b)
		}},
		{name: "difficulty off schedule", want: consensus.ErrUnexpectedBits, mutate: func(h *harness, b *wire.Block) {
			b.Header.Bits = 0x207ffffe
			h.resolve(b)
		}},
		{name: "timestamp at median time past", want: consensus.ErrTimeTooOld, mutate: func(h *harness, b *wire.Block) {
			b.Header.Timestamp = h.c.tipNode().medianTimePast()
			h.resolve(b)
		}},
		{name: "timestamp too far ahead", want: consensus.ErrTimeTooNew, mutate: func(h *harness, b *wire.Block) {
			b.Header.Timestamp = h.clock.Add(h.net.Metadata.MaxFutureDrift + time.Millisecond).UnixMilli()
			h.resolve(b)
		}},
		{name: "state root mismatch", want: consensus.ErrBadStateRoot, mutate: func(h *harness, b *wire.Block) {
			b.Header.StateRoot[3] ^= 0x40
			h.resolve(b)
		}},
		{name: "nonce not the sender's next", want: consensus.ErrBadNonce, mutate: func(h *harness, b *wire.Block) {
			b.Txs = []*wire.Tx{signTx(h.c, user, txSet, 5, 1, "a=1")}
			fixRoot(b)
			h.resolve(b)
		}},
		{name: "expired transaction", want: consensus.ErrTxExpired, mutate: func(h *harness, b *wire.Block) {
			tx := &wire.Tx{ChainID: h.c.params.ChainID, Type: txSet, Expiry: b.Header.Height - 1, Sender: user.PubKey(), Payload: []byte("a=1")}
			tx.Sig = user.Sign(tx.SigHash())
			b.Txs = []*wire.Tx{tx}
			fixRoot(b)
			h.resolve(b)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			net := consensus.RegTest()
			if tc.params != nil {
				tc.params(net)
			}
			h := newHarness(t, net)
			h.mine()
			h.mine()
			var txs []*wire.Tx
			if tc.txs != nil {
				txs = tc.txs(h)
			}
			blk := h.template(txs...)
			if tc.mutate != nil {
				tc.mutate(h, blk)
			}
			before := h.c.Tip()
			res, err := h.c.ProcessBlock(context.Background(), blk)
			if tc.want == nil {
				if err != nil || !res.MainTip {
					t.Fatalf("valid block refused: %v (result %+v)", err, res)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got error %v, want kind %v", err, tc.want)
			}
			var rerr consensus.RuleError
			if !errors.As(err, &rerr) {
				t.Fatalf("error %v is not a RuleError", err)
			}
			if h.c.Tip().Hash != before.Hash {
				t.Fatal("an invalid block moved the tip")
			}
		})
	}
}

func TestMinerAdmission(t *testing.T) {
	net := consensus.RegTest()
	h := newHarness(t, net)
	admitted := h.key.PubKey()
	h.config.MinerAllowed = func(k keys.PubKey) error {
		if k != admitted {
			return errors.New("not admitted")
		}
		return nil
	}
	h.reopen()
	h.mine() // the admitted key mines
	outsider, _ := newKey(t)
	blk := h.template()
	blk.Header.MinerKey = outsider.PubKey()
	blk.Header.MinerSig = outsider.Sign(blk.Header.SigningHash())
	target, _ := consensus.CompactToBig(blk.Header.Bits)
	for blk.Header.Nonce = 0; consensus.HashToBig(blk.Header.Hash()).Cmp(target) > 0; blk.Header.Nonce++ {
	}
	if _, err := h.c.ProcessBlock(context.Background(), blk); !errors.Is(err, consensus.ErrMinerNotAdmitted) {
		t.Fatalf("block from a non-admitted miner: got %v, want ErrMinerNotAdmitted", err)
	}
}

func TestDuplicateAndInvalidAncestor(t *testing.T) {
	h := newHarness(t, consensus.RegTest())
	blk := h.mine()
	if _, err := h.c.ProcessBlock(context.Background(), blk); !errors.Is(err, consensus.ErrDuplicateBlock) {
		t.Fatalf("resubmitted block: got %v, want ErrDuplicateBlock", err)
	}
	// A block that fails against state, then a child built on it.
	bad := h.template()
	bad.Header.StateRoot[0] ^= 1
	h.resolve(bad)
	if _, err := h.c.ProcessBlock(context.Background(), bad); !errors.Is(err, consensus.ErrBadStateRoot) {
		t.Fatalf("bad state root: got %v", err)
	}
	child := &wire.Block{Header: bad.Header}
	child.Header.Height++
	child.Header.PrevHash = bad.Hash()
	child.Header.Timestamp++
	h.resolve(child)
	if _, err := h.c.ProcessBlock(context.Background(), child); !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("child of invalid block: got %v, want ErrInvalidAncestor", err)
	}
	if _, err := h.c.ProcessBlock(context.Background(), bad); !errors.Is(err, consensus.ErrDuplicateBlock) && !errors.Is(err, consensus.ErrInvalidAncestor) {
		t.Fatalf("resubmitted invalid block: got %v", err)
	}
	h.reopen() // the invalid flag survives a restart
	if _, err := h.c.ProcessBlock(context.Background(), child); err == nil {
		t.Fatal("child of an invalid block accepted after restart")
	}
}

func TestGarbageBlockBytes(t *testing.T) {
	h := newHarness(t, consensus.RegTest())
	good := h.template().Encode()
	for name, b := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("\x00\x01 not a block at all"),
		"truncated": good[:len(good)-7],
		"oversized": make([]byte, wire.MaxBlockBytes+1),
		"trailing":  append(append([]byte{}, good...), 9),
	} {
		_, err := h.c.ProcessBlockBytes(context.Background(), b)
		if !errors.Is(err, consensus.ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	mustEqual(t, "tip height after garbage", h.c.Tip().Height, uint64(0))
}
