package wallet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

func testBid(t *testing.T, amount uint64) BidRecord {
	t.Helper()
	dev, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	bidder, _ := keys.GenerateKey()
	sb := auction.SealBid(bidder.PubKey().Address(), dev.PubKey(), 3, amount, amount*10, auction.NewSalt())
	return BidRecord{SealedBid: sb, Bidder: "tcr1x", State: BidStateCommitting, CommitTx: wire.Hash{1, 2, 3}, CommitNonce: 7}
}

func TestBidBookRoundTrip(t *testing.T) {
	dir := t.TempDir()
	book, err := OpenBidBook(dir, "tcr1x")
	if err != nil {
		t.Fatal(err)
	}
	if bids, err := book.Load(); err != nil || len(bids) != 0 {
		t.Fatalf("empty book: %v %v", bids, err)
	}
	a, b := testBid(t, 10), testBid(t, 20)
	if err := book.Add(a, b); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(book.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("book file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if di, _ := os.Stat(filepath.Dir(book.Path())); di.Mode().Perm() != 0o700 {
		t.Fatalf("book directory mode %v, want 0700", di.Mode().Perm())
	}
	// A fresh handle (a restarted wallet) reads the same salts back.
	again, _ := OpenBidBook(dir, "tcr1x")
	bids, err := again.Load()
	if err != nil || len(bids) != 2 {
		t.Fatalf("reload: %v %v", bids, err)
	}
	if bids[0].SealedBid != a.SealedBid || bids[1].SealedBid != b.SealedBid || bids[0].CommitTx != a.CommitTx || bids[0].CommitNonce != 7 {
		t.Fatalf("round trip changed the bids:\n%+v\n%+v", bids[0], a)
	}
	// The reveal rebuilt from the file matches the commitment made before.
	addr := keys.Address{9}
	if bids[0].Commit(addr).Commitment != a.Commit(addr).Commitment {
		t.Fatal("reloaded bid commits differently")
	}
	if err := again.MarkRevealed(wire.Hash{7}, a.Auction); err != nil {
		t.Fatal(err)
	}
	bids, _ = book.Load()
	if bids[0].State != BidStateRevealing || bids[0].RevealTx != (wire.Hash{7}) || bids[1].State != BidStateCommitting {
		t.Fatalf("after MarkRevealed: %+v", bids)
	}
	// Another address's book is separate, and the key listing ignores
	// bid books.
	other, _ := OpenBidBook(dir, "tcr1y")
	if bids, _ := other.Load(); len(bids) != 0 {
		t.Fatal("books of two addresses share bids")
	}
	store, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if infos, _ := store.List(); len(infos) != 0 {
		t.Fatalf("key listing shows bid books: %+v", infos)
	}
}

func TestBidBookAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	book, _ := OpenBidBook(dir, "tcr1x")
	a := testBid(t, 10)
	if err := book.Add(a); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(book.Path())
	// A failing update writes nothing.
	boom := errors.New("boom")
	if err := book.Update(func(bids []BidRecord) ([]BidRecord, error) {
		return append(bids, testBid(t, 1)), boom
	}); !errors.Is(err, boom) {
		t.Fatalf("update error %v", err)
	}
	after, _ := os.ReadFile(book.Path())
	if string(before) != string(after) {
		t.Fatal("a failed update changed the file")
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(book.Path()))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Fatalf("temp file %s left behind", e.Name())
		}
	}
	// Concurrent adders through separate handles (as two processes would
	// be) lose nothing.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, _ := OpenBidBook(dir, "tcr1x")
			if err := h.Add(testBid(t, 5)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if bids, err := book.Load(); err != nil || len(bids) != 9 {
		t.Fatalf("after concurrent adds: %d bids, %v", len(bids), err)
	}
	// A damaged file is reported, not taken for an empty book.
	if err := os.WriteFile(book.Path(), []byte(`{"version":1,"bidder":"tcr1x","bids":[{`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := book.Load(); !errors.Is(err, ErrCorruptBidBook) {
		t.Fatalf("truncated book: %v", err)
	}
	if err := book.Add(a); !errors.Is(err, ErrCorruptBidBook) {
		t.Fatalf("adding to a corrupt book: %v", err)
	}
	// A book of another address is refused.
	os.WriteFile(book.Path(), []byte(`{"version":1,"bidder":"tcr1z","bids":[]}`), 0o600)
	if _, err := book.Load(); !errors.Is(err, ErrCorruptBidBook) {
		t.Fatalf("another address's book: %v", err)
	}
}
