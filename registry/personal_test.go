package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/consensus"
)

// TestAffordanceNamesAreNotPersonal: the names the first personal-data
// rule refused by substring are ordinary affordance, schema and metadata
// names, and are accepted.
func TestAffordanceNamesAreNotPersonal(t *testing.T) {
	names := []string{"headphonesConnected", "microphone", "position", "altitude", "name", "location",
		"streetlightLevel", "gpsFix", "sendEmail", "user", "owner", "latitude", "phoneMode", "macro"}
	td := fridgeTD()
	props := td["properties"].(map[string]any)
	actions := map[string]any{}
	events := td["events"].(map[string]any)
	for _, n := range names {
		props[n] = map[string]any{"type": "string", "forms": []any{map[string]any{"href": "https://fridge.example.com/p/" + n}}}
		actions[n] = map[string]any{"input": map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}},
			"forms": []any{map[string]any{"href": "https://fridge.example.com/a/" + n}}}
	}
	// A lock's event whose data names the user; a rename action's input.
	events["unlocked"] = map[string]any{"data": map[string]any{"type": "object", "properties": map[string]any{"user": map[string]any{"type": "string"}}},
		"forms": []any{map[string]any{"href": "https://fridge.example.com/e/unlocked"}}}
	td["actions"] = actions
	if _, err := checkTD(t, td); err != nil {
		t.Fatalf("non-personal names refused: %v", err)
	}
	md := map[string]any{"name": "kitchen fridge", "location": "kitchen", "user": "guest", "latitude": 48.85, "longitude": 2.35}
	if _, err := CheckMetadataObject(mustJSON(t, md), regtestPolicy); err != nil {
		t.Fatalf("metadata with plain names and coarse coordinates: %v", err)
	}
}

