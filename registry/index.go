package registry

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
)

// Query limits.
const (
	DefaultQueryLimit = 100
	MaxQueryLimit     = 1000
)

// Filter selects device records. Zero-valued fields do not filter.
type Filter struct {
	OEM   string // hex compressed key of the attesting OEM
	Model string
	Kind  string
	// Properties requires each named TD property affordance; a non-empty
	// value also requires its data schema "type" ("number", "boolean"...).
	Properties map[string]string
	// MetadataEq requires metadata fields to equal values, compared as
	// text: strings as they are, numbers as written in the metadata JSON,
	// booleans as "true"/"false".
	MetadataEq   map[string]string
	RegionPrefix string  // "EU" matches "EU-DE" and "EU"
	MaxReserve   *uint64 // reserve per point at most this
	Enabled      *bool
	Offset       int
	Limit        int // 0 means DefaultQueryLimit; capped at MaxQueryLimit
}

// QueryResult is one page of matches, sorted by device key, and how many
// records match in all.
type QueryResult struct {
	Total   int       `json:"total"`
	Devices []*Device `json:"devices"`
}

type indexEntry struct {
	key keys.PubKey
	rec *Device
	// Interned terms: "p\x00name" and "p\x00name\x00type" for each TD
	// property, "m\x00field\x00value" for each metadata field. Filters
	// become a few integer comparisons per record. Kept inline (with the
	// fields most filters test) so a scan touches one cache line or two
	// per record instead of chasing pointers.
	nterms  int
	inline  [12]uint32
	spill   []uint32 // terms beyond len(inline)
	enabled bool
	reserve uint64
}

func (e *indexEntry) addTerm(t uint32) {
	if e.nterms < len(e.inline) {
		e.inline[e.nterms] = t
	} else {
		e.spill = append(e.spill, t)
	}
	e.nterms++
}

func (e *indexEntry) hasTerm(t uint32) bool {
	n := min(e.nterms, len(e.inline))
	for i := 0; i < n; i++ {
		if e.inline[i] == t {
			return true
		}
	}
	return slices.Contains(e.spill, t)
}

// Index is an in-memory query index over device records. It is fed by its
// owner: Rebuild from state on start, then ApplyEvent (or Refresh) after
// every chain event, so it never reads the chain itself. Records returned
// by Query are shared and must not be modified. Safe for concurrent use.
type Index struct {
	mu      sync.RWMutex
	byKey   map[keys.PubKey]*indexEntry
	sorted  []*indexEntry // by key; rebuilt lazily when dirty
	dirty   bool
	terms   map[string]uint32 // interned filter terms; guarded by termsMu
	termsMu sync.RWMutex
	// Posting lists in key order, rebuilt with sorted.
	byKind, byModel, byOEM map[string][]*indexEntry
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{byKey: map[keys.PubKey]*indexEntry{}, terms: map[string]uint32{}}
}

func propTerm(name, typ string) string { return "p\x00" + name + "\x00" + typ }
func anyPropTerm(name string) string   { return "p\x00" + name }
func metaTerm(field, value string) string {
	return "m\x00" + field + "\x00" + value
}

func (x *Index) intern(term string) uint32 {
	x.termsMu.Lock()
	defer x.termsMu.Unlock()
	id, ok := x.terms[term]
	if !ok {
		id = uint32(len(x.terms))
		x.terms[term] = id
	}
	return id
}

// lookupTerm returns a term's id; ok is false if no record ever had it.
func (x *Index) lookupTerm(term string) (uint32, bool) {
	x.termsMu.RLock()
	defer x.termsMu.RUnlock()
	id, ok := x.terms[term]
	return id, ok
}

// Len is the number of indexed records.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byKey)
}

// Upsert adds or replaces a record.
func (x *Index) Upsert(rec *Device) error {
	e, err := x.newIndexEntry(rec)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.byKey[e.key]; ok && old.rec.Kind == rec.Kind && old.rec.Model == rec.Model && old.rec.OEM == rec.OEM {
		*old = *e // same position in every list: no rebuild needed
		return nil
	}
	x.byKey[e.key] = e
	x.dirty = true
	return nil
}

// Remove drops a record (a reorganisation undid its attestation).
func (x *Index) Remove(device keys.PubKey) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.byKey[device]; ok {
		delete(x.byKey, device)
		x.dirty = true
	}
}

// Rebuild replaces the index's contents with every device in state.
func (x *Index) Rebuild(v *chain.View) error {
	fresh := map[keys.PubKey]*indexEntry{}
	err := ScanDevices(v, func(d *Device) error {
		e, err := x.newIndexEntry(d)
		if err != nil {
			return err
		}
		fresh[e.key] = e
		return nil
	})
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.byKey, x.sorted, x.dirty = fresh, nil, true
	x.mu.Unlock()
	return nil
}

// Refresh re-reads the given devices from state: present records are
// upserted, absent ones removed.
func (x *Index) Refresh(v *chain.View, devices []keys.PubKey) error {
	for _, k := range devices {
		d, err := GetDevice(v, k)
		if err != nil {
			return err
		}
		if d == nil {
			x.Remove(k)
			continue
		}
		if err := x.Upsert(d); err != nil {
			return err
		}
	}
	return nil
}

