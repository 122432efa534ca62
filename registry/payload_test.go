package registry

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

func TestErrorKindStrings(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range allErrorKinds {
		s := k.Error()
		if !strings.HasPrefix(s, "Err") || s != string(k) || seen[s] {
			t.Errorf("kind %q: string %q bad or repeated", string(k), s)
		}
		seen[s] = true
		wrapped := consensus.RuleErrorf(k, "because")
		if !errors.Is(wrapped, k) || wrapped.Error() != s+": because" {
			t.Errorf("RuleError of %s: %q", s, wrapped.Error())
		}
	}
	for _, tc := range []struct {
		kind consensus.ErrorKind
		want string
	}{
		{ErrNotOEM, "ErrNotOEM"}, {ErrOEMRevoked, "ErrOEMRevoked"}, {ErrNotAttested, "ErrNotAttested"},
		{ErrBadOwnerSig, "ErrBadOwnerSig"}, {ErrBadThingDescription, "ErrBadThingDescription"},
		{ErrMetadataSchema, "ErrMetadataSchema"}, {ErrPersonalIP, "ErrPersonalIP"},
		{ErrBelowThreshold, "ErrBelowThreshold"}, {ErrBadApproval, "ErrBadApproval"}, {ErrNotAuthority, "ErrNotAuthority"},
		{ErrFeeNotAllowed, "ErrFeeNotAllowed"}, {ErrUnknownModel, "ErrUnknownModel"}, {ErrModelNotOwned, "ErrModelNotOwned"},
		{ErrDeviceExists, "ErrDeviceExists"}, {ErrNotOwner, "ErrNotOwner"},
	} {
		if tc.kind.Error() != tc.want {
			t.Errorf("%s.Error() = %q", tc.want, tc.kind.Error())
		}
	}
}

func samplePayloads(t testing.TB) map[string][]byte {
	k1, k2 := mustKey(t).PubKey(), mustKey(t).PubKey()
	var sig keys.Signature
	for i := range sig {
		sig[i] = byte(i)
	}
	req := fridgeRequest(t)
	return map[string][]byte{
		"governance": (&Governance{Proposal: Proposal{Action: RevokeMiner, Subject: k1, Name: "Pool ü", ProposalNonce: 1 << 40},
			Approvals: []Approval{{AuthorityIndex: 0, Sig: sig}, {AuthorityIndex: 2, Sig: sig}}}).Encode(),
		"publish": func() []byte { m := fridgeModel(); return m.Encode() }(),
		"attest":  (&AttestDevice{DeviceKey: k1, ModelID: "m.1"}).Encode(),
		"checkin": (&CheckIn{Owner: k2, Region: "US-CA", Terms: req.Terms, ThingDescription: req.ThingDescription, Metadata: req.Metadata, OwnerSig: sig}).Encode(),
		"disable": (&DeviceRef{DeviceKey: k1}).Encode(),
		"terms":   (&SetTerms{DeviceKey: k2, Terms: Terms{ReservePerPoint: 1, PointsPerPeriod: 2, AccessPeriodSeconds: 3}}).Encode(),
	}
}

// decodeAny runs the decoder of a payload kind and re-encodes the result.
func decodeAny(kind string, b []byte) (any, []byte, error) {
	switch kind {
	case "governance":
		v, err := DecodeGovernance(b)
		if err != nil {
			return nil, nil, err
		}
		return v, v.Encode(), nil
	case "publish":
		v, err := DecodePublishModel(b)
		if err != nil {
			return nil, nil, err
		}
		return v, v.Encode(), nil
	case "attest":
		v, err := DecodeAttestDevice(b)
		if err != nil {
			return nil, nil, err
		}
		return v, v.Encode(), nil
	case "checkin":
		v, err := DecodeCheckIn(b)
		if err != nil {
			return nil, nil, err
		}
		return v, v.Encode(), nil
	case "disable":
		v, err := DecodeDeviceRef(b)
		if err != nil {
			return nil, nil, err
		}
		return v, v.Encode(), nil
	case "terms":
		v, err := DecodeSetTerms(b)
		if err != nil {
			return nil, nil, err
		}
		return v, v.Encode(), nil
	}
	panic(kind)
}

func TestPayloadRoundTrip(t *testing.T) {
	for kind, b := range samplePayloads(t) {
		v, again, err := decodeAny(kind, b)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%s: re-encoding differs", kind)
		}
		v2, _, _ := decodeAny(kind, again)
		if !reflect.DeepEqual(v, v2) {
			t.Fatalf("%s: decoded values differ", kind)
		}
		// Every strict prefix and every extension is refused.
		for n := 0; n < len(b); n += max(1, len(b)/50) {
			if _, _, err := decodeAny(kind, b[:n]); !errors.Is(err, ErrBadPayload) {
				t.Fatalf("%s: prefix of %d bytes: %v", kind, n, err)
			}
		}
		if _, _, err := decodeAny(kind, append(append([]byte(nil), b...), 0)); !errors.Is(err, ErrBadPayload) {
			t.Fatalf("%s: trailing byte accepted: %v", kind, err)
		}
	}
}