// TestPersonalPatterns: each personal value is refused, with its kind,
// in each place it may appear.
func TestPersonalPatterns(t *testing.T) {
	values := []struct {
		text string
		want consensus.ErrorKind
	}{
		{"contact jane.doe@example.org", ErrPersonalEmail},
		{"call +49 30 12345678", ErrPersonalPhone},
		{"call 0049 30 1234 5678", ErrPersonalPhone},
		{"call (415) 555-0132", ErrPersonalPhone},
		{"call 415-555-0132", ErrPersonalPhone},
		{"wifi 00:1A:2B:3C:4D:5E", ErrPersonalMAC},
		{"wifi 00-1a-2b-3c-4d-5e", ErrPersonalMAC},
		{"wifi 001a.2b3c.4d5e", ErrPersonalMAC},
		{"at 192.168.1.20", ErrPersonalIP},
		{"at 10.0.0.7", ErrPersonalIP},
		{"at 81.2.69.160", ErrPersonalIP},
		{"at fe80::1ff:fe23:4567:890a", ErrPersonalIP},
		{"at 2001:db8::8a2e:370:7334", ErrPersonalIP},
		{"lives at 221B Baker Street", ErrPersonalAddress},
		{"1600 Pennsylvania Avenue", ErrPersonalAddress},
		{"Hauptstraße 12", ErrPersonalAddress},
		{"12 rue de Rivoli", ErrPersonalAddress},
		{"48.858370, 2.294481", ErrPersonalCoordinates},
		{"geo:48.8583,2.2944", ErrPersonalCoordinates},
		{"48°51'30\"N", ErrPersonalCoordinates},
	}
	for _, v := range values {
		places := map[string]func(map[string]any){
			"title":               func(td map[string]any) { td["title"] = v.text },
			"description":         func(td map[string]any) { td["description"] = v.text },
			"titles":              func(td map[string]any) { td["titles"] = map[string]any{"de": v.text} },
			"affordance desc":     func(td map[string]any) { props(td, "temperature")["description"] = v.text },
			"schema member title": func(td map[string]any) { props(td, "temperature")["title"] = v.text },
		}
		for place, mutate := range places {
			td := fridgeTD()
			mutate(td)
			if _, err := checkTD(t, td); !errors.Is(err, v.want) {
				t.Errorf("%q in %s: got %v, want %s", v.text, place, err, v.want)
			}
		}
		md := fmt.Sprintf(`{"note":{"deep":[%q]}}`, v.text)
		if _, err := CheckMetadataObject([]byte(md), regtestPolicy); !errors.Is(err, v.want) {
			t.Errorf("%q in metadata: got %v, want %s", v.text, err, v.want)
		}
	}
	// Ordinary device text stays allowed.
	for _, ok := range []string{"Acme CoolMaster X1 refrigerator", "firmware 2.3.11, 2026-11-28T10:00:00Z", "range 0-100 %, step 0.5",
		"model EM200 rev 4", "cabinet temperature in °C", "readings every 5m0s between from and to", "3 way valve",
		"tolerance 0.125 / 0.250 mm", "range 10.5, 20.5"} {
		td := fridgeTD()
		td["description"] = ok
		if _, err := checkTD(t, td); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	td := fridgeTD()
	td["title"] = "Alice's fridge"
	if _, err := checkTD(t, td); !errors.Is(err, ErrPersonalName) {
		t.Errorf("possessive title: %v", err)
	}
	td["title"] = "Children's night light"
	if _, err := checkTD(t, td); err != nil {
		t.Errorf("product possessive refused: %v", err)
	}
	if _, err := CheckMetadataObject([]byte(`{"lat":48.8584}`), regtestPolicy); !errors.Is(err, ErrPersonalCoordinates) {
		t.Errorf("precise numeric latitude: %v", err)
	}
}

func props(td map[string]any, name string) map[string]any {
	return td["properties"].(map[string]any)[name].(map[string]any)
}

// TestEndpointPolicy: which base/href a device may publish, per network.
func TestEndpointPolicy(t *testing.T) {
	mainPolicy, testPolicy := PolicyForChain(consensus.MainNet().Metadata.ChainID), PolicyForChain(consensus.TestNet().Metadata.ChainID)
	if mainPolicy.AllowLoopback || !testPolicy.AllowLoopback || !PolicyForChain(consensus.RegTest().Metadata.ChainID).AllowLoopback {
		t.Fatalf("policies: main %+v test %+v", mainPolicy, testPolicy)
	}
	cases := []struct {
		base       string
		main, test consensus.ErrorKind // "" = accepted
	}{
		{"https://relay.thingchain.example/d/42/", "", ""},
		{"coaps://fridge-7.acme-cloud.example:5684/", "", ""},
		{"http://127.0.0.1:8123/", ErrEndpointNotAllowed, ""},
		{"http://[::1]:8123/", ErrEndpointNotAllowed, ""},
		{"http://localhost:8123/", ErrEndpointNotAllowed, ""},
		{"http://192.168.1.20/", ErrPersonalIP, ErrPersonalIP},
		{"http://[fd00::5]/", ErrPersonalIP, ErrPersonalIP},
		{"https://81.2.69.160/", ErrPersonalIP, ErrPersonalIP},
		{"http://fridge/", ErrEndpointNotAllowed, ""},
		{"mailto:someone@example.org", ErrPersonalEmail, ErrPersonalEmail},
		{"file:///etc/passwd", ErrEndpointNotAllowed, ErrEndpointNotAllowed},
		{"http://0.0.0.0/", ErrEndpointNotAllowed, ErrEndpointNotAllowed},
	}
	for _, tc := range cases {
		for _, p := range []struct {
			policy EndpointPolicy
			want   consensus.ErrorKind
			net    string
		}{{mainPolicy, tc.main, "main"}, {testPolicy, tc.test, "test"}} {
			for _, member := range []string{"base", "href"} {
				td := fridgeTD()
				if member == "base" {
					td["base"] = tc.base
				} else {
					props(td, "temperature")["forms"] = []any{map[string]any{"href": tc.base + "t"}}
				}
				_, err := CheckThingDescription(withDeviceID(t, mustJSON(t, td), testDevice), testDevice, p.policy)
				if p.want == "" && err != nil || p.want != "" && !errors.Is(err, p.want) {
					t.Errorf("%s %s on %s: got %v, want %q", member, tc.base, p.net, err, p.want)
				}
			}
		}
	}
	// Relative hrefs resolve against base.
	td := fridgeTD()
	td["base"] = "https://relay.thingchain.example/d/42/"
	props(td, "temperature")["forms"] = []any{map[string]any{"href": "properties/temperature"}}
	if _, err := CheckThingDescription(withDeviceID(t, mustJSON(t, td), testDevice), testDevice, mainPolicy); err != nil {
		t.Errorf("relative href on main: %v", err)
	}
}

// TestDeviceID: "id" must be the sending device's URN.
func TestDeviceID(t *testing.T) {
	for _, id := range []any{nil, "", "urn:uuid:3deca264-4f90-4321-a5ea-f197e6a1c7cf", DeviceURN(mustKey(t).PubKey()), 7} {
		td := fridgeTD()
		if id != nil {
			td["id"] = id
		}
		b := mustJSON(t, td)
		if _, err := CheckThingDescription(b, testDevice, regtestPolicy); !errors.Is(err, ErrBadDeviceID) {
			t.Errorf("id %v: %v", id, err)
		}
	}
	td := fridgeTD()
	td["id"] = DeviceURN(testDevice)
	if _, err := CheckThingDescription(mustJSON(t, td), testDevice, regtestPolicy); err != nil {
		t.Fatal(err)
	}
}

// TestTDLimits: size on the compacted form, nesting, empty affordance
// sets, empty title and href.
func TestTDLimits(t *testing.T) {
	// Pretty-printed with generous indentation: over MaxTDBytes raw,
	// under it compacted.
	td := fridgeTD()
	for i := 0; i < 300; i++ {
		props(td, "temperature")[fmt.Sprintf("x-note-%03d", i)] = strings.Repeat("n", 150)
	}
	pretty, err := json.MarshalIndent(withIDMap(td), "", strings.Repeat(" ", 100))
	if err != nil {
		t.Fatal(err)
	}
	if len(pretty) <= MaxTDBytes || compactLen(pretty) > MaxTDBytes {
		t.Fatalf("fixture: raw %d, compacted %d", len(pretty), compactLen(pretty))
	}
	if _, err := CheckThingDescription(pretty, testDevice, regtestPolicy); err != nil {
		t.Fatalf("pretty-printed TD under the compacted limit: %v", err)
	}
	for i := 300; i < 600; i++ {
		props(td, "temperature")[fmt.Sprintf("x-note-%03d", i)] = strings.Repeat("n", 150)
	}
	if _, err := checkTD(t, td); !errors.Is(err, ErrTDTooLarge) {
		t.Fatalf("TD over the compacted limit: %v", err)
	}

	// Nesting: an object schema 40 levels deep (W3C examples nest past 14).
	deep := map[string]any{"type": "string"}
	for i := 0; i < 20; i++ {
		deep = map[string]any{"type": "object", "properties": map[string]any{"inner": deep}}
	}
	td = fridgeTD()
	props(td, "temperature")["properties"] = map[string]any{"v": deep}
	props(td, "temperature")["type"] = "object"
	if _, err := checkTD(t, td); err != nil {
		t.Fatalf("deep schema: %v", err)
	}
	tooDeep := strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1)
	if _, err := CheckThingDescription([]byte(tooDeep), testDevice, regtestPolicy); !errors.Is(err, ErrBadThingDescription) {
		t.Fatalf("over the depth limit: %v", err)
	}

	// TD 1.1 allows a Thing without affordances, an empty title and an
	// empty href (a reference to base itself).
	td = fridgeTD()
	td["properties"] = map[string]any{}
	delete(td, "events")
	td["title"] = ""
	if _, err := checkTD(t, td); err != nil {
		t.Fatalf("no affordances, empty title: %v", err)
	}
	td = fridgeTD()
	td["base"] = "https://fridge.example.com/t"
	props(td, "temperature")["forms"] = []any{map[string]any{"href": ""}}
	if _, err := checkTD(t, td); err != nil {
		t.Fatalf("empty href: %v", err)
	}
}

func withIDMap(td map[string]any) map[string]any {
	td["id"] = DeviceURN(testDevice)
	return td
}
