package registry

// Aliases and thin wrappers of the engine-free registrytx package, which owns
// these declarations (see its doc.go), so engine code and existing
// callers keep their names: one name here for every exported declaration
// of registrytx (api/client TestEngineReexportsClientSide holds that).

import (
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/chain/wire/payload"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry/registrytx"
)

type (
	CheckInRequest = registrytx.CheckInRequest
	Action         = registrytx.Action
	Proposal       = registrytx.Proposal
	Approval       = registrytx.Approval
	Governance     = registrytx.Governance
	FieldType      = registrytx.FieldType
	Field          = registrytx.Field
	PublishModel   = registrytx.PublishModel
	AttestDevice   = registrytx.AttestDevice
	Terms          = registrytx.Terms
	CheckIn        = registrytx.CheckIn
	DeviceRef      = registrytx.DeviceRef
	SetTerms       = registrytx.SetTerms
	EndpointPolicy = registrytx.EndpointPolicy
	TDProperty     = registrytx.TDProperty
	CheckedCheckIn = registrytx.CheckedCheckIn
	ThingModel     = registrytx.ThingModel
)

const (
	ErrUnknownTxType       = registrytx.ErrUnknownTxType
	ErrBadPayload          = registrytx.ErrBadPayload
	ErrFeeNotAllowed       = registrytx.ErrFeeNotAllowed
	ErrBadRegion           = registrytx.ErrBadRegion
	ErrBadTerms            = registrytx.ErrBadTerms
	ErrBadOwnerSig         = registrytx.ErrBadOwnerSig
	ErrBadThingDescription = registrytx.ErrBadThingDescription
	ErrTDTooLarge          = registrytx.ErrTDTooLarge
	ErrBadDeviceID         = registrytx.ErrBadDeviceID
	ErrBadThingModel       = registrytx.ErrBadThingModel
	ErrPersonalEmail       = registrytx.ErrPersonalEmail
	ErrPersonalPhone       = registrytx.ErrPersonalPhone
	ErrPersonalMAC         = registrytx.ErrPersonalMAC
	ErrPersonalIP          = registrytx.ErrPersonalIP
	ErrPersonalAddress     = registrytx.ErrPersonalAddress
	ErrPersonalCoordinates = registrytx.ErrPersonalCoordinates
	ErrPersonalName        = registrytx.ErrPersonalName
	ErrEndpointNotAllowed  = registrytx.ErrEndpointNotAllowed
	ErrBelowThreshold      = registrytx.ErrBelowThreshold
	ErrBadApproval         = registrytx.ErrBadApproval
	ErrNotAuthority        = registrytx.ErrNotAuthority
	ErrProposalReused      = registrytx.ErrProposalReused
	ErrAlreadyAdmitted     = registrytx.ErrAlreadyAdmitted
	ErrNotMiner            = registrytx.ErrNotMiner
	ErrNotOEM              = registrytx.ErrNotOEM
	ErrOEMRevoked          = registrytx.ErrOEMRevoked
	ErrModelExists         = registrytx.ErrModelExists
	ErrUnknownModel        = registrytx.ErrUnknownModel
	ErrModelNotOwned       = registrytx.ErrModelNotOwned
	ErrDeviceExists        = registrytx.ErrDeviceExists
	ErrNotAttested         = registrytx.ErrNotAttested
	ErrMetadataSchema      = registrytx.ErrMetadataSchema
	ErrTDIsThingModel      = registrytx.ErrTDIsThingModel
	ErrTDPlaceholder       = registrytx.ErrTDPlaceholder
	ErrTDMissingAffordance = registrytx.ErrTDMissingAffordance
	ErrTDSchemaMismatch    = registrytx.ErrTDSchemaMismatch
	ErrNotOwner            = registrytx.ErrNotOwner
	ErrNotEnabled          = registrytx.ErrNotEnabled
	TxGovernance           = registrytx.TxGovernance
	TxPublishModel         = registrytx.TxPublishModel
	TxAttestDevice         = registrytx.TxAttestDevice
	TxCheckIn              = registrytx.TxCheckIn
	TxDisable              = registrytx.TxDisable
	TxSetTerms             = registrytx.TxSetTerms
	MaxNameBytes           = registrytx.MaxNameBytes
	MaxIDBytes             = registrytx.MaxIDBytes
	MaxTitleBytes          = registrytx.MaxTitleBytes
	MaxSchemaFields        = registrytx.MaxSchemaFields
	MaxApprovals           = registrytx.MaxApprovals
	MaxTDBytes             = registrytx.MaxTDBytes
	MaxMetadataBytes       = registrytx.MaxMetadataBytes
	MaxRegionBytes         = registrytx.MaxRegionBytes
	MaxJSONDepth           = registrytx.MaxJSONDepth
	MaxDocBlobBytes        = registrytx.MaxDocBlobBytes
	AdmitOEM               = registrytx.AdmitOEM
	RevokeOEM              = registrytx.RevokeOEM
	AdmitMiner             = registrytx.AdmitMiner
	RevokeMiner            = registrytx.RevokeMiner
	TypeString             = registrytx.TypeString
	TypeNumber             = registrytx.TypeNumber
	TypeInteger            = registrytx.TypeInteger
	TypeBoolean            = registrytx.TypeBoolean
	TDContext11            = registrytx.TDContext11
	TDContext10            = registrytx.TDContext10
	ThingModelType         = registrytx.ThingModelType
	MaxTMBytes             = registrytx.MaxTMBytes
)

