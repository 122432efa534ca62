package econ

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// Scenario is every assumption of one run. Amounts are in THG (decimal),
// energy in watts and euros; DefaultScenario documents each default and
// where it comes from (docs/economics.md repeats the table).
type Scenario struct {
	Name string `json:"name"`
	// Seed draws keys, bidders' values, salts and failures.
	Seed uint64 `json:"seed"`
	// Rounds is the number of access periods (months) simulated: every
	// device is auctioned once per round.
	Rounds int `json:"rounds"`
	// EURPerTHG converts energy costs into THG.
	EURPerTHG float64 `json:"eur_per_thg"`

	Kinds []KindScenario `json:"kinds"`
	// DeviceScale multiplies every kind's device count (the sweep's
	// "device count" axis).
	DeviceScale float64 `json:"device_scale"`
	// ReserveScale multiplies every kind's reserve price.
	ReserveScale float64 `json:"reserve_scale"`

	// Bidders is the number of data scientists; each device draws
	// BiddersPerDevice distinct ones of them each round.
	Bidders          int `json:"bidders"`
	BiddersPerDevice int `json:"bidders_per_device"`
	// TxFee is the fee of every bid (commit) and reveal transaction.
	TxFee float64 `json:"tx_fee"`
	// RevealFailure is the chance that a bidder fails to reveal one bid
	// (its deposit is forfeited); DeliveryFailure the chance that a device
	// misses a key delivery (the winner is refunded, the device gets a
	// strike).
	RevealFailure   float64 `json:"reveal_failure"`
	DeliveryFailure float64 `json:"delivery_failure"`
	// BondOnly bidders deposit only the bond (BondPermille of the bid) and
	// pay the price when they win; PayFailure is the chance that a winner
	// does not pay (its bond is forfeited and the next bidder wins).
	BondOnly   bool    `json:"bond_only"`
	PayFailure float64 `json:"pay_failure"`

	AuctionMiners  MinerScenario `json:"auction_miners"`
	MetadataMiners MinerScenario `json:"metadata_miners"`

	// Params are the auction rules; zero fields take the network's values.
	Params ParamScenario `json:"params"`
	// Network names whose block spacing prices the miners' energy
	// (blocks per month) and whose auction shares are the defaults.
	Network string `json:"network"`
}

// KindScenario is one device kind of the market.
type KindScenario struct {
	Kind    string `json:"kind"`
	Devices int    `json:"devices"`
	// PointsPerPeriod and ReservePerPoint are the owner's terms.
	PointsPerPeriod uint64  `json:"points_per_period"`
	ReservePerPoint float64 `json:"reserve_per_point"`
	// ValueMedian and ValueSigma describe each data scientist's private
	// value of one data point: log-normal with this median (THG) and
	// log-space standard deviation, drawn independently per bidder and
	// device each round.
	ValueMedian float64 `json:"value_median"`
	ValueSigma  float64 `json:"value_sigma"`
	// OwnerCostPerPoint is what producing and serving one point costs the
	// device owner (bandwidth, power, wear), in THG.
	OwnerCostPerPoint float64 `json:"owner_cost_per_point"`
}

// MinerScenario is the miners of one chain.
type MinerScenario struct {
	Count int `json:"count"`
	// HashRate is each miner's hashes per second (reported, and used for
	// the network's energy per hash).
	HashRate float64 `json:"hash_rate"`
	// PowerWatts is each miner's power draw while mining.
	PowerWatts float64 `json:"power_watts"`
	// EURPerKWh is the electricity price.
	EURPerKWh float64 `json:"eur_per_kwh"`
}

// ParamScenario overrides the network's auction parameters; nil keeps the
// network's value.
type ParamScenario struct {
	ProtocolFeePermille         *uint64 `json:"protocol_fee_permille,omitempty"`
	MetadataFeePermille         *uint64 `json:"metadata_fee_permille,omitempty"`
	BondPermille                *uint64 `json:"bond_permille,omitempty"`
	ForfeitOwnerPermille        *uint64 `json:"forfeit_owner_permille,omitempty"`
	ProtocolFeeMetadataPermille *uint64 `json:"protocol_fee_metadata_permille,omitempty"`
}

