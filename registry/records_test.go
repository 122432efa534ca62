package registry

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
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
		History: []StatusAt{{Height: 20, Enabled: true, Owner: "tcr1qexampleaddress", Terms: Terms{ReservePerPoint: 1, PointsPerPeriod: 2, AccessPeriodSeconds: 3}}}, HistoryTruncated: true}
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
		if _, err := recordKey(d.Device); err != nil {
			return // keys are stored without a curve check; EncodeDevice needs their form
		}
		if _, err := recordKey(d.OEM); err != nil {
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
		if _, err := recordKey(m.OEM); err != nil {
			return
		}
		if !bytes.Equal(EncodeModel(m), b) {
			t.Fatalf("accepted a non-canonical model record")
		}
	})
}

// TestRecordGolden pins the stored layouts byte for byte: a change here
// changes every state root, so it must come with a fork (and new vectors).
func TestRecordGolden(t *testing.T) {
	dev, oem := exampleKey(t, "golden device").PubKey(), exampleKey(t, "golden oem").PubKey()
	member := EncodeMember(&Member{Name: "Acme", AdmittedHeight: 2, Revoked: true, RevokedHeight: 9})
	model := EncodeModel(&Model{ID: "m1", OEM: oem.String(), Kind: "lamp", Title: "L", Version: 2,
		MetadataSchema: []Field{{Name: "fw", Type: TypeString, Required: true}}, Height: 5, ThingModel: []byte(`{}`)})
	device := EncodeDevice(&Device{Device: dev.String(), OEM: oem.String(), Model: "m1", ModelVersion: 2, Kind: "lamp",
		Owner: "tcr1x", Enabled: true, AttestedHeight: 6, EnabledHeight: 7, Region: "DE", Terms: Terms{ReservePerPoint: 1, PointsPerPeriod: 2, AccessPeriodSeconds: 3},
		TD: []byte(`{}`), Metadata: []byte(`{}`), Strikes: 0, History: []StatusAt{{Height: 7, Enabled: true, Owner: "tcr1x", Terms: Terms{ReservePerPoint: 1, PointsPerPeriod: 2, AccessPeriodSeconds: 3}}}})
	for name, c := range map[string]struct {
		got  []byte
		want string
	}{
		"member": {member, "01040041636d650200000000000000010900000000000000"},
		"model":  {model, goldenModel(oem)},
		"device": {device, goldenDevice(dev, oem)},
	} {
		if hex.EncodeToString(c.got) != c.want {
			t.Errorf("%s record:\n got %x\nwant %s", name, c.got, c.want)
		}
	}
}

func goldenModel(oem keys.PubKey) string {
	return "01" + "0200" + hex.EncodeToString([]byte("m1")) + oem.String() + "0400" + hex.EncodeToString([]byte("lamp")) +
		"0100" + hex.EncodeToString([]byte("L")) + "02000000" + "01" + "0200" + hex.EncodeToString([]byte("fw")) + "01" + "01" +
		"0500000000000000" + "02000000" + hex.EncodeToString([]byte("{}"))
}

func goldenDevice(dev, oem keys.PubKey) string {
	terms := "0100000000000000" + "0200000000000000" + "0300000000000000"
	owner := "0500" + hex.EncodeToString([]byte("tcr1x"))
	return "01" + dev.String() + oem.String() + "0200" + hex.EncodeToString([]byte("m1")) + "02000000" + "0400" + hex.EncodeToString([]byte("lamp")) +
		owner + "01" + "0600000000000000" + "0700000000000000" + "0200" + hex.EncodeToString([]byte("DE")) + terms +
		"02000000" + hex.EncodeToString([]byte("{}")) + "02000000" + hex.EncodeToString([]byte("{}")) + "0000000000000000" +
		"01" + "0700000000000000" + "01" + owner + terms + "00"
}
