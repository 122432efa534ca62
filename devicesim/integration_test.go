package devicesim

import (
	"context"
	"github.com/thingchain/thingchain/registry"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
)

// startRegtestNode runs a regtest node in this process, without a
// network, with its API on a free port, and returns an admin client.
func startRegtestNode(t *testing.T) *rpc.Client {
	t.Helper()
	n := nodetest.Start(t, node.Config{P2PListen: []string{"off"}})
	return nodetest.Client(t, context.Background(), n)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// TestSimulatorChecksInOnRegtest starts a real regtest node, bootstraps
// every kind, checks in 10 devices (two of each kind) and checks that the
// node's device query returns exactly them per kind; a restarted
// simulator on the same directory reuses the devices without new
// check-ins.
func TestSimulatorChecksInOnRegtest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	client := startRegtestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cfg := Config{
		Client: client, Dir: dir, Devices: 10, Generate: AdminGenerate(client),
		PollInterval: 50 * time.Millisecond, ConfirmTimeout: time.Minute, Logger: testLogger(t),
	}
	sim, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sum := sim.Summary()
	if sum.Network != "regtest" || sum.Devices != 10 || len(sum.PerKind) != 5 {
		t.Fatalf("summary %+v", sum)
	}

	byKind := map[string][]string{}
	for _, a := range sim.Agents() {
		byKind[a.Kind.Name] = append(byKind[a.Kind.Name], a.DeviceHex())
	}
	enabled := true
	for kind, want := range byKind {
		res, err := ListDevices(ctx, client, api.DeviceFilter{Kind: kind, Enabled: &enabled})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range res.Devices {
			got = append(got, d.Device)
		}
		slices.Sort(got)
		slices.Sort(want)
		if res.Total != len(want) || !slices.Equal(got, want) {
			t.Fatalf("kind %s: node lists %v (total %d), simulator runs %v", kind, got, res.Total, want)
		}
	}
	// A filter on a TD property and its type finds exactly the fridges.
	res, err := ListDevices(ctx, client, api.DeviceFilter{Properties: map[string]string{"temperature_c": "number"}})
	if err != nil || res.Total != len(byKind["fridge"]) {
		t.Fatalf("property filter: %d devices, %v", res.Total, err)
	}

	// Every record is this agent's check-in, and its TD points at a live
	// endpoint that serves the TD and refuses data without access.
	for _, a := range sim.Agents() {
		rec, err := a.Record(ctx)
		if err != nil || !a.InSync(rec) {
			t.Fatalf("device %s not in sync: %+v %v", a.DeviceHex(), rec, err)
		}
		if !strings.Contains(string(rec.TD), a.DataURL()) {
			t.Fatalf("record TD does not name %s", a.DataURL())
		}
	}
	a := sim.Agents()[0]
	if resp, err := http.Get(a.TDURL()); err != nil || resp.StatusCode != 200 {
		t.Fatalf("TD endpoint: %v %v", resp, err)
	}
	if resp, err := http.Get(a.DataURL()); err != nil || resp.StatusCode != 401 {
		t.Fatalf("data without access: %v %v", resp, err)
	}

	// The owner changes a device's terms; the record follows.
	terms := a.Terms
	terms.ReservePerPoint += 7
	if _, err := a.SetTerms(ctx, terms); err != nil {
		t.Fatal(err)
	}
	err = waiter{interval: 50 * time.Millisecond, generate: cfg.Generate}.until(ctx, "terms", func(ctx context.Context) (bool, error) {
		rec, err := a.Record(ctx)
		return err == nil && registry.Terms(rec.Terms) == terms, err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Restart on the same directory: same devices, nothing to submit.
	sim.Close()
	var heightBefore api.ChainInfoResult
	client.Call(ctx, "chain.info", nil, &heightBefore)
	again, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var heightAfter api.ChainInfoResult
	client.Call(ctx, "chain.info", nil, &heightAfter)
	for i, b := range again.Agents() {
		if b.DeviceHex() != sim.Agents()[i].DeviceHex() {
			t.Fatalf("slot %d: new device %s after restart", i, b.DeviceHex())
		}
	}
	if heightAfter.Metadata.Height != heightBefore.Metadata.Height {
		t.Errorf("restart mined blocks %d → %d: it submitted transactions although every device was checked in", heightBefore.Metadata.Height, heightAfter.Metadata.Height)
	}
	res, err = ListDevices(ctx, client, api.DeviceFilter{})
	if err != nil || res.Total != 10 {
		t.Fatalf("after restart the node lists %d devices (%v), want 10", res.Total, err)
	}
	t.Logf("metadata height %d → %d across the restart", heightBefore.Metadata.Height, heightAfter.Metadata.Height)
}

// TestBootstrapRacing: two simulators bootstrapping the same network at
// the same time both succeed, and a later Bootstrap is a no-op.
func TestBootstrapRacing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	client := startRegtestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	net, err := NodeNetwork(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			errs <- Bootstrap(ctx, client, net, BootstrapConfig{Generate: AdminGenerate(client), PollInterval: 20 * time.Millisecond})
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range Kinds() {
		oem, _ := DevOEM(net, k.Name)
		admitted, model, err := bootstrapState(ctx, client, oem.PubKey(), k)
		if err != nil || !admitted || model == nil || model.Kind != k.Name {
			t.Fatalf("%s: admitted %v, model %+v, %v", k.Name, admitted, model, err)
		}
	}
	var before, after api.ChainInfoResult
	client.Call(ctx, "chain.info", nil, &before)
	if err := Bootstrap(ctx, client, net, BootstrapConfig{PollInterval: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	client.Call(ctx, "chain.info", nil, &after)
	var pool struct {
		Count int `json:"count"`
	}
	client.Call(ctx, "mempool.info", map[string]any{"chain": "metadata"}, &pool)
	if pool.Count != 0 {
		t.Fatalf("a repeated Bootstrap submitted %d transactions", pool.Count)
	}
}
