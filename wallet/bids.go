package wallet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain/wire"
)

// The bid book keeps what a bidder must not lose between commit and
// reveal: each sealed bid's amount and salt. A lost salt means the bid
// cannot be revealed and its deposit is forfeited, so every change is
// written to a temp file, fsynced and renamed into place before the
// transaction it prepares is submitted.
//
// Books live in <keystore>/bids/<address>.json (mode 0600 in a 0700
// directory, like the key files; the directory keeps them out of the key
// listing).

// BidBookVersion is the only bid book format version this package reads.
const BidBookVersion = 1

const (
	bidsDir = "bids"
	// maxBidBookSize rejects anything that cannot be a bid book before
	// reading it into memory.
	maxBidBookSize = 64 << 20
)

// BidState is where a saved bid stands as far as the wallet knows.
type BidState string

const (
	// BidStateCommitting: saved; the commit transaction is being
	// submitted or waits in a mempool.
	BidStateCommitting BidState = "committing"
	// BidStateRejected: the node refused the commit transaction; the bid
	// is not on chain and needs no reveal.
	BidStateRejected BidState = "rejected"
	// BidStateRevealing: a reveal transaction was submitted.
	BidStateRevealing BidState = "revealing"
	// BidStateRevealed: the chain shows the bid revealed (or settled).
	BidStateRevealed BidState = "revealed"
	// BidStateLost: the auction moved past its reveal phase without this
	// bid being revealed (or without the commit ever landing).
	BidStateLost BidState = "missed"
)

// BidRecord is one saved sealed bid with what the wallet did with it.
type BidRecord struct {
	auctiontx.SealedBid
	Bidder       string    `json:"bidder"` // bech32 address of the bidding key
	State        BidState  `json:"state"`
	Created      time.Time `json:"created"`
	CommitTx     wire.Hash `json:"commit_tx"`
	CommitNonce  uint64    `json:"commit_nonce"`
	CommitHeight uint64    `json:"commit_height,omitempty"` // once seen on chain
	RevealTx     wire.Hash `json:"reveal_tx,omitzero"`
	PayTx        wire.Hash `json:"pay_tx,omitzero"`
	Error        string    `json:"error,omitempty"` // why the commit was rejected
	// Outcome is set once the bid has ended (Progress records it):
	// key delivered, lost and refunded, forfeited, rejected.
	Outcome Outcome `json:"outcome,omitempty"`
}

// Pending reports whether the bid may still need a reveal.
func (r *BidRecord) Pending() bool {
	return r.State == BidStateCommitting || r.State == BidStateRevealing
}

type bidBookFile struct {
	Version int         `json:"version"`
	Bidder  string      `json:"bidder"`
	Bids    []BidRecord `json:"bids"`
}

// BidBook is the bid file of one bidding key. Its methods are safe for
// concurrent use in one process, and Update takes an advisory file lock
// so two wallet processes on the same key do not overwrite each other's
// bids.
type BidBook struct {
	path    string
	bidder  string
	mu      sync.Mutex
	written bookStamp // the file as this BidBook last wrote it
}

// ErrCorruptBidBook wraps every failure to decode a bid book.
var ErrCorruptBidBook = errors.New("bid book is corrupt: restore it from a backup, or reveals of its bids are lost")

// BidBookPath is where the bid book of address lives in a keystore
// directory.
func BidBookPath(keystoreDir, address string) string {
	return filepath.Join(keystoreDir, bidsDir, address+fileExt)
}

// OpenBidBook opens (without creating) the bid book of a bidder's
// address in a keystore directory.
func OpenBidBook(keystoreDir, address string) (*BidBook, error) {
	if address == "" {
		return nil, errors.New("wallet: bid book needs the bidder's address")
	}
	return &BidBook{path: BidBookPath(keystoreDir, address), bidder: address}, nil
}

// BidBook opens the bid book of a key address in this store.
func (s *Store) BidBook(address string) (*BidBook, error) { return OpenBidBook(s.dir, address) }

// Path returns the book's file.
func (b *BidBook) Path() string { return b.path }