// These functions' signatures name a type registrytx does not export, so they
// are re-exported as function values rather than wrappers.
var (
	CheckMetadataObject = registrytx.CheckMetadataObject
	CheckThingModel     = registrytx.CheckThingModel
)

// Approve is registrytx.Approve.
func Approve(chainID uint32, p Proposal, idx uint8, authority *keys.PrivateKey) Approval {
	return registrytx.Approve(chainID, p, idx, authority)
}

// NewGovernanceTx is registrytx.NewGovernanceTx.
func NewGovernanceTx(chainID uint32, submitter *keys.PrivateKey, nonce uint64, p Proposal, approvals []Approval) *wire.Tx {
	return registrytx.NewGovernanceTx(chainID, submitter, nonce, p, approvals)
}

// NewApprovedGovernanceTx is registrytx.NewApprovedGovernanceTx.
func NewApprovedGovernanceTx(chainID uint32, submitter *keys.PrivateKey, nonce uint64, p Proposal, authorities []*keys.PrivateKey, idx []uint8) *wire.Tx {
	return registrytx.NewApprovedGovernanceTx(chainID, submitter, nonce, p, authorities, idx)
}

// NewPublishModelTx is registrytx.NewPublishModelTx.
func NewPublishModelTx(chainID uint32, oem *keys.PrivateKey, nonce uint64, m PublishModel) *wire.Tx {
	return registrytx.NewPublishModelTx(chainID, oem, nonce, m)
}

// NewAttestTx is registrytx.NewAttestTx.
func NewAttestTx(chainID uint32, oem *keys.PrivateKey, nonce uint64, device keys.PubKey, modelID string) *wire.Tx {
	return registrytx.NewAttestTx(chainID, oem, nonce, device, modelID)
}

// SignEnable is registrytx.SignEnable.
func SignEnable(chainID uint32, owner *keys.PrivateKey, device keys.PubKey, deviceNonce uint64, req CheckInRequest) keys.Signature {
	return registrytx.SignEnable(chainID, owner, device, deviceNonce, req)
}

// NewCheckInTx is registrytx.NewCheckInTx.
func NewCheckInTx(chainID uint32, device *keys.PrivateKey, nonce uint64, owner keys.PubKey, ownerSig keys.Signature, req CheckInRequest) *wire.Tx {
	return registrytx.NewCheckInTx(chainID, device, nonce, owner, ownerSig, req)
}

// NewSignedCheckInTx is registrytx.NewSignedCheckInTx.
func NewSignedCheckInTx(chainID uint32, device *keys.PrivateKey, nonce uint64, owner *keys.PrivateKey, req CheckInRequest) *wire.Tx {
	return registrytx.NewSignedCheckInTx(chainID, device, nonce, owner, req)
}

// NewDisableTx is registrytx.NewDisableTx.
func NewDisableTx(chainID uint32, owner *keys.PrivateKey, nonce uint64, device keys.PubKey) *wire.Tx {
	return registrytx.NewDisableTx(chainID, owner, nonce, device)
}

// NewSetTermsTx is registrytx.NewSetTermsTx.
func NewSetTermsTx(chainID uint32, owner *keys.PrivateKey, nonce uint64, device keys.PubKey, terms Terms) *wire.Tx {
	return registrytx.NewSetTermsTx(chainID, owner, nonce, device, terms)
}

