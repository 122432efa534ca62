package devicesim

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
)

// startPeer runs a regtest node with libp2p on 127.0.0.1, dialling
// bootstrap, and returns it once its API is up.
func startPeer(t *testing.T, bootstrap []string) *node.Node {
	t.Helper()
	return nodetest.Start(t, node.Config{Bootstrap: bootstrap})
}

// TestFiftyDevicesOnTestnet is the metadata chain's acceptance test: on a
// three-node loopback network, 50 simulated devices of all five kinds
// check in through node 0; node 2, which only hears of them by gossip and
// sync, answers filters with exactly the expected devices.
func TestFiftyDevicesOnTestnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	n0 := startPeer(t, nil)
	n1 := startPeer(t, n0.P2PAddrs()[:1])
	n2 := startPeer(t, n1.P2PAddrs()[:1])
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c0, err := rpc.Dial(ctx, n0.RPCURL, rpc.WithToken(n0.RPC.Token()))
	if err != nil {
		t.Fatal(err)
	}
	defer c0.Close()
	sim, err := New(Config{Client: c0, Devices: 50, Generate: AdminGenerate(c0), PollInterval: 50 * time.Millisecond,
		ConfirmTimeout: 2 * time.Minute, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, a := range sim.Agents() {
		want[a.Kind.Name] = append(want[a.Kind.Name], a.DeviceHex())
	}
	if len(want) < 4 {
		t.Fatalf("devices of %d kinds, want at least 4", len(want))
	}

	c2, err := rpc.Dial(ctx, n2.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	// Node 2 has the devices once its metadata tip is node 0's.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for n2.Metadata.Tip().Hash != n0.Metadata.Tip().Hash {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("node 2 did not reach node 0's metadata tip %d (at %d)", n0.Metadata.Tip().Height, n2.Metadata.Tip().Height)
		}
	}
	// The device index follows the tip when the chain delivers its event,
	// just after the tip moves: wait for it too.
	enabled := true
	for {
		res, err := ListDevices(ctx, c2, api.DeviceFilter{Enabled: &enabled, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total >= 50 {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("node 2's device index lists %d devices at node 0's tip, want 50", res.Total)
		}
	}
	total := 0
	for kind, devs := range want {
		res, err := ListDevices(ctx, c2, api.DeviceFilter{Kind: kind, Enabled: &enabled, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range res.Devices {
			got = append(got, d.Device)
		}
		slices.Sort(got)
		slices.Sort(devs)
		if !slices.Equal(got, devs) || res.Total != len(devs) {
			t.Errorf("kind %s on node 2: got %d devices %v, want %d %v", kind, res.Total, got, len(devs), devs)
		}
		total += res.Total
	}
	if total != 50 {
		t.Fatalf("node 2 lists %d devices in all, want 50", total)
	}
	// A filter on a property only one kind has.
	res, err := ListDevices(ctx, c2, api.DeviceFilter{Properties: map[string]string{"odometer_km": ""}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != len(want["car"]) {
		t.Errorf("devices with an odometer_km property: %d, want the %d cars", res.Total, len(want["car"]))
	}
}
