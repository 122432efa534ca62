package registry

import (
	"context"
	"errors"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestReorgUndoesCheckIn: node A mines a check-in on its branch; node B,
// sharing the history up to the attestation, mines a longer branch without
// it. When A sees B's branch it reorganises: the device is no longer
// enabled, the event reverts the block holding the check-in, and the
// check-in still applies on the new tip, so a mempool that re-adds
// reverted transactions will mine it again. The query index follows.
func TestReorgUndoesCheckIn(t *testing.T) {
	a := newWorld(t)
	b := newNode(t, a.net, a.clock) // same clock: both nodes accept each other's blocks
	dev := a.attest()
	for h := uint64(1); h <= a.c.Tip().Height; h++ {
		blk, err := a.c.BlockByHeight(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.c.ProcessBlock(context.Background(), blk); err != nil {
			t.Fatalf("B imports A's block %d: %v", h, err)
		}
	}

	idx := NewIndex()
	a.read(func(v *chain.View) error { return idx.Rebuild(v) })
	var events []chain.Event
	a.c.Subscribe(func(ev chain.Event) { events = append(events, ev) })

	owner := mustKey(t)
	checkIn := a.checkIn(dev, owner, fridgeRequest(t))
	losing := a.mustSubmit(checkIn)
	a.read(func(v *chain.View) error { return idx.ApplyEvent(v, events[len(events)-1]) })
	if !a.device(dev.PubKey()).Enabled {
		t.Fatal("check-in did not enable the device on A")
	}
	if enabled := true; idx.Query(Filter{Enabled: &enabled}).Total != 1 {
		t.Fatal("index missed the check-in")
	}

	winning := []*wire.Block{b.mine(), b.mine()}
	events = nil
	for _, blk := range winning {
		if _, err := a.c.ProcessBlock(context.Background(), blk); err != nil {
			t.Fatal(err)
		}
	}
	if a.c.Tip().Hash != b.c.Tip().Hash {
		t.Fatal("A did not switch to the heavier branch")
	}
	d := a.device(dev.PubKey())
	if d == nil || d.Enabled || d.Owner != "" {
		t.Fatalf("check-in on the losing branch survived the reorg: %+v", d)
	}
	var reverted []*wire.Tx
	for _, ev := range events {
		for _, blk := range ev.Reverted {
			reverted = append(reverted, blk.Txs...)
		}
		a.read(func(v *chain.View) error { return idx.ApplyEvent(v, ev) })
	}
	if len(reverted) != 1 || reverted[0].ID() != checkIn.ID() || losing.Txs[0].ID() != checkIn.ID() {
		t.Fatalf("reorg event reverted %d txs, want the check-in", len(reverted))
	}
	if enabled := true; idx.Query(Filter{Enabled: &enabled}).Total != 0 {
		t.Fatal("index still shows the undone check-in")
	}
	if r := idx.Query(Filter{}); r.Total != 1 || r.Devices[0].Enabled {
		t.Fatalf("index after reorg: %+v", r)
	}
	errs, _, err := a.c.ApplyOnTip(reverted)
	if err != nil || errs[0] != nil {
		t.Fatalf("reverted check-in no longer applies: %v %v", err, errs)
	}
	// Mined again (as the mempool would), it enables the device once more.
	a.mustSubmit(checkIn)
	if !a.device(dev.PubKey()).Enabled {
		t.Fatal("re-mined check-in did not enable the device")
	}
	// And it cannot be mined twice.
	if err := a.submit(checkIn); !errors.Is(err, consensus.ErrBadNonce) {
		t.Fatalf("replayed check-in: %v", err)
	}
}
