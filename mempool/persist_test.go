package mempool

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/ledger"
)

// TestSaveLoadRevalidates: a saved pool comes back in a new pool (a
// restart) with pending and held transactions where they were, except one
// a block mined meanwhile made invalid, which is dropped and counted; and
// the original arrival time survives for the TTL.
func TestSaveLoadRevalidates(t *testing.T) {
	f := newFixture(t, 0)
	ks := f.fund(2)
	a, b := ks[0], ks[1]
	a0 := ledger.NewTransfer(f.net, a, to(b), 1, 10, 0)
	a1 := ledger.NewTransfer(f.net, a, to(b), 2, 10, 1)
	b0 := ledger.NewTransfer(f.net, b, to(a), 3, 10, 0)
	b2 := ledger.NewTransfer(f.net, b, to(a), 4, 10, 2) // held behind nonce 1
	for _, tx := range []*wire.Tx{a0, a1, b0, b2} {
		f.submit(tx)
	}
	path := filepath.Join(t.TempDir(), "mempool", "auction.dat")
	n, err := f.pool.Save(path)
	if err != nil || n != 4 {
		t.Fatalf("save: %d, %v", n, err)
	}

	// "Restart": a new pool on the same chain, after a block that mined
	// a0 elsewhere while this node was down.
	restarted := New(Config{Chain: f.c, StateNonce: stateNonce(f.c), Now: func() time.Time { return f.now }})
	f.mineTxs([]*wire.Tx{a0})
	var announced []wire.Hash
	restarted.OnNewTx(func(tx *wire.Tx) { announced = append(announced, tx.ID()) })
	res, err := restarted.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 3 || res.Dropped != 1 {
		t.Fatalf("load: %+v, want 3 loaded and a0 dropped", res)
	}
	if restarted.Has(a0.ID()) || !restarted.Has(a1.ID()) || !restarted.Has(b0.ID()) || !restarted.Has(b2.ID()) {
		t.Fatal("wrong transactions reloaded")
	}
	if s := restarted.Stats(); s.Executable != 2 || s.Held != 1 {
		t.Fatalf("stats after reload: %+v, want a1 and b0 pending, b2 held", s)
	}
	if len(announced) != 3 {
		t.Fatalf("announced %d reloaded transactions, want 3 (they are gossiped again)", len(announced))
	}

	// The TTL counts from the first arrival, not from the reload.
	f.now = f.now.Add(DefaultTxTTL + time.Minute)
	again := New(Config{Chain: f.c, StateNonce: stateNonce(f.c), Now: func() time.Time { return f.now }})
	if res, err := again.Load(path); err != nil || res.Loaded != 0 || res.Dropped != 4 {
		t.Fatalf("load after the TTL: %+v, %v; want all 4 dropped", res, err)
	}
}

// TestLoadDamagedOrMissing: no file is an empty load; a torn or altered
// file is refused whole with ErrCorruptSave and nothing is half-loaded.
func TestLoadDamagedOrMissing(t *testing.T) {
	f := newFixture(t, 0)
	ks := f.fund(2)
	f.submit(ledger.NewTransfer(f.net, ks[0], to(ks[1]), 1, 10, 0))
	f.submit(ledger.NewTransfer(f.net, ks[0], to(ks[1]), 1, 10, 1))
	dir := t.TempDir()
	if res, err := f.pool.Load(filepath.Join(dir, "none.dat")); err != nil || res != (LoadResult{}) {
		t.Fatalf("missing file: %+v, %v", res, err)
	}
	path := filepath.Join(dir, "auction.dat")
	if _, err := f.pool.Save(path); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	for name, data := range map[string][]byte{
		"torn":     good[:len(good)/2],
		"bit flip": append(append([]byte{}, good[:40]...), append([]byte{good[40] ^ 1}, good[41:]...)...),
		"other":    []byte("not a mempool file at all, but long enough to have a checksum"),
		"empty":    {},
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fresh := New(Config{Chain: f.c, StateNonce: stateNonce(f.c), Now: func() time.Time { return f.now }})
		res, err := fresh.Load(path)
		if !errors.Is(err, ErrCorruptSave) || res.Loaded != 0 || fresh.Count() != 0 {
			t.Fatalf("%s file: %+v, %v, pool holds %d; want ErrCorruptSave and nothing loaded", name, res, err, fresh.Count())
		}
	}
}