// DefaultScenario is the baseline market: five device kinds with the
// device simulator's terms, values that put the median data scientist at
// one and a half to three times the reserve, and miners that are one
// server core each. docs/economics.md gives the reasoning for each value.
func DefaultScenario() Scenario {
	return Scenario{
		Name: "baseline", Seed: 1, Rounds: 12, EURPerTHG: 1,
		Kinds: []KindScenario{
			{Kind: "fridge", Devices: 40, PointsPerPeriod: 8640, ReservePerPoint: 0.0002, ValueMedian: 0.0004, ValueSigma: 0.6, OwnerCostPerPoint: 0.000002},
			{Kind: "tv", Devices: 30, PointsPerPeriod: 43200, ReservePerPoint: 0.0001, ValueMedian: 0.00015, ValueSigma: 0.6, OwnerCostPerPoint: 0.000001},
			{Kind: "thermostat", Devices: 50, PointsPerPeriod: 8640, ReservePerPoint: 0.0002, ValueMedian: 0.0005, ValueSigma: 0.6, OwnerCostPerPoint: 0.000002},
			{Kind: "energy-meter", Devices: 50, PointsPerPeriod: 2880, ReservePerPoint: 0.0003, ValueMedian: 0.001, ValueSigma: 0.6, OwnerCostPerPoint: 0.000004},
			{Kind: "car", Devices: 30, PointsPerPeriod: 43200, ReservePerPoint: 0.0005, ValueMedian: 0.0008, ValueSigma: 0.7, OwnerCostPerPoint: 0.000003},
		},
		DeviceScale: 1, ReserveScale: 1,
		Bidders: 40, BiddersPerDevice: 4,
		TxFee:         0.001,
		RevealFailure: 0.01, DeliveryFailure: 0.01, PayFailure: 0.05,
		AuctionMiners:  MinerScenario{Count: 4, HashRate: 2e6, PowerWatts: 15, EURPerKWh: 0.20},
		MetadataMiners: MinerScenario{Count: 4, HashRate: 2e6, PowerWatts: 15, EURPerKWh: 0.20},
		Network:        "main",
	}
}

// QuickScenario is the baseline, smaller and shorter, for --quick.
func QuickScenario() Scenario {
	s := DefaultScenario()
	s.Name = "quick"
	s.Rounds = 4
	s.DeviceScale = 0.4
	s.Bidders = 20
	return s
}

// LoadScenario reads a scenario file: fields it does not set keep the
// defaults of base; unknown fields are an error naming them.
func LoadScenario(path string, base Scenario) (Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	s := base
	s.Kinds = nil // a file that lists kinds replaces them all
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: %w (see docs/economics.md for the fields)", path, err)
	}
	if s.Kinds == nil {
		s.Kinds = base.Kinds
	}
	if err := s.Validate(); err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: %w", path, err)
	}
	return s, nil
}

// Validate names the first field that cannot be simulated.
func (s *Scenario) Validate() error {
	var errs []string
	bad := func(f string, args ...any) { errs = append(errs, fmt.Sprintf(f, args...)) }
	if s.Rounds < 1 || s.Rounds > 120 {
		bad("rounds must be 1..120, got %d", s.Rounds)
	}
	if !(s.EURPerTHG > 0) {
		bad("eur_per_thg must be positive")
	}
	if len(s.Kinds) == 0 {
		bad("kinds must list at least one device kind")
	}
	seen := map[string]bool{}
	for i, k := range s.Kinds {
		if k.Kind == "" || seen[k.Kind] {
			bad("kinds[%d].kind must be a non-empty, unique name", i)
		}
		seen[k.Kind] = true
		if k.Devices < 0 || k.PointsPerPeriod == 0 || !(k.ReservePerPoint > 0) || !(k.ValueMedian > 0) || k.ValueSigma < 0 || k.OwnerCostPerPoint < 0 {
			bad("kinds[%d] (%s): devices ≥ 0, points_per_period > 0, reserve_per_point > 0, value_median > 0, value_sigma ≥ 0 and owner_cost_per_point ≥ 0 are required", i, k.Kind)
		}
	}
	if !(s.DeviceScale > 0) || !(s.ReserveScale > 0) {
		bad("device_scale and reserve_scale must be positive")
	}
	if s.Bidders < 1 || s.BiddersPerDevice < 1 || s.BiddersPerDevice > s.Bidders {
		bad("bidders ≥ 1 and 1 ≤ bidders_per_device ≤ bidders are required (got %d and %d)", s.Bidders, s.BiddersPerDevice)
	}
	if s.TxFee < 0 {
		bad("tx_fee must not be negative")
	}
	for name, p := range map[string]float64{"reveal_failure": s.RevealFailure, "delivery_failure": s.DeliveryFailure, "pay_failure": s.PayFailure} {
		if p < 0 || p > 1 {
			bad("%s must be a probability in [0, 1]", name)
		}
	}
	for name, m := range map[string]MinerScenario{"auction_miners": s.AuctionMiners, "metadata_miners": s.MetadataMiners} {
		if m.Count < 1 || m.Count > 64 || m.PowerWatts < 0 || m.EURPerKWh < 0 || m.HashRate < 0 {
			bad("%s: count 1..64 and non-negative hash_rate, power_watts, eur_per_kwh are required", name)
		}
	}
	if _, err := consensus.ForNetwork(s.Network); err != nil {
		bad("network: %v", err)
	}
	for name, p := range map[string]*uint64{"protocol_fee_permille": s.Params.ProtocolFeePermille, "metadata_fee_permille": s.Params.MetadataFeePermille,
		"bond_permille": s.Params.BondPermille, "forfeit_owner_permille": s.Params.ForfeitOwnerPermille, "protocol_fee_metadata_permille": s.Params.ProtocolFeeMetadataPermille} {
		if p != nil && *p > 1000 {
			bad("params.%s must be 0..1000", name)
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// units converts THG to base units, rounding to the nearest unit.
func units(thg float64) uint64 {
	if thg <= 0 {
		return 0
	}
	return uint64(math.Round(thg * ledger.Coin))
}

// thg converts base units (possibly negative) to THG.
func thg(u int64) float64 { return float64(u) / ledger.Coin }

func ptr[T any](v T) *T { return &v }
