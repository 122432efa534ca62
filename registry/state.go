package registry

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// State layout of the metadata chain (every key is a byte string; keys
// are raw 33-byte compressed public keys where a key is named):
//
//	nonce/<key>         u64 next transaction nonce of a sender
//	oem/<key>           Member: an admitted (maybe revoked) OEM
//	miner/<key>         Member: an admitted (maybe revoked) miner
//	model/<model ID>    Model: the latest published version
//	modelv/<model ID>/<u32 version>
//	                    Model: each published version (a device checked
//	                    in under an older version stays valid)
//	dev/<key>           Device
//	devn                u64 number of devices ever attested
//	devseq/<u64>        device key of the n-th attested device (0-based),
//	                    so the device set can be enumerated without
//	                    iteration (devices are never deleted)
//	gov/used/<u64>      height at which a proposal nonce was executed
//	gov/authorities     genesis authority set (threshold u32, keys)
//	mined/<address>     u64 blocks mined by a reward address
//
// Records are stored in the binary layouts of records.go.
var (
	prefixNonce  = []byte("nonce/")
	prefixOEM    = []byte("oem/")
	prefixMiner  = []byte("miner/")
	prefixModel  = []byte("model/")
	prefixModelV = []byte("modelv/")
	prefixDevice = []byte("dev/")
	prefixDevSeq = []byte("devseq/")
	// minerseq/ lists every miner key ever admitted, once (minern counts).
	prefixMinerSeq = []byte("minerseq/")
	keyMinerCount  = []byte("minern")
	prefixGovUse   = []byte("gov/used/")
	keyDevCount    = []byte("devn")
	keyAuthSet     = []byte("gov/authorities")
)

func keyWith(prefix []byte, rest []byte) []byte {
	return append(append(make([]byte, 0, len(prefix)+len(rest)), prefix...), rest...)
}

func u64Key(prefix []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), n)
}

// NonceKey is the state key of a sender's next nonce.
func NonceKey(sender keys.PubKey) []byte { return keyWith(prefixNonce, sender[:]) }

// DeviceKey is the state key of a device record ("dev/" + 33-byte key).
func DeviceKey(device keys.PubKey) []byte { return keyWith(prefixDevice, device[:]) }

// NextNonce returns the nonce the sender's next transaction must carry.
func NextNonce(v *chain.View, sender keys.PubKey) (uint64, error) {
	return v.GetUint64(NonceKey(sender))
}

// Member is an admitted OEM or miner.
type Member struct {
	Name           string `json:"name"`
	AdmittedHeight uint64 `json:"admitted_height"`
	Revoked        bool   `json:"revoked"`
	RevokedHeight  uint64 `json:"revoked_height"`
}

// Model is one published version of a device model.
type Model struct {
	ID             string          `json:"id"`
	OEM            string          `json:"oem"` // hex compressed public key
	Kind           string          `json:"kind"`
	Title          string          `json:"title"`
	Version        uint32          `json:"version"`
	MetadataSchema []Field         `json:"metadata_schema"`
	Height         uint64          `json:"height"`      // height this version was published at
	ThingModel     json.RawMessage `json:"thing_model"` // compacted W3C WoT Thing Model
}

// Device is a device record. Owner is an address, never a key, and the
// region is coarse: the record holds no personal data.
type Device struct {
	Device         string          `json:"device"` // hex compressed device public key
	OEM            string          `json:"oem"`    // hex key of the attesting OEM
	Model          string          `json:"model"`
	ModelVersion   uint32          `json:"model_version"` // model version the TD was last checked against; 0 before check-in
	Kind           string          `json:"kind"`
	Owner          string          `json:"owner"` // bech32m address; "" until the first check-in
	Enabled        bool            `json:"enabled"`
	AttestedHeight uint64          `json:"attested_height"`
	EnabledHeight  uint64          `json:"enabled_height"` // height of the last check-in
	Region         string          `json:"region"`
	Terms          Terms           `json:"terms"`
	TD             json.RawMessage `json:"td"`       // compacted Thing Description; null before check-in
	Metadata       json.RawMessage `json:"metadata"` // compacted metadata object; null before check-in
	Strikes        uint64          `json:"strikes"`  // missed key deliveries (reserved for the auction link)
	// History lists the owner-controlled status (enabled, owner, terms)
	// from each height it changed at, oldest first, at most maxHistory.
	History          []StatusAt `json:"history,omitempty"`
	HistoryTruncated bool       `json:"history_truncated,omitempty"`
}

// PubKey returns the record's device key (recordKey).
func (d *Device) PubKey() (keys.PubKey, error) { return recordKey(d.Device) }

// OEMKey returns the record's OEM key (recordKey).
func (d *Device) OEMKey() (keys.PubKey, error) { return recordKey(d.OEM) }

// recordKey decodes a key that a record holds in hex. It checks the
// form (33 bytes, compressed prefix) but not that the point is on the
// curve: a record's keys were checked on the curve before it was first
// written (they come from payloads and transaction senders), and the
// check costs a square root per key, which block import would otherwise
// pay for every record it reads or writes.
func recordKey(s string) (keys.PubKey, error) {
	var k keys.PubKey
	if hex.DecodedLen(len(s)) != keys.PubKeySize {
		return k, fmt.Errorf("key %q: %w: length %d, want %d", s, keys.ErrPubKey, hex.DecodedLen(len(s)), keys.PubKeySize)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, fmt.Errorf("key %q: %w", s, err)
	}
	if k[0] != 0x02 && k[0] != 0x03 {
		return k, fmt.Errorf("key %q: %w: prefix 0x%02x is not compressed form", s, keys.ErrPubKey, k[0])
	}
	return k, nil
}

