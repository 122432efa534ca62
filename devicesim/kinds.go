package devicesim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry/registrytx"
)

// Property is one property affordance of a kind's Thing Description.
type Property struct {
	Name        string
	Type        string // JSON type: number, integer, boolean, string
	Unit        string // as in TD "unit", "" for none
	Description string
	Min, Max    *float64 // documented range, nil when unbounded
}

// Kind is a simulated device kind: its model on the metadata chain, its
// properties, its terms and its data.
type Kind struct {
	Name           string
	Model          registrytx.PublishModel
	Properties     []Property
	SampleInterval time.Duration    // spacing of the data series the endpoint serves
	Terms          registrytx.Terms // defaults on test networks; see TermsFor
	metadata       func(r *rand.Rand) map[string]any
	sample         func(env Env, t time.Time) map[string]any
}

// Sample returns the device's property values at t.
func (k *Kind) Sample(env Env, t time.Time) Reading {
	return Reading{Time: t.UTC().Truncate(time.Second), Values: k.sample(env, t)}
}

// Series returns readings every SampleInterval from from to to (both
// aligned down to the interval), at most limit of them, latest last.
func (k *Kind) Series(env Env, from, to time.Time, limit int) []Reading {
	step := k.SampleInterval
	start, end := from.Truncate(step), to.Truncate(step)
	if end.Before(start) || limit <= 0 {
		return nil
	}
	if n := int(end.Sub(start)/step) + 1; n > limit {
		start = end.Add(-time.Duration(limit-1) * step)
	}
	var out []Reading
	for t := start; !t.After(end); t = t.Add(step) {
		out = append(out, k.Sample(env, t))
	}
	return out
}

// Metadata returns the device's metadata object for its model, chosen
// deterministically from the seed. It matches Model.MetadataSchema.
func (k *Kind) Metadata(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, streamMeta))
	b, err := json.Marshal(k.metadata(r))
	if err != nil {
		panic(fmt.Sprintf("devicesim: metadata of %s: %v", k.Name, err)) // only plain values: cannot happen
	}
	return b
}

// reserveUnit scales the kinds' reserve prices: 10,000 base units
// (0.0001 THG) per data point, so a month of a fridge's readings (8,640
// points at 2 units) has a reserve of about 1.7 THG.
const reserveUnit = 10_000

