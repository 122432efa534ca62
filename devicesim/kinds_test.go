package devicesim

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

func testDevice(t *testing.T) keys.PubKey {
	t.Helper()
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PubKey()
}

func TestKindsCoverTheIssue(t *testing.T) {
	want := []string{"fridge", "tv", "thermostat", "energy-meter", "car"}
	if got := KindNames(); !slices.Equal(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	if _, err := KindByName("toaster"); err == nil {
		t.Fatal("unknown kind accepted")
	}
	ks, err := ParseKinds("tv, car,tv")
	if err != nil || len(ks) != 2 || ks[0].Name != "tv" || ks[1].Name != "car" {
		t.Fatalf("ParseKinds: %v %v", ks, err)
	}
}

// TestModelsPassRegistry: each model is a valid PublishModel payload, no
// schema field on the personal-data deny list.
func TestModelsPassRegistry(t *testing.T) {
	ids := map[string]bool{}
	for _, k := range Kinds() {
		m, err := registry.DecodePublishModel(k.Model.Encode())
		if err != nil {
			t.Fatalf("%s: model rejected: %v", k.Name, err)
		}
		if m.Kind != k.Name {
			t.Errorf("%s: model kind %q", k.Name, m.Kind)
		}
		if ids[m.ModelID] {
			t.Errorf("model ID %s used twice", m.ModelID)
		}
		ids[m.ModelID] = true
		if err := k.Terms.Check(); err != nil {
			t.Errorf("%s: terms: %v", k.Name, err)
		}
		if err := k.TermsFor(consensus.RegTest()).Check(); err != nil {
			t.Errorf("%s: regtest terms: %v", k.Name, err)
		}
	}
}

// TestThingDescriptionsPassRegistry: every kind's TD passes the chain's TD
// check, lists exactly the kind's properties with their types, and every
// form points at the agent's endpoint.
func TestThingDescriptionsPassRegistry(t *testing.T) {
	devKey := testDevice(t)
	dev := devKey.String()
	base := "http://127.0.0.1:4567"
	for _, k := range Kinds() {
		td := k.ThingDescription(dev, base)
		props, err := registry.CheckThingDescription(td, devKey, registry.PolicyForChain(consensus.RegTest().Metadata.ChainID))
		if err != nil {
			t.Fatalf("%s: TD rejected: %v\n%s", k.Name, err, td)
		}
		if _, err := registry.CheckThingModel(k.Model.ThingModel); err != nil {
			t.Fatalf("%s: Thing Model rejected: %v\n%s", k.Name, err, k.Model.ThingModel)
		}
		if err := registry.CheckInstance(td, k.Model.ThingModel); err != nil {
			t.Fatalf("%s: TD is not an instance of the kind's Thing Model: %v", k.Name, err)
		}
		var got, want []registry.TDProperty
		got = props
		for _, p := range k.Properties {
			want = append(want, registry.TDProperty{Name: p.Name, Type: p.Type})
		}
		slices.SortFunc(want, func(a, b registry.TDProperty) int {
			if a.Name < b.Name {
				return -1
			}
			return 1
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s: TD properties %v, want %v", k.Name, got, want)
		}
		var doc map[string]any
		if err := json.Unmarshal(td, &doc); err != nil {
			t.Fatal(err)
		}
		for _, section := range []string{"properties", "actions"} {
			for name, aff := range doc[section].(map[string]any) {
				for _, f := range aff.(map[string]any)["forms"].([]any) {
					href := f.(map[string]any)["href"].(string)
					if len(href) < len(base) || href[:len(base)] != base || !contains(href, dev) {
						t.Errorf("%s: %s %s form href %q does not point at the agent", k.Name, section, name, href)
					}
				}
			}
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestMetadataMatchesSchema: over many seeds, each kind's metadata passes
// the chain's schema check for its model, and is deterministic.
func TestMetadataMatchesSchema(t *testing.T) {
	for _, k := range Kinds() {
		for seed := uint64(0); seed < 200; seed++ {
			md := k.Metadata(seed)
			if err := registry.CheckMetadata(md, k.Model.MetadataSchema); err != nil {
				t.Fatalf("%s seed %d: %v\n%s", k.Name, seed, err, md)
			}
			if string(md) != string(k.Metadata(seed)) {
				t.Fatalf("%s: metadata not deterministic", k.Name)
			}
		}
	}
	owner := testDevice(t)
	for _, r := range regions {
		c := registry.CheckIn{Owner: owner, Region: r, Terms: registry.Terms{PointsPerPeriod: 1, AccessPeriodSeconds: 1}}
		if _, err := registry.DecodeCheckIn(c.Encode()); err != nil {
			t.Errorf("region %s: %v", r, err)
		}
	}
}

// jsonType is a sample value's JSON type as a TD names it.
func jsonType(v any) string {
	switch x := v.(type) {
	case bool:
		return "boolean"
	case string:
		return "string"
	case int64, int:
		return "integer"
	case float64:
		if x == math.Trunc(x) {
			return "number|integer"
		}
		return "number"
	}
	return "?"
}

// TestSamplesHaveDeclaredProperties: every sample carries exactly the
// declared properties with the declared types, within declared bounds,
// and is a pure function of (seed, time).
func TestSamplesHaveDeclaredProperties(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, k := range Kinds() {
		for seed := uint64(1); seed <= 5; seed++ {
			env := Env{Seed: seed, Region: "EU-DE"}
			for ti := start; ti.Before(start.Add(72 * time.Hour)); ti = ti.Add(7 * time.Minute) {
				r := k.Sample(env, ti)
				again := k.Sample(env, ti)
				a, _ := json.Marshal(r)
				b, _ := json.Marshal(again)
				if string(a) != string(b) {
					t.Fatalf("%s: sample at %s not deterministic", k.Name, ti)
				}
				if len(r.Values) != len(k.Properties) {
					t.Fatalf("%s: sample %v, properties %v", k.Name, r.Values, k.Properties)
				}
				for _, p := range k.Properties {
					v, ok := r.Values[p.Name]
					if !ok {
						t.Fatalf("%s: sample lacks %s", k.Name, p.Name)
					}
					got := jsonType(v)
					if got != p.Type && !(got == "number|integer" && p.Type == "number") {
						t.Fatalf("%s.%s = %v (%s), declared %s", k.Name, p.Name, v, got, p.Type)
					}
					if f, ok := v.(float64); ok {
						if p.Min != nil && f < *p.Min || p.Max != nil && f > *p.Max {
							t.Fatalf("%s.%s = %v outside declared range", k.Name, p.Name, f)
						}
					}
					if n, ok := v.(int64); ok {
						if p.Min != nil && float64(n) < *p.Min || p.Max != nil && float64(n) > *p.Max {
							t.Fatalf("%s.%s = %v outside declared range", k.Name, p.Name, n)
						}
					}
				}
			}
		}
	}
}

// series samples a kind every step over days, for plausibility checks.
func series(k string, seed uint64, days int, step time.Duration) []Reading {
	kind, _ := KindByName(k)
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday
	var out []Reading
	for t := start; t.Before(start.Add(time.Duration(days) * 24 * time.Hour)); t = t.Add(step) {
		out = append(out, kind.Sample(Env{Seed: seed, Region: "US-CA"}, t))
	}
	return out
}

func num(r Reading, name string) float64 {
	switch v := r.Values[name].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return math.NaN()
}

func TestFridgePlausible(t *testing.T) {
	rs := series("fridge", 7, 3, time.Minute)
	var sum float64
	spikes, doors := 0, 0
	for _, r := range rs {
		c := num(r, "temperature_c")
		if c < 2.5 || c > 12 {
			t.Fatalf("fridge at %.2f °C at %s", c, r.Time)
		}
		sum += c
		if c > 6 {
			spikes++
		}
		if r.Values["door_open"].(bool) {
			doors++
		}
	}
	if mean := sum / float64(len(rs)); mean < 3.7 || mean > 5 {
		t.Errorf("mean temperature %.2f °C, want about 4", mean)
	}
	if spikes == 0 || doors == 0 {
		t.Errorf("no door-open spikes in three days (%d warm minutes, %d open)", spikes, doors)
	}
}

func TestTVPlausible(t *testing.T) {
	rs := series("tv", 3, 7, time.Minute)
	onEvening, onNight := 0, 0
	for _, r := range rs {
		on := r.Values["on"].(bool)
		h := r.Time.Hour()
		if on && h == 21 {
			onEvening++
		}
		if on && h >= 2 && h < 6 {
			onNight++
		}
		if p := num(r, "power_w"); on && p < 50 || !on && p > 1 {
			t.Fatalf("power %.1f W with on=%v", p, on)
		}
	}
	if onEvening < 7*30 || onNight != 0 {
		t.Errorf("on at 21h for %d minutes in a week, at night %d: want evenings on, nights off", onEvening, onNight)
	}
}

func TestThermostatPlausible(t *testing.T) {
	rs := series("thermostat", 11, 2, 5*time.Minute)
	for _, r := range rs {
		sp, room := num(r, "setpoint_c"), num(r, "room_temp_c")
		h := float64(r.Time.Hour()) + float64(r.Time.Minute())/60
		day := h >= 6.5 && h < 22.5
		if day && (sp < 20 || sp > 22) || !day && sp != 17 {
			t.Fatalf("setpoint %.1f at %s", sp, r.Time)
		}
		if room < 16 || room > 23.5 {
			t.Fatalf("room %.2f °C at %s", room, r.Time)
		}
		if day && h > 9 && math.Abs(room-sp) > 1 {
			t.Fatalf("room %.2f far from setpoint %.1f at %s", room, sp, r.Time)
		}
	}
}

func TestEnergyMeterPlausible(t *testing.T) {
	rs := series("energy-meter", 5, 3, 15*time.Minute)
	prev := -1.0
	for i, r := range rs {
		e := num(r, "energy_kwh")
		if e < prev {
			t.Fatalf("energy went down: %.3f after %.3f", e, prev)
		}
		prev = e
		if p := num(r, "power_w"); p < 100 || p > 5000 {
			t.Fatalf("power %.1f W", p)
		}
		if i > 0 && r.Time.Hour() == 20 {
			if num(r, "power_w") < num(rs[i-(i%96)+12], "power_w") { // 20:00 vs 03:00 the same day
				t.Errorf("evening load %.0f W below night load", num(r, "power_w"))
			}
		}
	}
	perDay := (num(rs[len(rs)-1], "energy_kwh") - num(rs[0], "energy_kwh")) / 3
	if perDay < 5 || perDay > 30 {
		t.Errorf("%.1f kWh per day, want a household's 5–30", perDay)
	}
}

func TestCarPlausible(t *testing.T) {
	rs := series("car", 9, 4, time.Minute)
	prev := -1.0
	moving := 0
	for _, r := range rs {
		odo := num(r, "odometer_km")
		if odo < prev {
			t.Fatalf("odometer went down: %.2f after %.2f", odo, prev)
		}
		prev = odo
		s := num(r, "speed_kmh")
		if s < 0 || s > 120 {
			t.Fatalf("speed %.1f", s)
		}
		if s > 0 {
			moving++
		}
		if b := num(r, "battery_pct"); b < 70 || b > 90.01 {
			t.Fatalf("battery %.1f%%", b)
		}
		if r.Values["region"] != "US-CA" {
			t.Fatalf("region %v", r.Values["region"])
		}
	}
	perDay := (num(rs[len(rs)-1], "odometer_km") - num(rs[0], "odometer_km")) / 4
	if perDay < 20 || perDay > 60 {
		t.Errorf("%.1f km per day", perDay)
	}
	if moving < 4*60 || moving > 4*100 {
		t.Errorf("moving %d minutes in four days, want two 45-minute trips a day", moving)
	}
	// Odometer is continuous across midnight (the closed form telescopes).
	k, _ := KindByName("car")
	mid := time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)
	before := num(k.Sample(Env{Seed: 9}, mid.Add(-time.Second)), "odometer_km")
	after := num(k.Sample(Env{Seed: 9}, mid), "odometer_km")
	if math.Abs(after-before) > 0.02 {
		t.Errorf("odometer jumps at midnight: %.2f → %.2f", before, after)
	}
}

func TestSeriesBounds(t *testing.T) {
	k, _ := KindByName("tv")
	end := time.Date(2026, 1, 5, 12, 0, 30, 0, time.UTC)
	rs := k.Series(Env{Seed: 1}, end.Add(-10*time.Minute), end, 1000)
	if len(rs) != 11 || !rs[len(rs)-1].Time.Equal(end.Truncate(time.Minute)) {
		t.Fatalf("%d readings, last %v", len(rs), rs[len(rs)-1].Time)
	}
	if rs := k.Series(Env{Seed: 1}, end.Add(-24*time.Hour), end, 5); len(rs) != 5 {
		t.Fatalf("limit: %d readings", len(rs))
	}
	if rs := k.Series(Env{Seed: 1}, end, end.Add(-time.Hour), 5); len(rs) != 0 {
		t.Fatalf("reversed range: %d readings", len(rs))
	}
}
