package mempool

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/thingchain/thingchain/chain/wire"
)

// The saved pool: a magic and version, then for each transaction its
// arrival time (Unix milliseconds, u64 LE), its length (uvarint) and its
// canonical encoding, then SHA-256 of everything before it, so a torn or
// damaged file is recognised instead of half-loaded.
const (
	saveMagic   = "thingchain-mempool"
	saveVersion = 1
)

// Save writes every transaction the pool holds, pending and held, to path
// atomically (a temporary file, synced, renamed over path), so a crash
// during a save leaves the previous file. The node saves on shutdown and
// periodically; Load brings the transactions back at start.
func (p *Pool) Save(path string) (int, error) {
	p.mu.Lock()
	entries := make([]*entry, 0, len(p.byID))
	for _, e := range p.byID {
		entries = append(entries, e)
	}
	p.mu.Unlock()
	// Arrival order, so a reload replays the pool as it was built.
	slices.SortFunc(entries, func(a, b *entry) int { return cmpU64(a.seq, b.seq) })
	var buf bytes.Buffer
	buf.WriteString(saveMagic)
	buf.WriteByte(saveVersion)
	var num [binary.MaxVarintLen64]byte
	for _, e := range entries {
		buf.Write(binary.LittleEndian.AppendUint64(nil, uint64(e.added.UnixMilli())))
		buf.Write(num[:binary.PutUvarint(num[:], uint64(e.size))])
		buf.Write(e.tx.Encode())
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return 0, fmt.Errorf("save mempool to %s: %w", path, err)
	}
	return len(entries), nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		dir.Sync() // make the rename durable where the platform allows
		dir.Close()
	}
	return nil
}

// LoadResult counts what Load did.
type LoadResult struct {
	Loaded  int `json:"loaded"`  // back in the pool, pending or held
	Dropped int `json:"dropped"` // no longer valid (mined meanwhile, nonce used, expired, over the TTL…) or refused by policy
}

// ErrCorruptSave is wrapped by Load's error for a file that is not a
// complete saved pool (torn, damaged or of another format).
var ErrCorruptSave = errors.New("not a complete saved mempool")

// Load reads a file written by Save and offers every transaction to the
// pool again with full validation against the current tip, keeping each
// one's original arrival time for the TTL: those that no longer apply are
// dropped and counted. A missing file is no error (nothing was saved).
// Loaded transactions are announced to the OnNewTx hooks like new ones, so
// a node that loads after starting its network passes them on again (its
// peers may have lost them too).
func (p *Pool) Load(path string) (LoadResult, error) {
	var res LoadResult
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	txs, added, err := decodeSaved(data)
	if err != nil {
		return res, fmt.Errorf("%s: %w: %v", path, ErrCorruptSave, err)
	}
	now := p.cfg.Now()
	for i, tx := range txs {
		if now.Sub(added[i]) > p.cfg.TxTTL {
			res.Dropped++
			continue
		}
		if _, err := p.add(tx, added[i]); err != nil {
			res.Dropped++
			p.cfg.Logger.Debug("mempool: saved transaction not reloaded", "txid", tx.ID(), "err", err)
			continue
		}
		res.Loaded++
		p.hookMu.RLock()
		hooks := p.hooks
		p.hookMu.RUnlock()
		for _, fn := range hooks {
			fn(tx)
		}
	}
	return res, nil
}

func decodeSaved(data []byte) ([]*wire.Tx, []time.Time, error) {
	head := len(saveMagic) + 1
	if len(data) < head+sha256.Size || string(data[:len(saveMagic)]) != saveMagic {
		return nil, nil, errors.New("bad header")
	}
	if v := data[len(saveMagic)]; v != saveVersion {
		return nil, nil, fmt.Errorf("version %d, this node reads %d", v, saveVersion)
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, nil, errors.New("checksum mismatch")
	}
	var txs []*wire.Tx
	var added []time.Time
	rest := body[head:]
	for len(rest) > 0 {
		if len(rest) < 8 {
			return nil, nil, errors.New("truncated entry")
		}
		at := time.UnixMilli(int64(binary.LittleEndian.Uint64(rest)))
		rest = rest[8:]
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) || n > wire.MaxTxBytes {
			return nil, nil, errors.New("bad entry length")
		}
		tx, err := wire.DecodeTx(rest[k : k+int(n)])
		if err != nil {
			return nil, nil, err
		}
		rest = rest[k+int(n):]
		txs, added = append(txs, tx), append(added, at)
	}
	return txs, added, nil
}
