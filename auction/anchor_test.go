package auction

import (
	"context"
	"errors"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/miner"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// withAnchor re-anchors a built block and solves it again.
func (n *tnode) withAnchor(blk *wire.Block, a wire.Anchor) *wire.Block {
	n.t.Helper()
	blk.Header.Anchor = a
	blk.Header.Nonce = 0
	blk.Header.MinerSig = n.miner.Sign(blk.Header.SigningHash())
	if !miner.Solve(context.Background(), &blk.Header, 1, nil) {
		n.t.Fatal("could not solve")
	}
	return blk
}

func (f *fakeMeta) hashAt(h uint64) wire.Hash {
	hash, _, _, _ := f.BlockAt(h)
	return hash
}

// TestAnchorRule: anchors move forward only, at most MaxAnchorStep at a
// time, name a valid metadata block at the stated height that descends
// from the previous anchor (each case ErrBadAnchor); the zero anchor
// carries the previous one. Pending cases are TestAnchorPending's.
func TestAnchorRule(t *testing.T) {
	net := consensus.RegTest()
	net.Auctions.MaxAnchorStep = 5
	w := newWorld(t, net)
	w.fm.grow(3, w.metaMin) // metadata tip 6, k = 1
	b := w.step()
	if b.Header.Anchor.Height != 5 {
		t.Fatalf("first anchor at %d, want tip 6 - k", b.Header.Anchor.Height)
	}
	var last wire.Anchor
	w.view(func(v *chain.View) (err error) { last, err = LastAnchor(v); return })
	if last != b.Header.Anchor {
		t.Fatalf("last anchor %v", last)
	}
	w.fm.grow(10, w.metaMin) // tip 16
	try := func(a wire.Anchor) error {
		blk := w.withAnchor(w.build(wire.Anchor{}), a)
		_, err := w.c.ProcessBlock(context.Background(), blk)
		return err
	}
	bad := []struct {
		name string
		a    wire.Anchor
	}{
		{"backwards", wire.Anchor{Height: 4, Hash: w.fm.hashAt(4)}},
		{"same height, other block", wire.Anchor{Height: 5, Hash: wire.Hash{9}}},
		{"hash of a block at another height", wire.Anchor{Height: 7, Hash: w.fm.hashAt(8)}},
		{"step too large", wire.Anchor{Height: 11, Hash: w.fm.hashAt(11)}},
		{"not a descendant of the previous anchor", wire.Anchor{Height: 7, Hash: w.fm.fork(3, 6, w.metaMin)[3]}},
		{"anchored block invalid", wire.Anchor{Height: 7, Hash: w.fm.invalidSide(5, 2)}},
	}
	for _, c := range bad {
		if err := try(c.a); !errors.Is(err, consensus.ErrBadAnchor) {
			t.Errorf("%s: got %v, want ErrBadAnchor", c.name, err)
		}
	}
	// Carrying the anchor and repeating it are both fine.
	w.noAnchor = true
	w.step()
	w.noAnchor = false
	w.step() // ChooseAnchor moves it by MaxAnchorStep: 10
	w.view(func(v *chain.View) (err error) { last, err = LastAnchor(v); return })
	if last.Height != 10 {
		t.Fatalf("anchor after a capped move: %d", last.Height)
	}
	w.fm.grow(0, w.metaMin)
	blk := w.withAnchor(w.build(wire.Anchor{}), last)
	if _, err := w.c.ProcessBlock(context.Background(), blk); err != nil {
		t.Fatalf("repeating the anchor: %v", err)
	}
}

// TestAnchorPending: a block anchoring a metadata block this node lacks (or
// has too shallow) is stored and reported pending: no error (so no peer is
// penalised), not marked invalid; once the metadata chain catches up and
// the engine retries, it connects.
func TestAnchorPending(t *testing.T) {
	net := consensus.RegTest()
	ahead := newFakeMeta()
	ahead.grow(10, keys.Address{1})
	behind := newFakeMeta()
	behind.grow(3, keys.Address{1})
	a := newTNode(t, net, ahead)
	b := newTNode(t, net, behind)
	b1 := a.mine()
	b2 := a.mine()
	if b1.Header.Anchor.Height != 9 {
		t.Fatalf("anchor %d", b1.Header.Anchor.Height)
	}
	res, err := b.c.ProcessBlock(context.Background(), b1)
	if err != nil || !res.Pending || !res.Accepted {
		t.Fatalf("unknown anchor: got %+v, %v; want stored and pending, no error", res, err)
	}
	p, ok := b.c.HeaviestPending()
	if !ok || !errors.Is(p.Reason, ErrAnchorPending) || p.Header.Hash() != b1.Hash() {
		t.Fatalf("HeaviestPending = %+v, %v", p, ok)
	}
	behind.grow(6, keys.Address{1}) // height 9 known, but only 0 deep
	if err := b.c.RetryPending(); err != nil {
		t.Fatal(err)
	}
	if res, err := b.c.ProcessBlock(context.Background(), b2); err != nil || !res.Pending {
		t.Fatalf("shallow anchor: got %+v, %v", res, err)
	}
	behind.grow(1, keys.Address{1})
	if err := b.c.RetryPending(); err != nil {
		t.Fatal(err)
	}
	if b.c.Tip().Hash != a.c.Tip().Hash {
		t.Fatalf("node B at %d, A at %d", b.c.Tip().Height, a.c.Tip().Height)
	}
}

// TestAnchorOnSideBranch: two metadata branches; an auction block
// anchoring the branch that is a side branch on this node is pending (no
// error, not invalid, devices not read from the other branch), and
// connects once this node's metadata chain reorganises to that branch.
func TestAnchorOnSideBranch(t *testing.T) {
	net := consensus.RegTest()
	theirs, ours := newFakeMeta(), newFakeMeta()
	theirs.grow(4, keys.Address{1})
	ours.grow(4, keys.Address{1})
	a := newTNode(t, net, theirs)
	b := newTNode(t, net, ours)
	feed(t, b.c, a.mine()) // anchors 3, common to both
	// The metadata chains fork at 4: theirs on a branch of 3 blocks,
	// ours on the main chain grown by 2 more of its own.
	side := theirs.fork(4, 3, keys.Address{2})
	theirs.reorgTo(side[2])
	ours.fork(4, 3, keys.Address{2}) // we know their branch (same hashes)...
	ours.grow(4, keys.Address{3})    // ...but ours (height 8) is our main chain
	blk := a.mine()
	if blk.Header.Anchor.Hash != side[1] {
		t.Fatalf("A anchored %v, want its branch's block at 6", blk.Header.Anchor)
	}
	res, err := b.c.ProcessBlock(context.Background(), blk)
	if err != nil || !res.Pending {
		t.Fatalf("anchor on our side branch: %+v, %v; want pending, no error", res, err)
	}
	if info, _, _ := ours.Block(side[1]); info.MainChain {
		t.Fatal("setup: the anchor should be on B's side branch")
	}
	if b.c.Tip().Hash == blk.Hash() {
		t.Fatal("connected with an anchor off the main chain")
	}
	ours.reorgTo(side[2])
	if err := b.c.RetryPending(); err != nil {
		t.Fatal(err)
	}
	if b.c.Tip().Hash != blk.Hash() {
		t.Fatalf("after the metadata reorg B is at %d, want the auction block %d", b.c.Tip().Height, blk.Header.Height)
	}
}

// TestMetadataMinersPaid: MetadataFeePermille of every block's fees goes
// to the pool, paid evenly to the reward addresses of the metadata blocks
// an anchor newly covers (the remainder stays in the pool).
func TestMetadataMinersPaid(t *testing.T) {
	w := newWorld(t, consensus.RegTest())
	us := w.users(1, 1_000_000)
	w.step() // anchor to the current metadata tip - k
	m1, m2, m3 := keys.Address{0xa1}, keys.Address{0xa2}, keys.Address{0xa3}
	w.track(m1, m2, m3)
	w.noAnchor = true
	minerBefore := w.balance(w.miner.PubKey().Address())
	w.step(ledger.NewTransfer(w.net, us[0], w.faucet.PubKey().Address(), 1, 1001, 0))
	var pool uint64
	w.view(func(v *chain.View) (err error) { pool, err = MetadataPool(v); return })
	if pool != 200 || w.balance(w.miner.PubKey().Address())-minerBefore != 801 {
		t.Fatalf("pool %d, miner +%d", pool, w.balance(w.miner.PubKey().Address())-minerBefore)
	}
	w.fm.grow(1, m1)
	w.fm.grow(1, m2)
	w.fm.grow(1, m3) // the anchor (tip - k) newly covers one block of metaMin and m1, m2, m3
	w.fm.grow(1, m1)
	w.noAnchor = false
	mmBefore := w.balance(w.metaMin)
	w.step()
	w.view(func(v *chain.View) (err error) { pool, err = MetadataPool(v); return })
	if w.balance(m1) != 50 || w.balance(m2) != 50 || w.balance(m3) != 50 || w.balance(w.metaMin)-mmBefore != 50 || pool != 0 {
		t.Fatalf("metadata miners got %d %d %d, pool %d", w.balance(m1), w.balance(m2), w.balance(m3), pool)
	}
}