func TestPayloadNonCanonical(t *testing.T) {
	req := fridgeRequest(t)
	good := (&CheckIn{Owner: mustKey(t).PubKey(), Region: "EU", Terms: req.Terms, ThingDescription: req.ThingDescription, Metadata: req.Metadata}).Encode()
	// Owner key in uncompressed-prefix form.
	bad := append([]byte(nil), good...)
	bad[0] = 0x04
	if _, err := DecodeCheckIn(bad); !errors.Is(err, ErrBadPayload) {
		t.Errorf("uncompressed owner prefix: %v", err)
	}
	// A boolean byte other than 0 or 1.
	m := fridgeModel()
	enc := m.Encode()
	enc[len(enc)-4-len(m.ThingModel)-4-1] = 2 // the last field's required flag
	if _, err := DecodePublishModel(enc); !errors.Is(err, ErrBadPayload) {
		t.Errorf("boolean 2: %v", err)
	}
	// Approvals out of order.
	g := &Governance{Proposal: Proposal{Action: AdmitOEM, Subject: mustKey(t).PubKey()}, Approvals: []Approval{{AuthorityIndex: 2}, {AuthorityIndex: 1}}}
	if _, err := DecodeGovernance(g.Encode()); !errors.Is(err, ErrBadApproval) {
		t.Errorf("unordered approvals: %v", err)
	}
	g.Action = 9
	g.Approvals = nil
	if _, err := DecodeGovernance(g.Encode()); !errors.Is(err, ErrBadPayload) {
		t.Errorf("unknown action: %v", err)
	}
	// Invalid UTF-8 and control characters in strings.
	for _, id := range []string{"m\xff", "m\n1", "Upper", ""} {
		if _, err := DecodeAttestDevice((&AttestDevice{DeviceKey: mustKey(t).PubKey(), ModelID: id}).Encode()); !errors.Is(err, ErrBadPayload) {
			t.Errorf("model ID %q: %v", id, err)
		}
	}
	// Duplicate schema fields, bad types.
	m.MetadataSchema = append(m.MetadataSchema, m.MetadataSchema[0])
	if _, err := DecodePublishModel(m.Encode()); !errors.Is(err, ErrBadPayload) {
		t.Errorf("duplicate field: %v", err)
	}
	m = fridgeModel()
	m.MetadataSchema[0].Type = 9
	if _, err := DecodePublishModel(m.Encode()); !errors.Is(err, ErrBadPayload) {
		t.Errorf("unknown field type: %v", err)
	}
}

func TestThingDescriptionContexts(t *testing.T) {
	for _, ctx := range []any{TDContext11, TDContext10, []any{TDContext10, map[string]any{"x": "y"}}} {
		td := fridgeTD()
		td["@context"] = ctx
		props, err := checkTD(t, td)
		if err != nil {
			t.Fatalf("context %v: %v", ctx, err)
		}
		if len(props) != 2 || props[0].Name != "door_open" || props[1].Type != "number" {
			t.Fatalf("properties %+v", props)
		}
	}
	for name, mutate := range map[string]func(map[string]any){
		"wrong context":       func(td map[string]any) { td["@context"] = "https://example.com/td" },
		"title not a string":  func(td map[string]any) { td["title"] = 7 },
		"empty security defs": func(td map[string]any) { td["securityDefinitions"] = map[string]any{} },
		"undefined security":  func(td map[string]any) { td["security"] = []any{"nosec_sc"} },
		"empty security":      func(td map[string]any) { td["security"] = []any{} },
		"scheme missing":      func(td map[string]any) { td["securityDefinitions"] = map[string]any{"bearer_sc": map[string]any{}} },
		"empty forms": func(td map[string]any) {
			td["properties"].(map[string]any)["temperature"].(map[string]any)["forms"] = []any{}
		},
		"properties not object": func(td map[string]any) { td["properties"] = []any{} },
	} {
		td := fridgeTD()
		mutate(td)
		if _, err := checkTD(t, td); !errors.Is(err, ErrBadThingDescription) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, raw := range []string{`{"title":"a","title":"b"}`, `[]`, `{} {}`, "{\"t\":\"\xff\"}", strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if _, err := CheckThingDescription([]byte(raw), testDevice, regtestPolicy); !errors.Is(err, ErrBadThingDescription) {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

// Fuzz targets: decoders never panic, and whatever they accept re-encodes
// to the same bytes (one value, one encoding).
func fuzzDecoder(f *testing.F, kind string) {
	for k, b := range samplePayloads(f) {
		if k == kind {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, again, err := decodeAny(kind, b)
		if err != nil {
			var rerr consensus.RuleError
			if !errors.As(err, &rerr) {
				t.Fatalf("non-rule error %v", err)
			}
			return
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted non-canonical encoding")
		}
	})
}

func FuzzDecodeGovernance(f *testing.F)   { fuzzDecoder(f, "governance") }
func FuzzDecodePublishModel(f *testing.F) { fuzzDecoder(f, "publish") }
func FuzzDecodeAttestDevice(f *testing.F) { fuzzDecoder(f, "attest") }
func FuzzDecodeCheckIn(f *testing.F)      { fuzzDecoder(f, "checkin") }
func FuzzDecodeDeviceRef(f *testing.F)    { fuzzDecoder(f, "disable") }
func FuzzDecodeSetTerms(f *testing.F)     { fuzzDecoder(f, "terms") }

func FuzzThingDescription(f *testing.F) {
	f.Add(withDeviceID(f, mustJSON(f, fridgeTD()), testDevice))
	f.Add([]byte(`{"@context":"https://www.w3.org/2022/wot/td/v1.1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := CheckThingDescription(b, testDevice, regtestPolicy); err != nil {
			if !isRegistryKind(err) {
				t.Fatalf("unexpected error kind %v", err)
			}
		}
		if _, err := CheckMetadataObject(b, regtestPolicy); err != nil && !isRegistryKind(err) {
			t.Fatalf("metadata: unexpected error kind %v", err)
		}
	})
}
