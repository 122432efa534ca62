package registry

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"sync"

	"github.com/thingchain/thingchain/chain/wire"
)

// checkMemo remembers work that validating a block's check-ins would
// otherwise repeat: each check-in's context-free checks (CheckCheckIn:
// its decoded payload, owner key, signed hash, parsed and compacted
// documents) and each model's parsed Thing Model. Block import lists a
// check-in's owner signature, runs its sanity checks and applies it, each
// of which needs that work; with the memo it is done once, in the
// parallel stage, and ordered application only compares the parsed
// documents with the model.
//
// Everything it holds is a pure function of its key, so a lookup that
// misses gives the same result, only later: results never depend on it.
// A check-in is remembered by what its checks read (chain, sender, nonce,
// payload), hashed for the lookup and compared in full, so it is found
// again whichever copy of the transaction comes back (a block decoded
// anew for connecting, a mempool transaction in a block) and a
// transaction changed after it was checked is checked again. Memory is
// bounded: two generations of check-ins, each at most memoGeneration of
// them and memoGenerationBytes of estimated memory (a block of more
// check-ins than that checks the excess again, as without the memo), and
// Thing Models up to memoModels of them and memoModelBytes.
type checkMemo struct {
	mu         sync.Mutex
	seed       maphash.Seed
	cur, old   map[uint64]memoCheckIn
	curBytes   int
	models     map[string]*ThingModel
	modelBytes int
}

// Bounds of the memo. A checked check-in takes about ten times its
// payload in memory (the parsed documents, their compacted copies, the
// payload's copy: 8 KiB for a 788-byte payload), a parsed Thing Model
// about ten times its text; memoCost over-estimates both.
const (
	memoGeneration      = 4096
	memoGenerationBytes = 32 << 20
	memoModels          = 256
	memoModelBytes      = 16 << 20
)

// memoCost is the memory a memo entry made from n bytes is reckoned at.
func memoCost(n int) int { return 12*n + 1024 }

// memoCheckIn is a remembered check-in and what its checks read.
type memoCheckIn struct {
	chainID uint32
	nonce   uint64
	sender  [wire.PubKeySize]byte
	payload []byte
	checked *CheckedCheckIn
}

func newCheckMemo() *checkMemo {
	return &checkMemo{seed: maphash.MakeSeed(), cur: map[uint64]memoCheckIn{}, models: map[string]*ThingModel{}}
}

// key hashes what a check-in's checks read.
func (m *checkMemo) key(tx *wire.Tx) uint64 {
	var h maphash.Hash
	h.SetSeed(m.seed)
	var fixed [12]byte
	binary.LittleEndian.PutUint32(fixed[:4], tx.ChainID)
	binary.LittleEndian.PutUint64(fixed[4:], tx.Nonce)
	h.Write(fixed[:])
	h.Write(tx.Sender[:])
	h.Write(tx.Payload)
	return h.Sum64()
}

// checkIn returns tx's remembered checks, or nil.
func (m *checkMemo) checkIn(tx *wire.Tx) *CheckedCheckIn {
	if m == nil || tx.Type != TxCheckIn {
		return nil
	}
	k := m.key(tx)
	m.mu.Lock()
	e, ok := m.cur[k]
	if !ok {
		e, ok = m.old[k]
	}
	m.mu.Unlock()
	if !ok || e.chainID != tx.ChainID || e.nonce != tx.Nonce || e.sender != tx.Sender || !bytes.Equal(e.payload, tx.Payload) {
		return nil
	}
	return e.checked
}

// putCheckIn remembers the checks of tx, which passed them.
func (m *checkMemo) putCheckIn(tx *wire.Tx, c *CheckedCheckIn) {
	if m == nil {
		return
	}
	k := m.key(tx)
	e := memoCheckIn{chainID: tx.ChainID, nonce: tx.Nonce, sender: tx.Sender, payload: bytes.Clone(tx.Payload), checked: c}
	cost := memoCost(len(tx.Payload))
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cur) >= memoGeneration || m.curBytes+cost > memoGenerationBytes {
		m.old, m.cur, m.curBytes = m.cur, make(map[uint64]memoCheckIn, len(m.cur)), 0
	}
	m.cur[k] = e
	m.curBytes += cost
}

// thingModel returns a model's Thing Model parsed (ParseThingModel).
func (m *checkMemo) thingModel(text []byte) (*ThingModel, error) {
	if m == nil {
		return ParseThingModel(text)
	}
	m.mu.Lock()
	tm := m.models[string(text)]
	m.mu.Unlock()
	if tm != nil {
		return tm, nil
	}
	tm, err := ParseThingModel(text)
	if err != nil {
		return nil, err
	}
	cost := memoCost(len(text))
	m.mu.Lock()
	if len(m.models) >= memoModels || m.modelBytes+cost > memoModelBytes {
		clear(m.models)
		m.modelBytes = 0
	}
	m.models[string(text)] = tm
	m.modelBytes += cost
	m.mu.Unlock()
	return tm, nil
}
