package chain

import (
	"encoding/binary"
	"slices"

	"github.com/thingchain/thingchain/chain/lthash"
)

// stateReader is the committed state a View reads through.
type stateReader interface {
	getState(key []byte) (value []byte, found bool, err error)
}

type overlayEntry struct {
	value   []byte
	deleted bool
}

type journalEntry struct {
	key     string
	prev    overlayEntry
	existed bool // key was in the overlay before this write
}

// View is a writable overlay on the committed state of a chain. State
// machines read and write through it; the engine turns its changes into one
// atomic Badger transaction, undo data (the committed value of every key
// the block touched) and an update of the LtHash state commitment.
//
// A View is not safe for concurrent use.
type View struct {
	base    stateReader
	overlay map[string]overlayEntry
	journal []journalEntry
}

func newView(base stateReader) *View {
	return &View{base: base, overlay: make(map[string]overlayEntry)}
}

// Get returns the value at key, seeing this view's own writes first.
func (v *View) Get(key []byte) ([]byte, bool, error) {
	if e, ok := v.overlay[string(key)]; ok {
		if e.deleted {
			return nil, false, nil
		}
		return e.value, true, nil
	}
	return v.base.getState(key)
}

// Put stores value at key. The view keeps its own copy of value.
func (v *View) Put(key, value []byte) { v.write(string(key), overlayEntry{value: slices.Clone(value)}) }

// Delete removes key.
func (v *View) Delete(key []byte) { v.write(string(key), overlayEntry{deleted: true}) }

func (v *View) write(key string, e overlayEntry) {
	prev, existed := v.overlay[key]
	v.journal = append(v.journal, journalEntry{key: key, prev: prev, existed: existed})
	v.overlay[key] = e
}

// GetUint64 reads a big-endian counter; absent keys read as zero.
func (v *View) GetUint64(key []byte) (uint64, error) {
	b, ok, err := v.Get(key)
	if err != nil || !ok || len(b) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

// PutUint64 writes a big-endian counter.
func (v *View) PutUint64(key []byte, n uint64) {
	v.Put(key, binary.BigEndian.AppendUint64(nil, n))
}

// Checkpoint marks the current state of the overlay for Rollback.
func (v *View) Checkpoint() int { return len(v.journal) }

// Rollback undoes every write made since the checkpoint.
func (v *View) Rollback(cp int) {
	for i := len(v.journal) - 1; i >= cp; i-- {
		j := v.journal[i]
		if j.existed {
			v.overlay[j.key] = j.prev
		} else {
			delete(v.overlay, j.key)
		}
	}
	v.journal = v.journal[:cp]
}

// stateChange is one key's committed value before and after a block.
type stateChange struct {
	key            string
	old, new       []byte
	hadOld, hasNew bool
}

// changes resolves the overlay against the committed state, dropping
// writes that left a key as it was. Sorted by key so undo data and the
// write order are deterministic.
func (v *View) changes() ([]stateChange, error) {
	out := make([]stateChange, 0, len(v.overlay))
	for key, e := range v.overlay {
		old, hadOld, err := v.base.getState([]byte(key))
		if err != nil {
			return nil, err
		}
		c := stateChange{key: key, old: old, hadOld: hadOld, new: e.value, hasNew: !e.deleted}
		if c.hadOld == c.hasNew && slices.Equal(c.old, c.new) {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b stateChange) int {
		if a.key < b.key {
			return -1
		}
		if a.key > b.key {
			return 1
		}
		return 0
	})
	return out, nil
}

// stateElement is what the LtHash accumulates for one state entry: the
// key's length, the key and the value, so (key, value) pairs cannot be
// confused by moving bytes between them.
func stateElement(key string, value []byte) []byte {
	b := binary.AppendUvarint(make([]byte, 0, 10+len(key)+len(value)), uint64(len(key)))
	b = append(b, key...)
	return append(b, value...)
}

// applyToCommitment moves acc from the state before the changes to the
// state after them; forward=false moves it back.
func applyToCommitment(acc *lthash.Hash, changes []stateChange, forward bool) {
	// Hashing dominates connect time for large blocks, so the per-element
	// expansions run on all cores and the partial sums are combined.
	workers := parallelism(len(changes), 512)
	parts := make([]lthash.Hash, workers)
	runParallel(len(changes), workers, func(w, lo, hi int) {
		var add, sub lthash.Hash
		for _, c := range changes[lo:hi] {
			if c.hadOld {
				sub.Add(stateElement(c.key, c.old))
			}
			if c.hasNew {
				add.Add(stateElement(c.key, c.new))
			}
		}
		if !forward {
			add, sub = sub, add
		}
		parts[w] = add
		parts[w].Subtract(&sub)
	})
	for i := range parts {
		acc.Combine(&parts[i])
	}
}
