package registry

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/thingchain/thingchain/consensus"
)

// lampTM is a Thing Model in the style of TD 1.1 §10's examples: a
// placeholder in the title, an optional action, object and enum schemas.
const lampTM = `{
  "@context": ["https://www.w3.org/2022/wot/td/v1.1"],
  "@type": "tm:ThingModel",
  "title": "Lamp Thing Model {{SERIES}}",
  "version": {"model": "1.0.0"},
  "tm:optional": ["/actions/toggle"],
  "properties": {
    "status": {"type": "string", "enum": ["on", "off", "error"], "readOnly": true},
    "brightness": {"type": "number", "minimum": 0, "maximum": 100},
    "state": {"type": "object", "required": ["on"],
      "properties": {"on": {"type": "boolean"}, "level": {"type": "integer"}}}
  },
  "actions": {
    "toggle": {"input": {"type": "boolean"}, "output": {"type": "string"}},
    "fade": {"input": {"type": "object", "properties": {"to": {"type": "number"}, "seconds": {"type": "integer", "minimum": 0}}}}
  },
  "events": {"overheating": {"data": {"type": "string"}}}
}`

// lampTD returns a TD instantiating lampTM; tests mutate it.
func lampTD() map[string]any {
	form := func(h string) []any { return []any{map[string]any{"href": h}} }
	return map[string]any{
		"@context":            "https://www.w3.org/2022/wot/td/v1.1",
		"title":               "Lamp Thing Model S1",
		"securityDefinitions": map[string]any{"nosec_sc": map[string]any{"scheme": "nosec"}},
		"security":            "nosec_sc",
		"base":                "https://lamps.example.com/d/1/",
		"properties": map[string]any{
			"status":     map[string]any{"type": "string", "enum": []any{"on", "off"}, "readOnly": true, "forms": form("status")},
			"brightness": map[string]any{"type": "integer", "minimum": 0, "maximum": 80, "forms": form("brightness")},
			"state": map[string]any{"type": "object", "required": []any{"on"}, "forms": form("state"),
				"properties": map[string]any{"on": map[string]any{"type": "boolean"}, "level": map[string]any{"type": "integer"}}},
			"extra": map[string]any{"type": "string", "forms": form("extra")},
		},
		"actions": map[string]any{
			"fade": map[string]any{"forms": form("fade"),
				"input": map[string]any{"type": "object", "properties": map[string]any{"to": map[string]any{"type": "number"}, "seconds": map[string]any{"type": "integer", "minimum": 1}}}},
		},
		"events": map[string]any{"overheating": map[string]any{"data": map[string]any{"type": "string"}, "forms": form("oh")}},
	}
}

func aff(td map[string]any, kind, name string) map[string]any {
	return td[kind].(map[string]any)[name].(map[string]any)
}