// Load returns every saved bid, oldest first; a missing file is an empty
// book.
func (b *BidBook) Load() ([]BidRecord, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.load()
}

func (b *BidBook) load() ([]BidRecord, error) {
	f, err := os.Open(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wallet: read bid book: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("wallet: read bid book: %w", err)
	}
	if fi.Size() > maxBidBookSize {
		return nil, fmt.Errorf("wallet: %s is %d bytes: %w", b.path, fi.Size(), ErrCorruptBidBook)
	}
	var bf bidBookFile
	dec := json.NewDecoder(f)
	if err := dec.Decode(&bf); err != nil {
		return nil, fmt.Errorf("wallet: %s: %v: %w", b.path, err, ErrCorruptBidBook)
	}
	if bf.Version != BidBookVersion {
		return nil, fmt.Errorf("wallet: %s has version %d, this build reads %d: %w", b.path, bf.Version, BidBookVersion, ErrCorruptBidBook)
	}
	if bf.Bidder != b.bidder {
		return nil, fmt.Errorf("wallet: %s belongs to %s, not %s: %w", b.path, bf.Bidder, b.bidder, ErrCorruptBidBook)
	}
	return bf.Bids, nil
}

// Update loads the book under a file lock, lets fn change the bids and
// writes the result atomically (temp file, fsync, rename, directory
// fsync) before returning. If fn fails nothing is written.
func (b *BidBook) Update(fn func(bids []BidRecord) ([]BidRecord, error)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	dir := filepath.Dir(b.path)
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("wallet: create bid book directory: %w", err)
	}
	unlock, err := lockFile(b.path + ".lock")
	if err != nil {
		return fmt.Errorf("wallet: lock bid book: %w", err)
	}
	defer unlock()
	bids, err := b.load()
	if err != nil {
		return err
	}
	bids, err = fn(bids)
	if err != nil {
		return err
	}
	return b.write(bids)
}

// Add saves new sealed bids (durably, before any transaction carrying
// them is submitted).
func (b *BidBook) Add(recs ...BidRecord) error {
	return b.Update(func(bids []BidRecord) ([]BidRecord, error) { return append(bids, recs...), nil })
}

// Modify applies fn to every saved bid of the given auctions and saves.
func (b *BidBook) Modify(auctions []wire.Hash, fn func(r *BidRecord)) error {
	want := make(map[wire.Hash]bool, len(auctions))
	for _, a := range auctions {
		want[a] = true
	}
	return b.Update(func(bids []BidRecord) ([]BidRecord, error) {
		for i := range bids {
			if want[bids[i].Auction] {
				fn(&bids[i])
			}
		}
		return bids, nil
	})
}

// MarkRevealed records a submitted reveal transaction for the bids of
// these auctions.
func (b *BidBook) MarkRevealed(tx wire.Hash, auctions ...wire.Hash) error {
	return b.Modify(auctions, func(r *BidRecord) {
		if r.Pending() {
			r.State, r.RevealTx = BidStateRevealing, tx
		}
	})
}

func (b *BidBook) write(bids []BidRecord) error {
	if bids == nil {
		bids = []BidRecord{}
	}
	data, err := json.MarshalIndent(bidBookFile{Version: BidBookVersion, Bidder: b.bidder, Bids: bids}, "", "  ")
	if err != nil {
		return fmt.Errorf("wallet: encode bid book: %w", err)
	}
	if err := writeFileAtomic(b.path, append(data, '\n')); err != nil {
		return err
	}
	b.written = stampOf(b.path)
	return nil
}

// writtenStamp is the file as this BidBook last wrote it: a watcher
// whose book shows another stamp reloads it (another process wrote).
func (b *BidBook) writtenStamp() bookStamp {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.written
}

// writeFileAtomic replaces path with data so that a crash leaves either
// the old or the new content, never a mix, and the new content is on disk
// when it returns.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("wallet: write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after the rename
	fail := func(err error) error {
		tmp.Close()
		return fmt.Errorf("wallet: write %s: %w", path, err)
	}
	if err := tmp.Chmod(filePerm); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("wallet: write %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("wallet: write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wallet: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wallet: sync %s: %w", dir, err)
	}
	return nil
}