// ApplyEvent refreshes every device the event's reverted and applied
// blocks touched, reading v, which must be the state at the event's tip
// or later (a later state only makes the index more current).
func (x *Index) ApplyEvent(v *chain.View, ev chain.Event) error {
	var touched []keys.PubKey
	for _, blk := range ev.Reverted {
		touched = append(touched, TouchedDevices(blk)...)
	}
	for _, blk := range ev.Applied {
		touched = append(touched, TouchedDevices(blk)...)
	}
	slices.SortFunc(touched, func(a, b keys.PubKey) int { return bytes.Compare(a[:], b[:]) })
	return x.Refresh(v, slices.Compact(touched))
}

func (x *Index) newIndexEntry(rec *Device) (*indexEntry, error) {
	// Records come from state, so the key is only decoded, not re-checked
	// against the curve.
	var k keys.PubKey
	if n, err := hex.Decode(k[:], []byte(rec.Device)); err != nil || n != len(k) || len(rec.Device) != 2*len(k) {
		return nil, fmt.Errorf("registry: index: device key %q is not 33 bytes of hex", rec.Device)
	}
	e := &indexEntry{key: k, rec: rec, enabled: rec.Enabled, reserve: rec.Terms.ReservePerPoint}
	if len(rec.TD) > 0 && string(rec.TD) != "null" {
		var td struct {
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		}
		if json.Unmarshal(rec.TD, &td) == nil && len(td.Properties) > 0 {
			for name, p := range td.Properties {
				e.addTerm(x.intern(anyPropTerm(name)))
				e.addTerm(x.intern(propTerm(name, p.Type)))
			}
		}
	}
	if len(rec.Metadata) > 0 && string(rec.Metadata) != "null" {
		var md map[string]json.RawMessage
		if json.Unmarshal(rec.Metadata, &md) == nil {
			for f, raw := range md {
				var s string
				if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
					e.addTerm(x.intern(metaTerm(f, s)))
				} else {
					e.addTerm(x.intern(metaTerm(f, string(raw))))
				}
			}
		}
	}
	return e, nil
}

func (x *Index) ensureSorted() {
	if !x.dirty {
		return
	}
	x.sorted = x.sorted[:0]
	for _, e := range x.byKey {
		x.sorted = append(x.sorted, e)
	}
	slices.SortFunc(x.sorted, func(a, b *indexEntry) int { return bytes.Compare(a.key[:], b.key[:]) })
	x.byKind, x.byModel, x.byOEM = map[string][]*indexEntry{}, map[string][]*indexEntry{}, map[string][]*indexEntry{}
	for _, e := range x.sorted {
		x.byKind[e.rec.Kind] = append(x.byKind[e.rec.Kind], e)
		x.byModel[e.rec.Model] = append(x.byModel[e.rec.Model], e)
		x.byOEM[e.rec.OEM] = append(x.byOEM[e.rec.OEM], e)
	}
	x.dirty = false
}

// Query returns the page of records matching f, sorted by device key.
func (x *Index) Query(f Filter) QueryResult {
	x.mu.RLock()
	if x.dirty {
		x.mu.RUnlock()
		x.mu.Lock()
		x.ensureSorted()
		x.mu.Unlock()
		x.mu.RLock()
	}
	defer x.mu.RUnlock()
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	limit = min(limit, MaxQueryLimit)
	offset := max(f.Offset, 0)
	cf, possible := x.compile(&f)
	if !possible {
		return QueryResult{Devices: []*Device{}}
	}
	candidates := x.sorted
	// The exact-match fields have posting lists; scan the shortest.
	for _, p := range []struct {
		m   map[string][]*indexEntry
		key string
	}{{x.byKind, f.Kind}, {x.byModel, f.Model}, {x.byOEM, f.OEM}} {
		if p.key != "" {
			if l := p.m[p.key]; len(l) < len(candidates) {
				candidates = l
			}
		}
	}
	res := QueryResult{Devices: []*Device{}}
	for _, e := range candidates {
		if !cf.matches(e) {
			continue
		}
		if res.Total >= offset && len(res.Devices) < limit {
			res.Devices = append(res.Devices, e.rec)
		}
		res.Total++
	}
	return res
}

// compiledFilter is a Filter with its property and metadata conditions
// turned into interned term ids that a record must all carry.
type compiledFilter struct {
	Filter
	terms []uint32
}

// compile interns nothing: a term no record has means no match
// (possible=false).
func (x *Index) compile(f *Filter) (cf *compiledFilter, possible bool) {
	cf = &compiledFilter{Filter: *f}
	add := func(term string) bool {
		id, ok := x.lookupTerm(term)
		cf.terms = append(cf.terms, id)
		return ok
	}
	for name, typ := range f.Properties {
		term := propTerm(name, typ)
		if typ == "" {
			term = anyPropTerm(name)
		}
		if !add(term) {
			return nil, false
		}
	}
	for field, v := range f.MetadataEq {
		if !add(metaTerm(field, v)) {
			return nil, false
		}
	}
	return cf, true
}

func (f *compiledFilter) matches(e *indexEntry) bool {
	if f.Enabled != nil && e.enabled != *f.Enabled {
		return false
	}
	if f.MaxReserve != nil && e.reserve > *f.MaxReserve {
		return false
	}
	for _, t := range f.terms {
		if !e.hasTerm(t) {
			return false
		}
	}
	r := e.rec
	if f.Kind != "" && r.Kind != f.Kind {
		return false
	}
	if f.Model != "" && r.Model != f.Model {
		return false
	}
	if f.OEM != "" && r.OEM != f.OEM {
		return false
	}
	if f.RegionPrefix != "" && !strings.HasPrefix(r.Region, f.RegionPrefix) {
		return false
	}
	return true
}