// TestCheckInstance is the table of the TD-vs-TM rule: each mutation of
// a conforming TD is accepted or rejected with its kind.
func TestCheckInstance(t *testing.T) {
	if _, err := CheckThingModel([]byte(lampTM)); err != nil {
		t.Fatalf("lamp TM: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(map[string]any)
		want   consensus.ErrorKind // "" = accepted
	}{
		{"conforming", func(map[string]any) {}, ""},
		{"optional action present and compatible", func(td map[string]any) {
			td["actions"].(map[string]any)["toggle"] = map[string]any{"input": map[string]any{"type": "boolean"}, "output": map[string]any{"type": "string"}, "forms": []any{map[string]any{"href": "t"}}}
		}, ""},
		{"extra affordances allowed", func(td map[string]any) {
			td["events"].(map[string]any)["door"] = map[string]any{"forms": []any{map[string]any{"href": "d"}}}
		}, ""},
		{"integer where the model says number", func(td map[string]any) { aff(td, "properties", "brightness")["type"] = "integer" }, ""},
		{"tighter bound", func(td map[string]any) { aff(td, "properties", "brightness")["maximum"] = 50 }, ""},
		{"missing required property", func(td map[string]any) { delete(td["properties"].(map[string]any), "status") }, ErrTDMissingAffordance},
		{"missing required action", func(td map[string]any) { delete(td, "actions") }, ErrTDMissingAffordance},
		{"missing required event", func(td map[string]any) { delete(td["events"].(map[string]any), "overheating") }, ErrTDMissingAffordance},
		{"wrong property type", func(td map[string]any) { aff(td, "properties", "status")["type"] = "number" }, ErrTDSchemaMismatch},
		{"property type missing", func(td map[string]any) { delete(aff(td, "properties", "status"), "type") }, ErrTDSchemaMismatch},
		{"enum value outside the model's", func(td map[string]any) { aff(td, "properties", "status")["enum"] = []any{"on", "dimmed"} }, ErrTDSchemaMismatch},
		{"enum dropped", func(td map[string]any) { delete(aff(td, "properties", "status"), "enum") }, ErrTDSchemaMismatch},
		{"looser maximum", func(td map[string]any) { aff(td, "properties", "brightness")["maximum"] = 150 }, ErrTDSchemaMismatch},
		{"bound dropped", func(td map[string]any) { delete(aff(td, "properties", "brightness"), "minimum") }, ErrTDSchemaMismatch},
		{"readOnly dropped", func(td map[string]any) { delete(aff(td, "properties", "status"), "readOnly") }, ErrTDSchemaMismatch},
		{"nested member of the wrong type", func(td map[string]any) {
			aff(td, "properties", "state")["properties"].(map[string]any)["on"] = map[string]any{"type": "string"}
		}, ErrTDSchemaMismatch},
		{"required member no longer required", func(td map[string]any) { aff(td, "properties", "state")["required"] = []any{} }, ErrTDSchemaMismatch},
		{"action input of the wrong type", func(td map[string]any) { aff(td, "actions", "fade")["input"] = map[string]any{"type": "string"} }, ErrTDSchemaMismatch},
		{"action input missing", func(td map[string]any) { delete(aff(td, "actions", "fade"), "input") }, ErrTDSchemaMismatch},
		{"looser nested bound", func(td map[string]any) {
			aff(td, "actions", "fade")["input"].(map[string]any)["properties"].(map[string]any)["seconds"] = map[string]any{"type": "integer", "minimum": -1}
		}, ErrTDSchemaMismatch},
		{"optional action incompatible", func(td map[string]any) {
			td["actions"].(map[string]any)["toggle"] = map[string]any{"input": map[string]any{"type": "string"}, "forms": []any{map[string]any{"href": "t"}}}
		}, ErrTDSchemaMismatch},
		{"event data of the wrong type", func(td map[string]any) { aff(td, "events", "overheating")["data"] = map[string]any{"type": "number"} }, ErrTDSchemaMismatch},
		{"placeholder left in the title", func(td map[string]any) { td["title"] = "Lamp Thing Model {{SERIES}}" }, ErrTDPlaceholder},
		{"placeholder left in an href", func(td map[string]any) {
			aff(td, "properties", "extra")["forms"] = []any{map[string]any{"href": "{{HOST}}/x"}}
		}, ErrTDPlaceholder},
		{"a Thing Model checked in as a TD", func(td map[string]any) { td["@type"] = []any{"saref:Lamp", "tm:ThingModel"} }, ErrTDIsThingModel},
	}
	for _, tc := range cases {
		td := lampTD()
		tc.mutate(td)
		b := withDeviceID(t, mustJSON(t, td), testDevice)
		if _, err := CheckThingDescription(b, testDevice, regtestPolicy); err != nil {
			t.Fatalf("%s: the TD itself must be valid for this table: %v", tc.name, err)
		}
		err := CheckInstance(b, []byte(lampTM))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: rejected: %v", tc.name, err)
		case tc.want != "" && !errors.Is(err, tc.want):
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want)
		}
	}
}

