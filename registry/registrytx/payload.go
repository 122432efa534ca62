package registrytx

import (
	"crypto/sha256"
	"fmt"
	"regexp"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/chain/wire/payload"
	"github.com/thingchain/thingchain/consensus"
)

// Payloads use the binary layout of chain/wire/payload (docs/device-api.md
// §2; newReader at the end of this file). A value has exactly one encoding,
// so decoders need no re-encode comparison.

// Transaction types of the metadata chain.
const (
	TxGovernance   uint16 = 1 // authority-approved admission or revocation of an OEM or miner
	TxPublishModel uint16 = 2 // OEM publishes a device model and its metadata schema
	TxAttestDevice uint16 = 3 // OEM attests a device key it manufactured
	TxCheckIn      uint16 = 4 // device, with its owner's signature, enables itself
	TxDisable      uint16 = 5 // owner disables a device
	TxSetTerms     uint16 = 6 // owner changes a device's auction terms
)

// Field limits. They keep a check-in well under wire.MaxPayloadBytes.
const (
	MaxNameBytes     = 64       // governance subject name
	MaxIDBytes       = 64       // model ID, kind, field names
	MaxTitleBytes    = 128      // model title
	MaxSchemaFields  = 64       // fields per model schema
	MaxApprovals     = 32       // approvals per governance transaction
	MaxTDBytes       = 64 << 10 // Thing Description, measured compacted (ErrTDTooLarge)
	MaxMetadataBytes = 16 << 10 // metadata object
	MaxRegionBytes   = 16       // decode limit; the region pattern allows at most 6 ("FR-75A")
	// MaxJSONDepth is the nesting allowed inside a TD, TM or metadata:
	// each object or array is one level. W3C TD examples with object
	// schemas inside actions inside the Thing reach about 20.
	MaxJSONDepth = 64
	// MaxDocBlobBytes bounds the raw TD or TM blob in a payload; the
	// compacted form must still fit MaxTDBytes or MaxTMBytes. Pretty-
	// printed documents fit as long as the transaction does.
	MaxDocBlobBytes = wire.MaxPayloadBytes
)

// Domain tags of the hashes signed by authorities and owners. Each is
// written as raw ASCII bytes at the start of the hashed message.
const (
	governanceDomain = "thingchain/governance/v1"
	enableDomain     = "thingchain/enable/v1"
)

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	fieldPattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	regionPattern = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)
)

// ---- governance ----

// Action is what a governance transaction does.
type Action uint8

// Governance actions.
const (
	AdmitOEM    Action = 1
	RevokeOEM   Action = 2
	AdmitMiner  Action = 3
	RevokeMiner Action = 4
)

var actionNames = map[Action]string{AdmitOEM: "admit-oem", RevokeOEM: "revoke-oem", AdmitMiner: "admit-miner", RevokeMiner: "revoke-miner"}

