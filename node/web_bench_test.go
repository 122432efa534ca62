package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/devicesim"
	"github.com/thingchain/thingchain/registry"
)

var benchRegions = []string{"EU-DE", "EU-FR", "EU", "US-CA", "US-NY", "JP", "GB", "FR-75"}

// fillIndex puts n device records into the node's query index: the five
// simulated kinds with their real Thing Descriptions, metadata and terms,
// keys drawn deterministically.
func fillIndex(b *testing.B, n *Node, count int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	names := devicesim.KindNames()
	oemKey, _ := keys.PrivateKeyFromBytes(bytes.Repeat([]byte{7}, 32))
	oem := oemKey.PubKey().String()
	for i := 0; i < count; i++ {
		k, err := devicesim.KindByName(names[i%len(names)])
		if err != nil {
			b.Fatal(err)
		}
		seed := sha256.Sum256(fmt.Appendf(nil, "bench device %d", i))
		key, err := keys.PrivateKeyFromBytes(seed[:])
		if err != nil {
			b.Fatal(err)
		}
		hexKey := key.PubKey().String()
		rec := &registry.Device{
			Device: hexKey, OEM: oem, Model: k.Model.ModelID, Kind: k.Name, Enabled: rng.IntN(4) != 0,
			Region: benchRegions[rng.IntN(len(benchRegions))], Terms: k.Terms,
			TD:       k.ThingDescription(hexKey, fmt.Sprintf("http://127.0.0.1:%d", 20000+i%40000)),
			Metadata: k.Metadata(uint64(i)),
		}
		rec.Terms.ReservePerPoint = uint64(rng.IntN(5000))
		if err := n.Index.Upsert(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDevicePageQuery100k is the web app's device page: one
// registry.devices call over HTTP JSON-RPC to a running regtest node
// whose index holds 100,000 devices (real TDs), one page of 25 records
// with their Thing Descriptions and strikes (read from the auction
// chain), for the filters the page offers. It reports the p50 and p95
// time of one page, request to decoded response (target < 200 ms).
func BenchmarkDevicePageQuery100k(b *testing.B) {
	n := startBenchNode(b)
	fillIndex(b, n, 100_000)
	yes := true
	r := uint64(2500)
	filters := []map[string]any{
		{"enabled": yes},
		{"kind": "thermostat", "region_prefix": "EU"},
		{"kind": "fridge", "enabled": yes, "max_reserve": r},
		{"properties": map[string]string{"temperature_c": "number"}, "enabled": yes},
		{"region_prefix": "US", "max_reserve": r, "enabled": yes},
		{"model": "nordheat-t3", "enabled": yes},
		{},
	}
	var lat []time.Duration
	var total int
	for i := 0; b.Loop(); i++ {
		p := filters[i%len(filters)]
		p["limit"], p["offset"] = 25, (i/len(filters))%40*25
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": i, "method": "registry.devices", "params": p})
		start := time.Now()
		resp, err := http.Post(n.RPCURL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var out struct {
			Result struct {
				Total   int               `json:"total"`
				Devices []json.RawMessage `json:"devices"`
			} `json:"result"`
			Error any `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
		if err != nil || out.Error != nil || (out.Result.Total > 0 && len(out.Result.Devices) == 0) {
			b.Fatalf("registry.devices %v: %v %v", p, err, out.Error)
		}
		total += len(out.Result.Devices)
	}
	if total == 0 {
		b.Fatal("no filter matched anything")
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
}

func startBenchNode(b *testing.B) *Node {
	b.Helper()
	n, err := New(Config{Network: "regtest", DataDir: b.TempDir(), RPCAddr: "127.0.0.1:0", P2PListen: []string{"off"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-n.Ready():
	case <-done:
		b.Fatal("node stopped during start-up")
	case <-time.After(20 * time.Second):
		b.Fatal("API did not start")
	}
	return n
}
