package registry

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/thingchain/thingchain/consensus"
)

func sampleRecords(t testing.TB) (*Member, *Model, *Device) {
	oem, dev := mustKey(t).PubKey(), mustKey(t).PubKey()
	member := &Member{Name: "Acme Appliances", AdmittedHeight: 7, Revoked: true, RevokedHeight: 90}
	model := &Model{ID: "acme-fridge-x1", OEM: oem.String(), Kind: "fridge", Title: "Acme Fridge", Version: 3,
		MetadataSchema: []Field{{Name: "energy_class", Type: TypeString, Required: true}, {Name: "capacity_l", Type: TypeInteger}},
		Height:         12, ThingModel: compactJSON(fridgeTM())}
	device := &Device{Device: dev.String(), OEM: oem.String(), Model: "acme-fridge-x1", ModelVersion: 2, Kind: "fridge",
		Owner: "tcr1qexampleaddress", Enabled: true, AttestedHeight: 13, EnabledHeight: 20, Region: "EU-DE",
		Terms: Terms{ReservePerPoint: 5, PointsPerPeriod: 100, AccessPeriodSeconds: 3600},
		TD:    []byte(`{"title":"x"}`), Metadata: []byte(`{"energy_class":"A"}`), Strikes: 1,
		History: []StatusAt{{Height: 20, Enabled: true, Owner: "tcr1qexampleaddress", Terms: Terms{1, 2, 3}}}, HistoryTruncated: true}
	return member, model, device
}

// TestRecordRoundTrip: each stored record decodes to what was encoded and
// re-encodes to the same bytes; a record before check-in (no TD) too.
func TestRecordRoundTrip(t *testing.T) {
	member, model, device := sampleRecords(t)
	check := func(name string, enc []byte, decode func([]byte) (any, error), want any, reenc func(any) []byte) {
		got, err := decode(enc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %+v, want %+v", name, got, want)
		}
		if !bytes.Equal(reenc(got), enc) {
			t.Fatalf("%s: re-encoding differs", name)
		}
	}
	check("member", EncodeMember(member), func(b []byte) (any, error) { return DecodeMember(b) }, member, func(v any) []byte { return EncodeMember(v.(*Member)) })
	check("model", EncodeModel(model), func(b []byte) (any, error) { return DecodeModel(b) }, model, func(v any) []byte { return EncodeModel(v.(*Model)) })
	check("device", EncodeDevice(device), func(b []byte) (any, error) { return DecodeDevice(b) }, device, func(v any) []byte { return EncodeDevice(v.(*Device)) })
	bare := &Device{Device: device.Device, OEM: device.OEM, Model: "m", Kind: "k", AttestedHeight: 1}
	check("attested device", EncodeDevice(bare), func(b []byte) (any, error) { return DecodeDevice(b) }, bare, func(v any) []byte { return EncodeDevice(v.(*Device)) })

	// Truncations, a trailing byte and an unknown record version are
	// corruption, reported as assertion errors (never a rule kind).
	enc := EncodeDevice(device)
	for _, b := range [][]byte{enc[:len(enc)-1], append(append([]byte(nil), enc...), 0), append([]byte{2}, enc[1:]...)} {
		var assert consensus.AssertError
		if _, err := DecodeDevice(b); !errors.As(err, &assert) {
			t.Fatalf("corrupt record: %v", err)
		}
	}
}

// FuzzDeviceRecord: the device record decoder never panics, and what it
// accepts re-encodes to the same bytes.
func FuzzDeviceRecord(f *testing.F) {
	_, _, device := sampleRecords(f)
	f.Add(EncodeDevice(device))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDevice(b)
		if err != nil {
			return
		}
		if _, err := parseHexKey(d.Device); err != nil {
			return // keys are stored without a curve check; EncodeDevice needs valid ones
		}
		if _, err := parseHexKey(d.OEM); err != nil {
			return
		}
		if !bytes.Equal(EncodeDevice(d), b) {
			t.Fatalf("accepted a non-canonical device record")
		}
	})
}

// FuzzModelRecord: as FuzzDeviceRecord for model records.
func FuzzModelRecord(f *testing.F) {
	_, model, _ := sampleRecords(f)
	f.Add(EncodeModel(model))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeModel(b)
		if err != nil {
			return
		}
		if _, err := parseHexKey(m.OEM); err != nil {
			return
		}
		if !bytes.Equal(EncodeModel(m), b) {
			t.Fatalf("accepted a non-canonical model record")
		}
	})
}