func (a Action) String() string {
	if s, ok := actionNames[a]; ok {
		return s
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// ParseAction accepts the names admit-oem, revoke-oem, admit-miner, revoke-miner.
func ParseAction(s string) (Action, error) {
	for a, n := range actionNames {
		if n == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown governance action %q: use admit-oem, revoke-oem, admit-miner or revoke-miner", s)
}

// Proposal is what the authorities approve.
type Proposal struct {
	Action        Action
	Subject       keys.PubKey // the OEM's attestation key or the miner's key
	Name          string      // human-readable label, e.g. the company
	ProposalNonce uint64      // unique per executed proposal; stops replays
}

// Approval is one authority's signature of a proposal.
type Approval struct {
	AuthorityIndex uint8 // position in consensus.Params.Authorities
	Sig            keys.Signature
}

// Governance is the payload of TxGovernance.
type Governance struct {
	Proposal
	Approvals []Approval // strictly ascending AuthorityIndex
}

// ApprovalHash is what each authority signs for a proposal on a chain.
func (p *Proposal) ApprovalHash(chainID uint32) wire.Hash {
	w := payload.NewWriter(128)
	w.Raw([]byte(governanceDomain))
	w.U32(chainID)
	w.U8(uint8(p.Action))
	w.Raw(p.Subject[:])
	w.Str(p.Name)
	w.U64(p.ProposalNonce)
	return wire.DoubleSHA256(w.Bytes())
}

// Encode returns the canonical payload bytes.
func (g *Governance) Encode() []byte {
	var w payload.Writer
	w.U8(uint8(g.Action))
	w.Raw(g.Subject[:])
	w.Str(g.Name)
	w.U64(g.ProposalNonce)
	w.U8(uint8(len(g.Approvals)))
	for _, a := range g.Approvals {
		w.U8(a.AuthorityIndex)
		w.Raw(a.Sig[:])
	}
	return w.Bytes()
}

// DecodeGovernance parses and sanity-checks a TxGovernance payload.
func DecodeGovernance(b []byte) (*Governance, error) {
	r := newReader(b, "governance payload")
	g := &Governance{}
	g.Action = Action(r.U8("action"))
	g.Subject = r.PubKey("subject")
	g.Name = r.Str("name", MaxNameBytes)
	g.ProposalNonce = r.U64("proposal nonce")
	n := int(r.U8("approval count"))
	if r.Err() == nil && n > MaxApprovals {
		r.Fail("%d approvals exceeds limit %d", n, MaxApprovals)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		g.Approvals = append(g.Approvals, Approval{AuthorityIndex: r.U8("authority index"), Sig: r.Sig("approval signature")})
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if _, ok := actionNames[g.Action]; !ok {
		return nil, consensus.RuleErrorf(ErrBadPayload, "governance payload: unknown action %d", g.Action)
	}
	for i := 1; i < len(g.Approvals); i++ {
		if g.Approvals[i].AuthorityIndex <= g.Approvals[i-1].AuthorityIndex {
			return nil, consensus.RuleErrorf(ErrBadApproval, "approvals must name distinct authorities in ascending order (index %d after %d)",
				g.Approvals[i].AuthorityIndex, g.Approvals[i-1].AuthorityIndex)
		}
	}
	return g, nil
}

// ---- models ----

// FieldType is the JSON type a metadata field must have.
type FieldType uint8

// Metadata field types.
const (
	TypeString  FieldType = 1
	TypeNumber  FieldType = 2
	TypeInteger FieldType = 3
	TypeBoolean FieldType = 4
)

var fieldTypeNames = map[FieldType]string{TypeString: "string", TypeNumber: "number", TypeInteger: "integer", TypeBoolean: "boolean"}

func (t FieldType) String() string {
	if s, ok := fieldTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// MarshalText writes the type's name ("string", "number", ...).
func (t FieldType) MarshalText() ([]byte, error) {
	if _, ok := fieldTypeNames[t]; !ok {
		return nil, fmt.Errorf("unknown field type %d", uint8(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText parses a type name.
func (t *FieldType) UnmarshalText(b []byte) error {
	v, err := ParseFieldType(string(b))
	*t = v
	return err
}

// ParseFieldType accepts string, number, integer or boolean.
func ParseFieldType(s string) (FieldType, error) {
	for t, n := range fieldTypeNames {
		if n == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown field type %q: use string, number, integer or boolean", s)
}

// Field is one entry of a model's metadata schema.
type Field struct {
	Name     string    `json:"name"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
}

// PublishModel is the payload of TxPublishModel: a version of an OEM's
// device model. ThingModel is a W3C WoT Thing Model (TD 1.1 §10) that
// every check-in's Thing Description must instantiate (CheckInstance).
// A model ID is published first at any version ≥ 1; later versions must
// be higher and come from the same OEM.
type PublishModel struct {
	ModelID        string
	Kind           string // fridge, tv, thermostat, energy-meter, car, ...
	Title          string
	Version        uint32
	MetadataSchema []Field
	ThingModel     []byte // JSON, @type tm:ThingModel
}

// Encode returns the canonical payload bytes.
func (m *PublishModel) Encode() []byte {
	var w payload.Writer
	w.Str(m.ModelID)
	w.Str(m.Kind)
	w.Str(m.Title)
	AppendSchema(&w, m.MetadataSchema)
	w.U32(m.Version)
	w.Blob(m.ThingModel)
	return w.Bytes()
}

// DecodePublishModel parses and sanity-checks a TxPublishModel payload:
// formats, the Thing Model (CheckThingModel) and the personal-data rule on
// the model's text.
func DecodePublishModel(b []byte) (*PublishModel, error) {
	r := newReader(b, "publish-model payload")
	m := &PublishModel{}
	m.ModelID = r.Str("model ID", MaxIDBytes)
	m.Kind = r.Str("kind", MaxIDBytes)
	m.Title = r.Str("title", MaxTitleBytes)
	m.MetadataSchema = ReadSchema(r, MaxSchemaFields, MaxIDBytes)
	m.Version = r.U32("version")
	m.ThingModel = r.Blob("thing model", MaxDocBlobBytes)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(m.ModelID) {
		return nil, consensus.RuleErrorf(ErrBadPayload, "model ID %q must match %s", m.ModelID, idPattern)
	}
	if !idPattern.MatchString(m.Kind) {
		return nil, consensus.RuleErrorf(ErrBadPayload, "kind %q must match %s", m.Kind, idPattern)
	}
	if m.Title == "" {
		return nil, consensus.RuleErrorf(ErrBadPayload, "model %q has an empty title", m.ModelID)
	}
	seen := make(map[string]bool, len(m.MetadataSchema))
	for _, f := range m.MetadataSchema {
		if !fieldPattern.MatchString(f.Name) {
			return nil, consensus.RuleErrorf(ErrBadPayload, "schema field name %q must match %s", f.Name, fieldPattern)
		}
		if _, ok := fieldTypeNames[f.Type]; !ok {
			return nil, consensus.RuleErrorf(ErrBadPayload, "schema field %q has unknown type %d", f.Name, f.Type)
		}
		if seen[f.Name] {
			return nil, consensus.RuleErrorf(ErrBadPayload, "schema field %q appears twice", f.Name)
		}
		seen[f.Name] = true
	}
	if m.Version == 0 {
		return nil, consensus.RuleErrorf(ErrBadPayload, "model %q: versions start at 1", m.ModelID)
	}
	tm, err := CheckThingModel(m.ThingModel)
	if err != nil {
		return nil, err
	}
	if err := CheckPersonalText("model title", m.Title, EndpointPolicy{}); err != nil {
		return nil, err
	}
	if err := checkPersonalDoc(tm, "", EndpointPolicy{}, false); err != nil {
		return nil, err
	}
	return m, nil
}

// AppendSchema writes a metadata schema's canonical encoding (field
// count u8, then per field: name str, type u8, required bool), as
// publish-model payloads and stored model records carry it.
func AppendSchema(w *payload.Writer, schema []Field) {
	w.U8(uint8(len(schema)))
	for _, f := range schema {
		w.Str(f.Name)
		w.U8(uint8(f.Type))
		w.Bool(f.Required)
	}
}

// ReadSchema reads a schema written by AppendSchema, failing r when it
// has more than maxFields fields or a name longer than maxName bytes. It
// returns nil for a schema of no fields.
func ReadSchema(r *payload.Reader, maxFields, maxName int) []Field {
	n := int(r.U8("field count"))
	if r.Err() == nil && n > maxFields {
		r.Fail("%d schema fields exceeds limit %d", n, maxFields)
	}
	var schema []Field
	for i := 0; i < n && r.Err() == nil; i++ {
		schema = append(schema, Field{Name: r.Str("field name", maxName), Type: FieldType(r.U8("field type")), Required: r.Bool("field required")})
	}
	return schema
}

// ---- devices ----

// AttestDevice is the payload of TxAttestDevice.
type AttestDevice struct {
	DeviceKey keys.PubKey
	ModelID   string
}

// Encode returns the canonical payload bytes.
func (a *AttestDevice) Encode() []byte {
	var w payload.Writer
	w.Raw(a.DeviceKey[:])
	w.Str(a.ModelID)
	return w.Bytes()
}

// DecodeAttestDevice parses a TxAttestDevice payload.
func DecodeAttestDevice(b []byte) (*AttestDevice, error) {
	r := newReader(b, "attest payload")
	a := &AttestDevice{DeviceKey: r.PubKey("device key"), ModelID: r.Str("model ID", MaxIDBytes)}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(a.ModelID) {
		return nil, consensus.RuleErrorf(ErrBadPayload, "model ID %q must match %s", a.ModelID, idPattern)
	}
	return a, nil
}

// Terms are the auction terms an owner sets for a device.
type Terms struct {
	ReservePerPoint     uint64 `json:"reserve_per_point"`     // auction-chain base units per data point
	PointsPerPeriod     uint64 `json:"points_per_period"`     // data points sold per access period
	AccessPeriodSeconds uint64 `json:"access_period_seconds"` // length of one access period
}

// AppendTo writes the terms' canonical encoding (three u64, in field
// order), as payloads and stored device records carry them.
func (t Terms) AppendTo(w *payload.Writer) {
	w.U64(t.ReservePerPoint)
	w.U64(t.PointsPerPeriod)
	w.U64(t.AccessPeriodSeconds)
}

// ReadTerms reads terms written by AppendTo.
func ReadTerms(r *payload.Reader) Terms {
	return Terms{ReservePerPoint: r.U64("reserve per point"), PointsPerPeriod: r.U64("points per period"), AccessPeriodSeconds: r.U64("access period")}
}

// Check rejects terms no auction could run on.
func (t Terms) Check() error {
	if t.PointsPerPeriod == 0 || t.AccessPeriodSeconds == 0 {
		return consensus.RuleErrorf(ErrBadTerms, "points per period (%d) and access period (%d s) must both be positive", t.PointsPerPeriod, t.AccessPeriodSeconds)
	}
	return nil
}

// CheckIn is the payload of TxCheckIn: the device (the transaction's
// sender) enables itself with its owner's signature.
type CheckIn struct {
	Owner            keys.PubKey
	Region           string // coarse: "EU-DE", "US-CA", "JP"
	Terms            Terms
	ThingDescription []byte // W3C WoT TD 1.1 (or 1.0) JSON document
	Metadata         []byte // JSON object matching the model's schema
	OwnerSig         keys.Signature
}

// EnableHash is what the owner signs to enable device on chain chainID;
// deviceNonce is the check-in transaction's nonce, which binds the
// signature to exactly one check-in.
func (c *CheckIn) EnableHash(chainID uint32, device keys.PubKey, deviceNonce uint64) wire.Hash {
	td := sha256.Sum256(c.ThingDescription)
	md := sha256.Sum256(c.Metadata)
	w := payload.NewWriter(200)
	w.Raw([]byte(enableDomain))
	w.U32(chainID)
	w.Raw(device[:])
	w.Raw(c.Owner[:])
	w.Raw(td[:])
	w.Raw(md[:])
	w.Str(c.Region)
	c.Terms.AppendTo(w)
	w.U64(deviceNonce)
	return wire.DoubleSHA256(w.Bytes())
}

// Encode returns the canonical payload bytes.
func (c *CheckIn) Encode() []byte {
	w := payload.NewWriter(200 + len(c.ThingDescription) + len(c.Metadata))
	w.Raw(c.Owner[:])
	w.Str(c.Region)
	c.Terms.AppendTo(w)
	w.Blob(c.ThingDescription)
	w.Blob(c.Metadata)
	w.Raw(c.OwnerSig[:])
	return w.Bytes()
}

// DecodeCheckIn parses a TxCheckIn payload and checks its formats (region,
// terms). The TD, metadata and owner signature are checked by the caller,
// which knows the transaction.
func DecodeCheckIn(b []byte) (*CheckIn, error) { return decodeCheckIn(b, true) }

// decodeCheckIn is DecodeCheckIn, checking the owner key on the curve
// only when checkOwner (CheckCheckIn leaves that to the signature check).
func decodeCheckIn(b []byte, checkOwner bool) (*CheckIn, error) {
	r := newReader(b, "check-in payload")
	c := &CheckIn{}
	if checkOwner {
		c.Owner = r.PubKey("owner")
	} else {
		r.Fixed(c.Owner[:], "owner")
	}
	c.Region = r.Str("region", MaxRegionBytes)
	c.Terms = ReadTerms(r)
	c.ThingDescription = r.Blob("thing description", MaxDocBlobBytes)
	c.Metadata = r.Blob("metadata", MaxMetadataBytes)
	c.OwnerSig = r.Sig("owner signature")
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if !regionPattern.MatchString(c.Region) {
		return nil, consensus.RuleErrorf(ErrBadRegion, "region %q must be a country code with at most a 1–3 character subdivision (%s)", c.Region, regionPattern)
	}
	if err := c.Terms.Check(); err != nil {
		return nil, err
	}
	return c, nil
}

// DeviceRef is the payload of TxDisable: the device concerned.
type DeviceRef struct {
	DeviceKey keys.PubKey
}

// Encode returns the canonical payload bytes.
func (d *DeviceRef) Encode() []byte { return append([]byte(nil), d.DeviceKey[:]...) }

// DecodeDeviceRef parses a TxDisable payload.
func DecodeDeviceRef(b []byte) (*DeviceRef, error) {
	r := newReader(b, "disable payload")
	d := &DeviceRef{DeviceKey: r.PubKey("device key")}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return d, nil
}

// SetTerms is the payload of TxSetTerms.
type SetTerms struct {
	DeviceKey keys.PubKey
	Terms     Terms
}

// Encode returns the canonical payload bytes.
func (s *SetTerms) Encode() []byte {
	var w payload.Writer
	w.Raw(s.DeviceKey[:])
	s.Terms.AppendTo(&w)
	return w.Bytes()
}

// DecodeSetTerms parses a TxSetTerms payload.
func DecodeSetTerms(b []byte) (*SetTerms, error) {
	r := newReader(b, "set-terms payload")
	s := &SetTerms{DeviceKey: r.PubKey("device key")}
	s.Terms = ReadTerms(r)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if err := s.Terms.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

// newReader reads a payload for the decoders above. Its errors are
// ErrBadPayload rule errors "<what>: <field>: <reason>", e.g.
// "check-in payload: region: truncated".
func newReader(b []byte, what string) *payload.Reader {
	return payload.NewReader(b, what, func(what, reason string) error {
		return consensus.RuleErrorf(ErrBadPayload, "%s: %s", what, reason)
	})
}
