package registry

import (
	"encoding/hex"
	"fmt"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire/payload"
	"github.com/thingchain/thingchain/consensus"
)

// Stored records use the canonical binary layout of chain/wire/payload,
// not encoding/json: a record has exactly one encoding, independent of Go
// struct tags and field order, so state roots cannot drift with a code
// edit. Every record starts with a one-byte record version (1), so a
// later layout can be introduced at a fork height. Layouts (integers
// little-endian, str = u16 length + UTF-8, blob = u32 length + bytes,
// key = 33 raw bytes):
//
//	Member: ver u8, name str, admitted_height u64, revoked bool, revoked_height u64
//	Model:  ver u8, id str, oem key, kind str, title str, version u32,
//	        field count u8, {name str, type u8, required bool}*, height u64,
//	        thing_model blob
//	Device: ver u8, device key, oem key, model str, model_version u32, kind str,
//	        owner str, enabled bool, attested_height u64, enabled_height u64,
//	        region str, terms (3 × u64), td blob, metadata blob, strikes u64,
//	        history count u8, {height u64, enabled bool, owner str, terms}*,
//	        history_truncated bool
//
// docs/device-api.md §6 repeats this table.
const recordVersion = 1

// recordLimit bounds any string read back from state (they were checked
// on the way in; this only stops a corrupt record from allocating).
const recordLimit = 0xffff

func newRecordReader(b []byte, what string) *payload.Reader {
	return payload.NewReader(b, what, func(what, reason string) error {
		return consensus.AssertError(fmt.Sprintf("registry: corrupt %s: %s", what, reason))
	})
}

// writeHexKey writes a record's hex key as its 33 raw bytes. Only the
// form is checked (recordKey): every key reaches a record from a payload
// or transaction that checked it on the curve, so checking again would
// cost a square root on the curve per key per record written.
func writeHexKey(w *payload.Writer, s string) {
	k, err := recordKey(s)
	if err != nil {
		panic(consensus.AssertError("registry: record with bad key: " + err.Error()))
	}
	w.Raw(k[:])
}

func readHexKey(r *payload.Reader, field string) string {
	var k [keys.PubKeySize]byte
	r.Fixed(k[:], field)
	return hex.EncodeToString(k[:])
}

// EncodeMember returns a membership record's stored bytes.
func EncodeMember(m *Member) []byte {
	w := payload.NewWriter(32 + len(m.Name))
	w.U8(recordVersion)
	w.Str(m.Name)
	w.U64(m.AdmittedHeight)
	w.Bool(m.Revoked)
	w.U64(m.RevokedHeight)
	return w.Bytes()
}

// DecodeMember parses EncodeMember's bytes.
func DecodeMember(b []byte) (*Member, error) {
	r := newRecordReader(b, "member record")
	readVersion(r)
	m := &Member{Name: r.Str("name", recordLimit), AdmittedHeight: r.U64("admitted height"), Revoked: r.Bool("revoked"), RevokedHeight: r.U64("revoked height")}
	return m, r.Finish()
}

// EncodeModel returns a model record's stored bytes.
func EncodeModel(m *Model) []byte {
	w := payload.NewWriter(128 + len(m.ThingModel))
	w.U8(recordVersion)
	w.Str(m.ID)
	writeHexKey(w, m.OEM)
	w.Str(m.Kind)
	w.Str(m.Title)
	w.U32(m.Version)
	AppendSchema(w, m.MetadataSchema)
	w.U64(m.Height)
	w.Blob(m.ThingModel)
	return w.Bytes()
}

// DecodeModel parses EncodeModel's bytes.
func DecodeModel(b []byte) (*Model, error) {
	r := newRecordReader(b, "model record")
	readVersion(r)
	m := &Model{ID: r.Str("id", recordLimit), OEM: readHexKey(r, "oem"), Kind: r.Str("kind", recordLimit), Title: r.Str("title", recordLimit), Version: r.U32("version")}
	if m.MetadataSchema = ReadSchema(r, 0xff, recordLimit); m.MetadataSchema == nil {
		m.MetadataSchema = []Field{} // JSON: [], as published
	}
	m.Height = r.U64("height")
	m.ThingModel = r.Blob("thing model", MaxDocBlobBytes)
	return m, r.Finish()
}

// EncodeDevice returns a device record's stored bytes.
func EncodeDevice(d *Device) []byte {
	w := payload.NewWriter(256 + len(d.TD) + len(d.Metadata))
	w.U8(recordVersion)
	writeHexKey(w, d.Device)
	writeHexKey(w, d.OEM)
	w.Str(d.Model)
	w.U32(d.ModelVersion)
	w.Str(d.Kind)
	w.Str(d.Owner)
	w.Bool(d.Enabled)
	w.U64(d.AttestedHeight)
	w.U64(d.EnabledHeight)
	w.Str(d.Region)
	d.Terms.AppendTo(w)
	w.Blob(d.TD)
	w.Blob(d.Metadata)
	w.U64(d.Strikes)
	w.U8(uint8(len(d.History)))
	for _, h := range d.History {
		w.U64(h.Height)
		w.Bool(h.Enabled)
		w.Str(h.Owner)
		h.Terms.AppendTo(w)
	}
	w.Bool(d.HistoryTruncated)
	return w.Bytes()
}

// DecodeDevice parses EncodeDevice's bytes.
func DecodeDevice(b []byte) (*Device, error) {
	r := newRecordReader(b, "device record")
	readVersion(r)
	d := &Device{Device: readHexKey(r, "device"), OEM: readHexKey(r, "oem"), Model: r.Str("model", recordLimit), ModelVersion: r.U32("model version"),
		Kind: r.Str("kind", recordLimit), Owner: r.Str("owner", recordLimit), Enabled: r.Bool("enabled"),
		AttestedHeight: r.U64("attested height"), EnabledHeight: r.U64("enabled height"), Region: r.Str("region", recordLimit)}
	d.Terms = ReadTerms(r)
	d.TD = r.Blob("td", MaxDocBlobBytes)
	d.Metadata = r.Blob("metadata", MaxDocBlobBytes)
	d.Strikes = r.U64("strikes")
	n := int(r.U8("history count"))
	for i := 0; i < n && r.Err() == nil; i++ {
		d.History = append(d.History, StatusAt{Height: r.U64("history height"), Enabled: r.Bool("history enabled"), Owner: r.Str("history owner", recordLimit), Terms: ReadTerms(r)})
	}
	d.HistoryTruncated = r.Bool("history truncated")
	return d, r.Finish()
}

func readVersion(r *payload.Reader) {
	if v := r.U8("record version"); r.Err() == nil && v != recordVersion {
		r.Fail("record version %d, this node reads version %d", v, recordVersion)
	}
}