// DevAuthorityKeys is registrytx.DevAuthorityKeys.
func DevAuthorityKeys(net *consensus.Params) (privs []*keys.PrivateKey, ok bool) {
	return registrytx.DevAuthorityKeys(net)
}

// DevOEMKey is registrytx.DevOEMKey.
func DevOEMKey(net *consensus.Params, kind string) (*keys.PrivateKey, bool) {
	return registrytx.DevOEMKey(net, kind)
}

// ErrorKinds is registrytx.ErrorKinds.
func ErrorKinds() []consensus.ErrorKind { return registrytx.ErrorKinds() }

// CompactJSON is registrytx.CompactJSON.
func CompactJSON(b []byte) []byte { return registrytx.CompactJSON(b) }

// ParseAction is registrytx.ParseAction.
func ParseAction(s string) (Action, error) { return registrytx.ParseAction(s) }

// DecodeGovernance is registrytx.DecodeGovernance.
func DecodeGovernance(b []byte) (*Governance, error) { return registrytx.DecodeGovernance(b) }

// ParseFieldType is registrytx.ParseFieldType.
func ParseFieldType(s string) (FieldType, error) { return registrytx.ParseFieldType(s) }

// DecodePublishModel is registrytx.DecodePublishModel.
func DecodePublishModel(b []byte) (*PublishModel, error) { return registrytx.DecodePublishModel(b) }

// DecodeAttestDevice is registrytx.DecodeAttestDevice.
func DecodeAttestDevice(b []byte) (*AttestDevice, error) { return registrytx.DecodeAttestDevice(b) }

// ReadTerms is registrytx.ReadTerms.
func ReadTerms(r *payload.Reader) Terms { return registrytx.ReadTerms(r) }

// AppendSchema is registrytx.AppendSchema.
func AppendSchema(w *payload.Writer, schema []Field) { registrytx.AppendSchema(w, schema) }

// ReadSchema is registrytx.ReadSchema.
func ReadSchema(r *payload.Reader, maxFields, maxName int) []Field {
	return registrytx.ReadSchema(r, maxFields, maxName)
}

// CheckCheckIn is registrytx.CheckCheckIn.
func CheckCheckIn(tx *wire.Tx) (*CheckedCheckIn, error) { return registrytx.CheckCheckIn(tx) }

// ParseThingModel is registrytx.ParseThingModel.
func ParseThingModel(b []byte) (*ThingModel, error) { return registrytx.ParseThingModel(b) }

// DecodeCheckIn is registrytx.DecodeCheckIn.
func DecodeCheckIn(b []byte) (*CheckIn, error) { return registrytx.DecodeCheckIn(b) }

// DecodeDeviceRef is registrytx.DecodeDeviceRef.
func DecodeDeviceRef(b []byte) (*DeviceRef, error) { return registrytx.DecodeDeviceRef(b) }

// DecodeSetTerms is registrytx.DecodeSetTerms.
func DecodeSetTerms(b []byte) (*SetTerms, error) { return registrytx.DecodeSetTerms(b) }

// DeviceURN is registrytx.DeviceURN.
func DeviceURN(device keys.PubKey) string { return registrytx.DeviceURN(device) }

// PolicyForChain is registrytx.PolicyForChain.
func PolicyForChain(chainID uint32) EndpointPolicy { return registrytx.PolicyForChain(chainID) }

// CheckPersonalText is registrytx.CheckPersonalText.
func CheckPersonalText(where string, s string, policy EndpointPolicy) error {
	return registrytx.CheckPersonalText(where, s, policy)
}

// CheckThingDescription is registrytx.CheckThingDescription.
func CheckThingDescription(b []byte, device keys.PubKey, policy EndpointPolicy) ([]TDProperty, error) {
	return registrytx.CheckThingDescription(b, device, policy)
}

// CheckMetadata is registrytx.CheckMetadata.
func CheckMetadata(b []byte, schema []Field) error { return registrytx.CheckMetadata(b, schema) }

// CheckInstance is registrytx.CheckInstance.
func CheckInstance(tdBytes []byte, tmBytes []byte) error {
	return registrytx.CheckInstance(tdBytes, tmBytes)
}

// EmptyThingModel is registrytx.EmptyThingModel.
func EmptyThingModel(title string) []byte { return registrytx.EmptyThingModel(title) }
