package chain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/wire"
)

// Key layout of a chain's Badger directory. One-byte prefixes keep keys
// short; every record of a block is addressed by its hash.
const (
	prefixBlock  = 'b' // b|hash -> encoded block
	prefixHeader = 'h' // h|hash -> headerRecord
	prefixUndo   = 'u' // u|hash -> undo data of a connected block
	prefixHeight = 'n' // n|height(BE) -> hash of the main-chain block
	prefixTx     = 'x' // x|txid -> block hash | index (main chain only)
	prefixState  = 's' // s|key -> state machine value
	prefixMeta   = 'm' // m|name -> engine metadata
	prefixReason = 'i' // i|hash -> rule error kind that marked the block invalid (the first invalid block of a branch)
)

var (
	keyTip        = []byte("mtip")
	keyCommitment = []byte("mlthash")
)

func blockKey(h wire.Hash) []byte  { return append([]byte{prefixBlock}, h[:]...) }
func headerKey(h wire.Hash) []byte { return append([]byte{prefixHeader}, h[:]...) }
func undoKey(h wire.Hash) []byte   { return append([]byte{prefixUndo}, h[:]...) }
func txKey(id wire.Hash) []byte    { return append([]byte{prefixTx}, id[:]...) }
func reasonKey(h wire.Hash) []byte { return append([]byte{prefixReason}, h[:]...) }
func stateKey(k string) []byte     { return append([]byte{prefixState}, k...) }
func heightKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixHeight}, height)
}

// Block status flags, stored with the header.
const (
	statusHaveData uint8 = 1 << iota // full block stored
	statusValid                      // connected successfully at least once
	statusInvalid                    // failed validation; never connect it or its descendants
)

// headerRecord is the stored form of a block index entry.
func encodeHeaderRecord(h *wire.Header, status uint8) []byte {
	return append(h.AppendEncode(make([]byte, 0, wire.HeaderSize+1)), status)
}

func decodeHeaderRecord(b []byte) (wire.Header, uint8, error) {
	if len(b) != wire.HeaderSize+1 {
		return wire.Header{}, 0, fmt.Errorf("header record is %d bytes, want %d", len(b), wire.HeaderSize+1)
	}
	h, err := wire.DecodeHeader(b[:wire.HeaderSize])
	return h, b[wire.HeaderSize], err
}

// StoreOptions tune Badger for the node's role.
type StoreOptions struct {
	// MemTableSize bounds the largest atomic write, which must hold a whole
	// block's state changes, undo data and tx index (Badger allows a
	// transaction about 15% of it).
	MemTableSize int64
	// BlockCacheSize is Badger's block cache; small nodes in a local
	// testnet keep it low.
	BlockCacheSize int64
	// InMemory keeps everything in RAM (benchmarks only).
	InMemory bool
}

// DefaultStoreOptions suit one node per machine and blocks up to the
// largest consensus limit.
func DefaultStoreOptions() StoreOptions {
	return StoreOptions{MemTableSize: 64 << 20, BlockCacheSize: 32 << 20}
}

func openBadger(dir string, opts StoreOptions, log *slog.Logger) (*badger.DB, error) {
	bo := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{log}).
		WithMemTableSize(opts.MemTableSize).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithBlockCacheSize(opts.BlockCacheSize).
		WithIndexCacheSize(8 << 20).
		WithValueThreshold(64 << 10).
		WithInMemory(opts.InMemory)
	if opts.InMemory {
		bo.Dir, bo.ValueDir = "", ""
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("open block store %s: %w (is another thingchain node using this data directory?)", dir, err)
	}
	return db, nil
}

// txnReader reads committed state through a Badger transaction.
type txnReader struct{ txn *badger.Txn }

func (r txnReader) getState(key []byte) ([]byte, bool, error) {
	item, err := r.txn.Get(stateKey(string(key)))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v, err := item.ValueCopy(nil)
	return v, err == nil, err
}

func getValue(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// Undo data: for each key the block changed, its committed value before
// the block (or absence). Disconnecting writes these back.
func encodeUndo(changes []stateChange) []byte {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(changes)))
	for _, c := range changes {
		b = binary.AppendUvarint(b, uint64(len(c.key)))
		b = append(b, c.key...)
		if c.hadOld {
			b = append(b, 1)
			b = binary.AppendUvarint(b, uint64(len(c.old)))
			b = append(b, c.old...)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

type undoEntry struct {
	key    string
	old    []byte
	hadOld bool
}

func decodeUndo(b []byte) ([]undoEntry, error) {
	bad := errors.New("corrupt undo data")
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	take := func(n uint64) ([]byte, bool) {
		if uint64(len(b)) < n {
			return nil, false
		}
		out := b[:n]
		b = b[n:]
		return out, true
	}
	count, ok := next()
	if !ok || count > uint64(len(b)) {
		return nil, bad
	}
	out := make([]undoEntry, 0, count)
	for i := uint64(0); i < count; i++ {
		kl, ok := next()
		if !ok {
			return nil, bad
		}
		k, ok := take(kl)
		if !ok || len(b) == 0 {
			return nil, bad
		}
		e := undoEntry{key: string(k)}
		flag := b[0]
		b = b[1:]
		if flag == 1 {
			vl, ok := next()
			if !ok {
				return nil, bad
			}
			v, ok := take(vl)
			if !ok {
				return nil, bad
			}
			e.old, e.hadOld = append([]byte(nil), v...), true
		}
		out = append(out, e)
	}
	if len(b) != 0 {
		return nil, bad
	}
	return out, nil
}

// badgerLogger routes Badger's chatter into slog at debug level, except
// warnings and errors.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error(fmt.Sprintf(f, a...), "component", "badger")
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn(fmt.Sprintf(f, a...), "component", "badger")
}
func (b badgerLogger) Infof(f string, a ...any) {
	b.l.Debug(fmt.Sprintf(f, a...), "component", "badger")
}
func (b badgerLogger) Debugf(f string, a ...any) {
	b.l.Debug(fmt.Sprintf(f, a...), "component", "badger")
}
