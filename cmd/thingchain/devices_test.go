package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/devicesim"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/node/nodetest"
	"github.com/thingchain/thingchain/registry"
)

func TestParseDeviceFilters(t *testing.T) {
	f, err := parseDeviceFilters([]string{"kind=fridge", "region=EU", "enabled=true", "max-reserve=25", "prop:temperature=number", "prop:door=*", "meta:energy_class=A++", "model=m1"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != "fridge" || f.RegionPrefix != "EU" || f.Enabled == nil || !*f.Enabled || f.MaxReserve == nil || *f.MaxReserve != 25 ||
		f.Properties["temperature"] != "number" || f.Properties["door"] != "" || f.Metadata["energy_class"] != "A++" || f.Model != "m1" {
		t.Fatalf("parsed %+v", f)
	}
	for _, tc := range []struct{ arg, want string }{
		{"kind", "want KEY=VALUE"},
		{"=x", "want KEY=VALUE"},
		{"colour=red", "unknown key"},
		{"enabled=maybe", "true or false"},
		{"max-reserve=-1", "whole number"},
		{"prop:=number", "unknown key"},
	} {
		if _, err := parseDeviceFilters([]string{tc.arg}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.arg, err, tc.want)
		}
	}
}

// TestDevicesListCommand: `thingchain devices list` against a node with
// simulated devices returns exactly the filtered records, as JSON and as
// a table, and pages.
func TestDevicesListCommand(t *testing.T) {
	n := nodetest.Start(t, node.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := nodetest.Client(t, ctx, n)
	fridge, _ := devicesim.KindByName("fridge")
	car, _ := devicesim.KindByName("car")
	sim, err := devicesim.New(devicesim.Config{Client: c, Devices: 5, Kinds: []*devicesim.Kind{fridge, car},
		Generate: devicesim.AdminGenerate(c), PollInterval: 20 * time.Millisecond, AuctionPoll: -1, NoFunding: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var cars []string
	for _, a := range sim.Agents() {
		if a.Kind.Name == "car" {
			cars = append(cars, a.DeviceHex())
		}
	}
	slices.Sort(cars)
	var res registry.QueryResult
	out := runApp(t, false, "devices", "list", "--node", n.RPCURL, "--filter", "kind=car", "--filter", "enabled=true", "--json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	var got []string
	for _, d := range res.Devices {
		got = append(got, d.Device)
	}
	if res.Total != len(cars) || !slices.Equal(got, cars) {
		t.Fatalf("kind=car: got %v (total %d), want %v", got, res.Total, cars)
	}
	table := runApp(t, false, "devices", "list", "--node", n.RPCURL, "--filter", "kind=fridge", "--limit", "1")
	if !strings.Contains(table, "fridge") || !strings.Contains(table, "1 of 3 matching devices") {
		t.Fatalf("table output:\n%s", table)
	}
	if msg := runApp(t, true, "devices", "list", "--node", n.RPCURL, "--limit", "0"); !strings.Contains(msg, "--limit") {
		t.Fatalf("bad --limit: %s", msg)
	}
}

// TestTestnetRejectsBadFlags: out-of-range testnet sizes are refused
// before any node starts, with the flag named.
func TestTestnetRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--devices", "-1"}, "--devices"},
		{[]string{"--bidders", "101"}, "--bidders"},
		{[]string{"--bid-every", "0s"}, "--bid-every"},
		{[]string{"--nodes", "0"}, "--nodes"},
		{[]string{"--miners", "5"}, "--miners"},
		{[]string{"--network", "main"}, "--network"},
	} {
		if msg := runApp(t, true, append([]string{"testnet"}, tc.args...)...); !strings.Contains(msg, tc.want) {
			t.Errorf("testnet %v: %q does not name %s", tc.args, msg, tc.want)
		}
	}
}
