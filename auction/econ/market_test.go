package econ

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// tinyScenario is one device, one bidder, one month, no failures and
// values without spread: every figure can be computed by hand.
func tinyScenario() Scenario {
	return Scenario{
		Name: "tiny", Seed: 3, Rounds: 1, EURPerTHG: 1,
		Kinds:       []KindScenario{{Kind: "meter", Devices: 1, PointsPerPeriod: 100, ReservePerPoint: 0.0001, ValueMedian: 0.0003, ValueSigma: 0, OwnerCostPerPoint: 0.00001}},
		DeviceScale: 1, ReserveScale: 1, Bidders: 1, BiddersPerDevice: 1, TxFee: 0.001,
		AuctionMiners:  MinerScenario{Count: 1, HashRate: 1, PowerWatts: 1, EURPerKWh: 1},
		MetadataMiners: MinerScenario{Count: 1, HashRate: 1, PowerWatts: 1, EURPerKWh: 1},
		Params:         ParamScenario{ProtocolFeePermille: ptr[uint64](20), MetadataFeePermille: ptr[uint64](200), ProtocolFeeMetadataPermille: ptr[uint64](0)},
		Network:        "main",
	}
}

func TestTinyScenarioByHand(t *testing.T) {
	res, err := Run(context.Background(), tinyScenario(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// One bidder: price = reserve = 0.0001 × 100 = 0.01 THG. Its value is
	// 0.0003 × 100 = 0.03 THG. Two transactions (commit, reveal) of
	// 0.001 THG: 20 % to the metadata pool, 80 % to the auction miner.
	// Protocol fee 2 % of the price to the delivering miner. Energy: one
	// miner of 1 W for 720 h at 1 EUR/kWh = 0.72 THG per chain.
	const price, value, fees, energy = 0.01, 0.03, 0.002, 0.72
	want := PartyFlows{
		DataScientists: Flow{Revenue: value, Cost: price + fees, Net: value - price - fees},
		DeviceOwners:   Flow{Revenue: price * 0.98, Cost: 0.001, Net: price*0.98 - 0.001},
		AuctionMiners:  Flow{Revenue: fees*0.8 + price*0.02, Cost: energy, Net: fees*0.8 + price*0.02 - energy},
		MetadataMiners: Flow{Revenue: fees * 0.2, Cost: energy, Net: fees*0.2 - energy},
	}
	for _, party := range Parties {
		got, w := res.Totals.Get(party), want.Get(party)
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"revenue", got.Revenue, w.Revenue}, {"cost", got.Cost, w.Cost}, {"net", got.Net, w.Net}} {
			if math.Abs(c.got-c.want) > 1e-9 {
				t.Errorf("%s %s = %.10f, want %.10f", party, c.what, c.got, c.want)
			}
		}
	}
	r := res.Rounds[0]
	if r.Auctions != 1 || r.Sold != 1 || r.Delivered != 1 || r.Forfeits != 0 {
		t.Errorf("round: %+v, want one auction sold and delivered", r)
	}
	if len(res.Auctions) != 1 || res.Auctions[0].Price != 0.0001 || !res.Auctions[0].WinnerHadTopValue {
		t.Errorf("auction record %+v, want price at the reserve 0.0001 won by the only bidder", res.Auctions)
	}
}

func smallScenario() Scenario {
	s := QuickScenario()
	s.Rounds = 2
	s.DeviceScale = 0.15
	s.Bidders = 10
	return s
}

// TestSummaryDeterministic writes the same report twice and compares
// summary.json byte for byte.
func TestSummaryDeterministic(t *testing.T) {
	s := smallScenario()
	axes := Axes(true)[:2]
	var sums [][]byte
	for i := range 2 {
		base, err := Run(context.Background(), s, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		sw, err := Sweep(context.Background(), SweepBase(s, true), axes, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep := &Report{Baseline: base, Sweep: sw, Findings: Analyse(base, sw)}
		dir := filepath.Join(t.TempDir(), "out")
		if err := rep.Write(dir); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, b)
		if i == 0 {
			for _, f := range []string{"index.html", "flows.csv", "rounds.csv", "auctions.csv", "kind_prices.csv", "sweep.csv", "cumulative_net.svg", "prices.svg", "sweep_protocol_fee_permille.svg"} {
				if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
					t.Errorf("report file %s missing or empty: %v", f, err)
				}
			}
			html, _ := os.ReadFile(filepath.Join(dir, "index.html"))
			if !bytes.Contains(html, []byte("<svg")) || bytes.Contains(html, []byte("src=\"http")) {
				t.Error("index.html must inline its plots and load nothing from the network")
			}
		}
	}
	if !bytes.Equal(sums[0], sums[1]) {
		t.Fatal("summary.json differs between two runs with the same seed")
	}
	other := s
	other.Seed = 99
	base, err := Run(context.Background(), other, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if base.Totals == (PartyFlows{}) {
		t.Fatal("a run produced no flows")
	}
}

// TestConservationUnderFailures runs bond-only bids with frequent missed
// reveals, payments and deliveries: forfeits and fallbacks to the next
// bidder happen, and every invariant still holds.
func TestConservationUnderFailures(t *testing.T) {
	s := smallScenario()
	s.BondOnly = true
	s.RevealFailure, s.PayFailure, s.DeliveryFailure = 0.2, 0.3, 0.2
	res, err := Run(context.Background(), s, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Checks
	if !c.CoinConserved || !c.OwnersPaidOnce || !c.MinersPaidExactly {
		t.Fatalf("checks %+v", c)
	}
	var forfeits, undelivered int
	for _, r := range res.Rounds {
		forfeits += r.Forfeits
		undelivered += r.Undelivered
	}
	if forfeits == 0 || undelivered == 0 {
		t.Fatalf("forfeits %d, undelivered %d: the failure paths were not exercised", forfeits, undelivered)
	}
}

func TestScenarioValidation(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Scenario)
		want string
	}{
		{"no rounds", func(s *Scenario) { s.Rounds = 0 }, "rounds"},
		{"bidders per device above bidders", func(s *Scenario) { s.BiddersPerDevice = s.Bidders + 1 }, "bidders_per_device"},
		{"probability", func(s *Scenario) { s.PayFailure = 1.5 }, "pay_failure"},
		{"permille", func(s *Scenario) { s.Params.BondPermille = ptr[uint64](1001) }, "bond_permille"},
		{"network", func(s *Scenario) { s.Network = "moon" }, "network"},
		{"kind", func(s *Scenario) { s.Kinds[0].PointsPerPeriod = 0 }, "points_per_period"},
	}
	for _, tc := range cases {
		s := DefaultScenario()
		s.Kinds = append([]KindScenario(nil), s.Kinds...)
		tc.edit(&s)
		err := s.Validate()
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
	}
	d := DefaultScenario()
	if err := d.Validate(); err != nil {
		t.Fatalf("default scenario: %v", err)
	}
	path := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(path, []byte(`{"rounds": 3, "colour": "blue"}`), 0o644)
	if _, err := LoadScenario(path, DefaultScenario()); err == nil || !bytes.Contains([]byte(err.Error()), []byte("colour")) {
		t.Fatalf("unknown field: %v", err)
	}
	os.WriteFile(path, []byte(`{"rounds": 3}`), 0o644)
	s, err := LoadScenario(path, DefaultScenario())
	if err != nil || s.Rounds != 3 || len(s.Kinds) != len(DefaultScenario().Kinds) {
		t.Fatalf("partial scenario: %+v, %v", s.Rounds, err)
	}
}