// TestCheckThingModel: what an OEM may publish as a model.
func TestCheckThingModel(t *testing.T) {
	base := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(lampTM), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	cases := []struct {
		name   string
		mutate func(map[string]any)
		ok     bool
	}{
		{"lamp", func(map[string]any) {}, true},
		{"no affordances at all", func(m map[string]any) {
			delete(m, "properties")
			delete(m, "actions")
			delete(m, "events")
			delete(m, "tm:optional")
		}, true},
		{"@type as a string", func(m map[string]any) { m["@type"] = "tm:ThingModel" }, true},
		{"not a Thing Model", func(m map[string]any) { delete(m, "@type") }, false},
		{"TD 1.0 context only", func(m map[string]any) { m["@context"] = TDContext10 }, false},
		{"title missing", func(m map[string]any) { delete(m, "title") }, false},
		{"tm:optional not a pointer", func(m map[string]any) { m["tm:optional"] = []any{"toggle"} }, false},
		{"tm:optional names nothing", func(m map[string]any) { m["tm:optional"] = []any{"/actions/dance"} }, false},
		{"tm:ref import", func(m map[string]any) {
			m["properties"].(map[string]any)["dim"] = map[string]any{"tm:ref": "https://example.com/base.tm.jsonld#/properties/dim"}
		}, false},
		{"tm:extends link", func(m map[string]any) {
			m["links"] = []any{map[string]any{"rel": "tm:extends", "href": "https://example.com/base.tm.jsonld", "type": "application/tm+json"}}
		}, false},
		{"affordance not an object", func(m map[string]any) { m["properties"].(map[string]any)["x"] = 3 }, false},
	}
	for _, tc := range cases {
		m := base()
		tc.mutate(m)
		_, err := CheckThingModel(mustJSON(t, m))
		if tc.ok && err != nil {
			t.Errorf("%s: rejected: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, ErrBadThingModel) {
			t.Errorf("%s: got %v, want ErrBadThingModel", tc.name, err)
		}
	}
}

// TestModelVersions: a new version of a model does not invalidate a
// device checked in under the old one: it re-checks-in with its old TD,
// and a TD for the new version is accepted too.
func TestModelVersions(t *testing.T) {
	w := newWorld(t)
	dev, owner := w.attest(), mustKey(t)
	w.mustSubmit(w.checkIn(dev, owner, fridgeRequest(t)))
	if d := w.device(dev.PubKey()); d.ModelVersion != 1 {
		t.Fatalf("model version after check-in: %d", d.ModelVersion)
	}
	v2 := fridgeModel()
	v2.Version = 2
	v2.ThingModel = []byte(`{"@context":"https://www.w3.org/2022/wot/td/v1.1","@type":"tm:ThingModel","title":"Acme Fridge X1 v2",
		"properties":{"temperature":{"type":"number","readOnly":true},"humidity":{"type":"number"}}}`)
	w.mustSubmit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), v2))
	// The old TD lacks humidity: valid only under version 1, which the
	// device was checked in under.
	w.mustSubmit(w.checkIn(dev, owner, fridgeRequest(t)))
	if d := w.device(dev.PubKey()); !d.Enabled || d.ModelVersion != 1 {
		t.Fatalf("re-check-in under version 1: %+v", d)
	}
	// A new device has no earlier version to fall back on.
	fresh := w.attest()
	wantKind(t, w.submit(w.checkIn(fresh, owner, fridgeRequest(t))), ErrTDMissingAffordance)
	td := fridgeTD()
	td["properties"].(map[string]any)["humidity"] = map[string]any{"type": "number", "forms": []any{map[string]any{"href": "https://fridge.example.com/h"}}}
	req := fridgeRequest(t)
	req.ThingDescription = mustJSON(t, td)
	w.mustSubmit(w.checkIn(fresh, owner, req))
	if d := w.device(fresh.PubKey()); d.ModelVersion != 2 {
		t.Fatalf("new device's model version %d, want 2", d.ModelVersion)
	}
}

// FuzzCheckInstance: the Thing Model and instance checks never panic and
// only ever fail with this package's rule kinds.
func FuzzCheckInstance(f *testing.F) {
	td, _ := json.Marshal(lampTD())
	f.Add(td, []byte(lampTM))
	f.Add([]byte(`{}`), EmptyThingModel("x"))
	f.Add(td, []byte(`{"@context":"https://www.w3.org/2022/wot/td/v1.1","@type":"tm:ThingModel","title":"t","tm:optional":["/properties/a~1b"],"properties":{"a/b":{"type":"object","required":["x"],"properties":{"x":{"enum":[1,2]}}}}}`))
	f.Fuzz(func(t *testing.T, td, tm []byte) {
		if _, err := CheckThingModel(tm); err != nil && !isRegistryKind(err) {
			t.Fatalf("CheckThingModel: %v", err)
		}
		if err := CheckInstance(td, tm); err != nil && !isRegistryKind(err) {
			t.Fatalf("CheckInstance: %v", err)
		}
	})
}
