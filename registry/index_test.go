package registry

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
)

var (
	synthKinds   = []string{"fridge", "tv", "thermostat", "energy-meter", "car"}
	synthRegions = []string{"EU-DE", "EU-FR", "EU", "US-CA", "US-NY", "JP", "DE-BE", "FR-75"}
)

// synthDevice builds a record with a valid-looking key, TD and metadata;
// i selects its attributes deterministically.
func synthDevice(rng *rand.Rand, oems []string) *Device {
	var k keys.PubKey
	k[0] = 2 + byte(rng.IntN(2))
	for i := 1; i < len(k); i++ {
		k[i] = byte(rng.Uint32())
	}
	kind := synthKinds[rng.IntN(len(synthKinds))]
	props := map[string]string{"temperature": "number", "power": "number", "door_open": "boolean", "channel": "integer", "mode": "string"}
	var tdProps []string
	for name, typ := range props {
		if rng.IntN(2) == 0 {
			tdProps = append(tdProps, fmt.Sprintf(`%q:{"type":%q,"forms":[{"href":"/p/%s"}]}`, name, typ, name))
		}
	}
	slices.Sort(tdProps)
	td := fmt.Sprintf(`{"@context":%q,"title":"synthetic","securityDefinitions":{"b":{"scheme":"bearer"}},"security":"b","properties":{%s}}`,
		TDContext11, bytes.Join(toBytes(tdProps), []byte(",")))
	md := fmt.Sprintf(`{"energy_class":%q,"capacity_l":%d,"smart":%v}`, []string{"A", "B", "C"}[rng.IntN(3)], 100+rng.IntN(5)*50, rng.IntN(2) == 0)
	return &Device{
		Device: k.String(), OEM: oems[rng.IntN(len(oems))], Model: fmt.Sprintf("%s-m%d", kind, rng.IntN(4)), Kind: kind,
		Enabled: rng.IntN(4) != 0, Region: synthRegions[rng.IntN(len(synthRegions))],
		Terms: Terms{ReservePerPoint: uint64(rng.IntN(100)), PointsPerPeriod: 100, AccessPeriodSeconds: 3600},
		TD:    []byte(td), Metadata: []byte(md),
	}
}

func toBytes(s []string) [][]byte {
	out := make([][]byte, len(s))
	for i := range s {
		out[i] = []byte(s[i])
	}
	return out
}

func synthOEMs(n int) []string {
	out := make([]string, n)
	for i := range out {
		k, _ := DevOEMKey(netForIndex, fmt.Sprintf("oem%d", i))
		out[i] = k.PubKey().String()
	}
	return out
}

func synthIndex(tb testing.TB, n int, seed uint64) (*Index, []*Device, []string) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	oems := synthOEMs(8)
	idx := NewIndex()
	recs := make([]*Device, n)
	for i := range recs {
		recs[i] = synthDevice(rng, oems)
		if err := idx.Upsert(recs[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return idx, recs, oems
}

func synthFilters(oems []string) []Filter {
	yes, no := true, false
	r10, r50 := uint64(10), uint64(50)
	return []Filter{
		{},
		{Kind: "fridge", Enabled: &yes},
		{OEM: oems[3], Limit: 50},
		{Kind: "tv", Model: "tv-m2", RegionPrefix: "EU"},
		{Properties: map[string]string{"temperature": "number", "door_open": ""}, Enabled: &yes},
		{MetadataEq: map[string]string{"energy_class": "A", "smart": "true"}, MaxReserve: &r50},
		{RegionPrefix: "US-CA", MaxReserve: &r10, Enabled: &yes, Offset: 20, Limit: 20},
		{Kind: "car", Properties: map[string]string{"power": "string"}}, // wrong type: no match
		{Enabled: &no, MetadataEq: map[string]string{"capacity_l": "250"}, Offset: 1000},
		{Kind: "energy-meter", OEM: oems[1], Properties: map[string]string{"mode": "string"}, RegionPrefix: "EU-DE"},
	}
}

// bruteForce is the specification Query must meet.
func bruteForce(recs []*Device, f Filter) QueryResult {
	var all []*Device
	for _, r := range recs {
		if naiveMatch(r, f) {
			all = append(all, r)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Device < all[j].Device })
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	lo := min(f.Offset, len(all))
	hi := min(lo+limit, len(all))
	return QueryResult{Total: len(all), Devices: all[lo:hi]}
}

func TestIndexQueryMatchesBruteForce(t *testing.T) {
	idx, recs, oems := synthIndex(t, 3000, 7)
	for i, f := range synthFilters(oems) {
		got, want := idx.Query(f), bruteForce(recs, f)
		if got.Total != want.Total || len(got.Devices) != len(want.Devices) {
			t.Fatalf("filter %d: total %d/%d page %d/%d", i, got.Total, want.Total, len(got.Devices), len(want.Devices))
		}
		for j := range got.Devices {
			if got.Devices[j] != want.Devices[j] {
				t.Fatalf("filter %d: result %d differs", i, j)
			}
		}
		if i > 0 && i < 7 && got.Total == 0 {
			t.Errorf("filter %d matches nothing; the test data is too thin", i)
		}
	}
	// Replacing and removing records.
	k := keys.PubKey(mustHex(t, recs[0].Device))
	changed := *recs[0]
	changed.Kind = "unique-kind"
	if err := idx.Upsert(&changed); err != nil {
		t.Fatal(err)
	}
	if r := idx.Query(Filter{Kind: "unique-kind"}); r.Total != 1 || idx.Len() != len(recs) {
		t.Fatalf("upsert of an existing key: total %d len %d", r.Total, idx.Len())
	}
	idx.Remove(k)
	if r := idx.Query(Filter{Kind: "unique-kind"}); r.Total != 0 || idx.Len() != len(recs)-1 {
		t.Fatal("remove did not drop the record")
	}
	if r := idx.Query(Filter{Limit: 5000}); len(r.Devices) != MaxQueryLimit {
		t.Fatalf("limit not capped: %d", len(r.Devices))
	}
}

// BenchmarkQuery100k runs mixed filters over 100,000 synthetic records
// and reports the p95 latency of one query (target < 50 ms).
func BenchmarkQuery100k(b *testing.B) {
	idx, _, oems := synthIndex(b, 100_000, 42)
	filters := synthFilters(oems)
	idx.Query(Filter{}) // sort once outside the timing
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		idx.Query(filters[i%len(filters)])
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	p95 := lat[len(lat)*95/100]
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// naiveMatch decodes the record's TD and metadata afresh: an
// implementation of Filter independent of the index's interning.
func naiveMatch(r *Device, f Filter) bool {
	if (f.Enabled != nil && r.Enabled != *f.Enabled) || (f.Kind != "" && r.Kind != f.Kind) ||
		(f.Model != "" && r.Model != f.Model) || (f.OEM != "" && r.OEM != f.OEM) ||
		!strings.HasPrefix(r.Region, f.RegionPrefix) || (f.MaxReserve != nil && r.Terms.ReservePerPoint > *f.MaxReserve) {
		return false
	}
	var td struct {
		Properties map[string]struct{ Type string } `json:"properties"`
	}
	var md map[string]any
	if json.Unmarshal(r.TD, &td) != nil || json.Unmarshal(r.Metadata, &md) != nil {
		return false
	}
	for name, typ := range f.Properties {
		p, ok := td.Properties[name]
		if !ok || (typ != "" && p.Type != typ) {
			return false
		}
	}
	for field, want := range f.MetadataEq {
		if got, ok := md[field]; !ok || fmt.Sprint(got) != want {
			return false
		}
	}
	return true
}