func getRecord[T any](v *chain.View, key []byte, decode func([]byte) (*T, error)) (*T, error) {
	b, ok, err := v.Get(key)
	if err != nil || !ok {
		return nil, err
	}
	return decode(b)
}

// GetDevice returns a device record, or nil if the key was never attested.
func GetDevice(v *chain.View, device keys.PubKey) (*Device, error) {
	return getRecord(v, DeviceKey(device), DecodeDevice)
}

// GetOEM returns an OEM's membership, or nil if it was never admitted.
func GetOEM(v *chain.View, oem keys.PubKey) (*Member, error) {
	return getRecord(v, keyWith(prefixOEM, oem[:]), DecodeMember)
}

// GetMiner returns a miner's membership, or nil if it was never admitted.
func GetMiner(v *chain.View, miner keys.PubKey) (*Member, error) {
	return getRecord(v, keyWith(prefixMiner, miner[:]), DecodeMember)
}

// GetModel returns the latest version of a published model, or nil.
func GetModel(v *chain.View, id string) (*Model, error) {
	return getRecord(v, keyWith(prefixModel, []byte(id)), DecodeModel)
}

// GetModelVersion returns one published version of a model, or nil.
func GetModelVersion(v *chain.View, id string, version uint32) (*Model, error) {
	return getRecord(v, modelVersionKey(id, version), DecodeModel)
}

func modelVersionKey(id string, version uint32) []byte {
	k := keyWith(prefixModelV, []byte(id))
	k = append(k, '/')
	return binary.BigEndian.AppendUint32(k, version)
}

// MinerAdmitted reports whether a miner key is admitted and not revoked in
// this state: listed in GenesisMiners (when the chain was opened with
// NewMachine) or admitted by governance. The node's permissioned-mining
// rule can call it through chain.ReadState.
func MinerAdmitted(v *chain.View, miner keys.PubKey) (bool, error) {
	m, err := GetMiner(v, miner)
	if err != nil || m == nil {
		return false, err
	}
	return !m.Revoked, nil
}

// OEMActive reports whether an OEM is admitted and not revoked.
func OEMActive(v *chain.View, oem keys.PubKey) (bool, error) {
	m, err := GetOEM(v, oem)
	if err != nil || m == nil {
		return false, err
	}
	return !m.Revoked, nil
}

// IsAuctionable is the auction chain's anchor rule for a device: it exists,
// its attesting OEM is not revoked, and its owner has it enabled.
func IsAuctionable(v *chain.View, device keys.PubKey) (bool, error) {
	d, err := GetDevice(v, device)
	if err != nil || d == nil || !d.Enabled {
		return false, err
	}
	oem, err := d.OEMKey()
	if err != nil {
		return false, consensus.AssertError("registry: device record with bad OEM key: " + err.Error())
	}
	return OEMActive(v, oem)
}

// DeviceCount is the number of devices ever attested.
func DeviceCount(v *chain.View) (uint64, error) { return v.GetUint64(keyDevCount) }

// ScanDevices calls fn with every device record in attestation order,
// stopping at fn's first error. The node uses it to rebuild the query
// index on start (View has no iteration; the devseq/ list stands in).
func ScanDevices(v *chain.View, fn func(*Device) error) error {
	return scanSeq(v, prefixDevSeq, keyDevCount, func(k keys.PubKey) error {
		d, err := GetDevice(v, k)
		if err != nil {
			return err
		}
		if d == nil {
			return consensus.AssertError(fmt.Sprintf("registry: device %s listed but has no record", k))
		}
		return fn(d)
	})
}

// AdmittedMiners lists the miner keys admitted and not revoked in this
// state, genesis miners included, in order of first admission. The node
// keeps its permissioned-mining rule from it.
func AdmittedMiners(v *chain.View) ([]keys.PubKey, error) {
	var out []keys.PubKey
	err := scanSeq(v, prefixMinerSeq, keyMinerCount, func(k keys.PubKey) error {
		m, err := GetMiner(v, k)
		if err != nil {
			return err
		}
		if m == nil {
			return consensus.AssertError(fmt.Sprintf("registry: miner %s listed but has no record", k))
		}
		if !m.Revoked {
			out = append(out, k)
		}
		return nil
	})
	return out, err
}

// scanSeq calls fn with every key of an append-only key list (View has
// no iteration, so lists that must be enumerated are kept explicitly).
func scanSeq(v *chain.View, prefix, countKey []byte, fn func(keys.PubKey) error) error {
	n, err := v.GetUint64(countKey)
	if err != nil {
		return err
	}
	for i := uint64(0); i < n; i++ {
		b, ok, err := v.Get(u64Key(prefix, i))
		if err != nil {
			return err
		}
		if !ok || len(b) != keys.PubKeySize {
			return consensus.AssertError(fmt.Sprintf("registry: entry %d of %s missing", i, prefix))
		}
		if err := fn(keys.PubKey(b)); err != nil {
			return err
		}
	}
	return nil
}

// appendSeq adds a key to an append-only key list.
func appendSeq(v *chain.View, prefix, countKey []byte, k keys.PubKey) error {
	n, err := v.GetUint64(countKey)
	if err != nil {
		return err
	}
	v.Put(u64Key(prefix, n), k[:])
	v.PutUint64(countKey, n+1)
	return nil
}