// TermsFor returns the kind's default terms on a network: on regtest the
// access period is ten minutes so auctions can run in a test.
func (k *Kind) TermsFor(net *consensus.Params) registrytx.Terms {
	t := k.Terms
	if net != nil && net.MineOnDemand {
		t.AccessPeriodSeconds = 600
		t.PointsPerPeriod = max(1, uint64(600/k.SampleInterval.Seconds()))
	}
	return t
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func ptr(v float64) *float64 { return &v }

// common schema fields every model carries.
var commonFields = []registrytx.Field{
	{Name: "manufacturer", Type: registrytx.TypeString, Required: true},
	{Name: "model_year", Type: registrytx.TypeInteger, Required: true},
	{Name: "firmware_version", Type: registrytx.TypeString, Required: false},
}

func commonMetadata(r *rand.Rand, manufacturer string) map[string]any {
	m := map[string]any{"manufacturer": manufacturer, "model_year": 2019 + r.IntN(7)}
	if r.IntN(4) != 0 { // optional field present on most devices
		m["firmware_version"] = fmt.Sprintf("%d.%d.%d", 1+r.IntN(4), r.IntN(10), r.IntN(30))
	}
	return m
}

func fields(extra ...registrytx.Field) []registrytx.Field {
	return append(slices.Clone(commonFields), extra...)
}

// Every kind's model is published at version 1 with the Thing Model its
// devices' TDs instantiate.
func init() {
	for _, k := range kinds {
		k.Model.Version = 1
		k.Model.ThingModel = k.ThingModel()
	}
}

// month is the default access period: 30 days.
const month = 30 * 24 * 3600

var kinds = []*Kind{
	{
		Name: "fridge",
		Model: registrytx.PublishModel{ModelID: "acme-fridge-x1", Kind: "fridge", Title: "Acme CoolMaster X1 refrigerator",
			MetadataSchema: fields(
				registrytx.Field{Name: "capacity_liters", Type: registrytx.TypeInteger, Required: true},
				registrytx.Field{Name: "energy_class", Type: registrytx.TypeString, Required: true},
				registrytx.Field{Name: "has_freezer", Type: registrytx.TypeBoolean, Required: false},
			)},
		Properties: []Property{
			{Name: "temperature_c", Type: "number", Unit: "°C", Description: "cabinet temperature", Min: ptr(-5), Max: ptr(20)},
			{Name: "door_open", Type: "boolean", Description: "door currently open"},
			{Name: "power_w", Type: "number", Unit: "W", Description: "electrical power draw", Min: ptr(0), Max: ptr(300)},
		},
		SampleInterval: 5 * time.Minute,
		Terms:          registrytx.Terms{ReservePerPoint: 2 * reserveUnit, PointsPerPeriod: month / 300, AccessPeriodSeconds: month},
		metadata: func(r *rand.Rand) map[string]any {
			m := commonMetadata(r, "Acme")
			m["capacity_liters"] = pick(r, 250, 310, 360, 420)
			m["energy_class"] = pick(r, "A", "B", "C", "D")
			m["has_freezer"] = r.IntN(3) != 0
			return m
		},
		sample: fridgeSample,
	},
	{
		Name: "tv",
		Model: registrytx.PublishModel{ModelID: "vista-tv-s55", Kind: "tv", Title: "Vista S55 smart TV",
			MetadataSchema: fields(
				registrytx.Field{Name: "screen_inches", Type: registrytx.TypeNumber, Required: true},
				registrytx.Field{Name: "resolution", Type: registrytx.TypeString, Required: true},
				registrytx.Field{Name: "hdr", Type: registrytx.TypeBoolean, Required: false},
			)},
		Properties: []Property{
			{Name: "on", Type: "boolean", Description: "screen switched on"},
			{Name: "channel", Type: "integer", Description: "tuned channel number", Min: ptr(1), Max: ptr(60)},
			{Name: "volume", Type: "integer", Description: "volume level", Min: ptr(0), Max: ptr(100)},
			{Name: "power_w", Type: "number", Unit: "W", Description: "electrical power draw", Min: ptr(0), Max: ptr(250)},
		},
		SampleInterval: time.Minute,
		Terms:          registrytx.Terms{ReservePerPoint: 1 * reserveUnit, PointsPerPeriod: month / 60, AccessPeriodSeconds: month},
		metadata: func(r *rand.Rand) map[string]any {
			m := commonMetadata(r, "Vista")
			m["screen_inches"] = pick(r, 43.0, 50.0, 55.0, 65.0, 77.5)
			m["resolution"] = pick(r, "1080p", "4k", "8k")
			m["hdr"] = r.IntN(2) == 0
			return m
		},
		sample: tvSample,
	},
	{
		Name: "thermostat",
		Model: registrytx.PublishModel{ModelID: "nordheat-t3", Kind: "thermostat", Title: "NordHeat T3 smart thermostat",
			MetadataSchema: fields(
				registrytx.Field{Name: "heating_type", Type: registrytx.TypeString, Required: true},
				registrytx.Field{Name: "zones", Type: registrytx.TypeInteger, Required: true},
			)},
		Properties: []Property{
			{Name: "setpoint_c", Type: "number", Unit: "°C", Description: "target temperature", Min: ptr(5), Max: ptr(30)},
			{Name: "room_temp_c", Type: "number", Unit: "°C", Description: "measured room temperature", Min: ptr(0), Max: ptr(35)},
			{Name: "heating", Type: "boolean", Description: "heating is running"},
			{Name: "humidity_pct", Type: "number", Unit: "%", Description: "relative humidity", Min: ptr(0), Max: ptr(100)},
		},
		SampleInterval: 5 * time.Minute,
		Terms:          registrytx.Terms{ReservePerPoint: 2 * reserveUnit, PointsPerPeriod: month / 300, AccessPeriodSeconds: month},
		metadata: func(r *rand.Rand) map[string]any {
			m := commonMetadata(r, "NordHeat")
			m["heating_type"] = pick(r, "gas", "heat-pump", "electric", "district")
			m["zones"] = 1 + r.IntN(4)
			return m
		},
		sample: thermostatSample,
	},
	{
		Name: "energy-meter",
		Model: registrytx.PublishModel{ModelID: "voltix-em200", Kind: "energy-meter", Title: "Voltix EM200 smart electricity meter",
			MetadataSchema: fields(
				registrytx.Field{Name: "phases", Type: registrytx.TypeInteger, Required: true},
				registrytx.Field{Name: "max_current_a", Type: registrytx.TypeNumber, Required: true},
				registrytx.Field{Name: "tariff", Type: registrytx.TypeString, Required: false},
			)},
		Properties: []Property{
			{Name: "power_w", Type: "number", Unit: "W", Description: "household power draw", Min: ptr(0), Max: ptr(10000)},
			{Name: "energy_kwh", Type: "number", Unit: "kWh", Description: "cumulative energy since installation", Min: ptr(0)},
			{Name: "voltage_v", Type: "number", Unit: "V", Description: "line voltage", Min: ptr(200), Max: ptr(260)},
		},
		SampleInterval: 15 * time.Minute,
		Terms:          registrytx.Terms{ReservePerPoint: 3 * reserveUnit, PointsPerPeriod: month / 900, AccessPeriodSeconds: month},
		metadata: func(r *rand.Rand) map[string]any {
			m := commonMetadata(r, "Voltix")
			m["phases"] = pick(r, 1, 3)
			m["max_current_a"] = pick(r, 32.0, 40.0, 63.0)
			m["tariff"] = pick(r, "single", "dual", "dynamic")
			return m
		},
		sample: meterSample,
	},
	{
		Name: "car",
		Model: registrytx.PublishModel{ModelID: "electra-ev4", Kind: "car", Title: "Electra EV4 electric car",
			MetadataSchema: fields(
				registrytx.Field{Name: "powertrain", Type: registrytx.TypeString, Required: true},
				registrytx.Field{Name: "battery_kwh", Type: registrytx.TypeNumber, Required: true},
				registrytx.Field{Name: "body_type", Type: registrytx.TypeString, Required: false},
			)},
		Properties: []Property{
			{Name: "odometer_km", Type: "number", Unit: "km", Description: "total distance driven", Min: ptr(0)},
			{Name: "speed_kmh", Type: "number", Unit: "km/h", Description: "current speed", Min: ptr(0), Max: ptr(200)},
			{Name: "battery_pct", Type: "number", Unit: "%", Description: "state of charge", Min: ptr(0), Max: ptr(100)},
			{Name: "charging", Type: "boolean", Description: "plugged in and charging"},
			{Name: "region", Type: "string", Description: "coarse region code the car is in (country and subdivision at most)"},
		},
		SampleInterval: time.Minute,
		Terms:          registrytx.Terms{ReservePerPoint: 5 * reserveUnit, PointsPerPeriod: month / 60, AccessPeriodSeconds: month},
		metadata: func(r *rand.Rand) map[string]any {
			m := commonMetadata(r, "Electra")
			m["powertrain"] = "bev"
			m["battery_kwh"] = pick(r, 58.0, 77.0, 82.5)
			m["body_type"] = pick(r, "hatchback", "sedan", "suv")
			return m
		},
		sample: carSample,
	},
}

// Kinds returns every simulated kind, in a fixed order.
func Kinds() []*Kind { return slices.Clone(kinds) }

// KindNames lists the kind names, in Kinds order.
func KindNames() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	return names
}

// KindByName finds a kind.
func KindByName(name string) (*Kind, error) {
	for _, k := range kinds {
		if k.Name == name {
			return k, nil
		}
	}
	return nil, fmt.Errorf("unknown device kind %q: use %s", name, strings.Join(KindNames(), ", "))
}

// ParseKinds parses a comma-separated list of kind names ("" = all).
func ParseKinds(s string) ([]*Kind, error) {
	if strings.TrimSpace(s) == "" {
		return Kinds(), nil
	}
	var out []*Kind
	for _, name := range strings.Split(s, ",") {
		k, err := KindByName(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// regions devices are spread over: coarse codes only.
var regions = []string{"EU-DE", "EU-FR", "EU-NL", "EU-ES", "US-CA", "US-NY", "US-TX", "JP", "GB"}
