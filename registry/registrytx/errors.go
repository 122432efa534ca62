package registrytx

import (
	"slices"

	"github.com/thingchain/thingchain/consensus"
)

// Rule error kinds of the metadata chain. A wrong sender nonce is
// consensus.ErrBadNonce. Every rejection a client can cause names one of
// these, so callers and tests write errors.Is(err, registry.ErrNotOEM).
const (
	// Context-free (sanity) checks: the transaction alone.
	ErrUnknownTxType       = consensus.ErrorKind("ErrUnknownTxType")       // no such transaction type on the metadata chain
	ErrBadPayload          = consensus.ErrorKind("ErrBadPayload")          // payload does not decode canonically or breaks a format rule
	ErrFeeNotAllowed       = consensus.ErrorKind("ErrFeeNotAllowed")       // metadata transactions carry no fee (no coin on this chain)
	ErrBadRegion           = consensus.ErrorKind("ErrBadRegion")           // region is not a coarse code like "EU-DE" or "US-CA"
	ErrBadTerms            = consensus.ErrorKind("ErrBadTerms")            // zero points per period or zero access period
	ErrBadOwnerSig         = consensus.ErrorKind("ErrBadOwnerSig")         // check-in not signed by the owner key it names
	ErrBadThingDescription = consensus.ErrorKind("ErrBadThingDescription") // Thing Description lacks a required TD 1.1 member or is not JSON
	ErrTDTooLarge          = consensus.ErrorKind("ErrTDTooLarge")          // Thing Description over MaxTDBytes once compacted
	ErrBadDeviceID         = consensus.ErrorKind("ErrBadDeviceID")         // TD "id" is missing or not the device's URN
	ErrBadThingModel       = consensus.ErrorKind("ErrBadThingModel")       // a model's Thing Model is not a self-contained TD 1.1 Thing Model

	// Personal data (values, never names; see personal.go).
	ErrPersonalEmail       = consensus.ErrorKind("ErrPersonalEmail")       // an e-mail address in a text member, endpoint or metadata value
	ErrPersonalPhone       = consensus.ErrorKind("ErrPersonalPhone")       // a phone number
	ErrPersonalMAC         = consensus.ErrorKind("ErrPersonalMAC")         // a MAC address
	ErrPersonalIP          = consensus.ErrorKind("ErrPersonalIP")          // a private or public IP literal (a home's address)
	ErrPersonalAddress     = consensus.ErrorKind("ErrPersonalAddress")     // a street address
	ErrPersonalCoordinates = consensus.ErrorKind("ErrPersonalCoordinates") // coordinates finer than about 1 km
	ErrPersonalName        = consensus.ErrorKind("ErrPersonalName")        // a possessive naming a person in the TD's title ("Alice's TV")
	ErrEndpointNotAllowed  = consensus.ErrorKind("ErrEndpointNotAllowed")  // base/href not an allowed endpoint on this network (scheme, localhost on main)

	// Governance.
	ErrBelowThreshold  = consensus.ErrorKind("ErrBelowThreshold")  // fewer approvals than the authority threshold
	ErrBadApproval     = consensus.ErrorKind("ErrBadApproval")     // an approval signature does not verify, or approvals repeat or are unordered
	ErrNotAuthority    = consensus.ErrorKind("ErrNotAuthority")    // approval names an index outside the authority set
	ErrProposalReused  = consensus.ErrorKind("ErrProposalReused")  // proposal nonce already executed
	ErrAlreadyAdmitted = consensus.ErrorKind("ErrAlreadyAdmitted") // admitting an OEM or miner that is admitted and not revoked
	ErrNotMiner        = consensus.ErrorKind("ErrNotMiner")        // revoking a miner that is not admitted

	// OEMs, models and devices.
	ErrNotOEM         = consensus.ErrorKind("ErrNotOEM")         // sender (or revocation subject) was never admitted as an OEM
	ErrOEMRevoked     = consensus.ErrorKind("ErrOEMRevoked")     // the OEM concerned has been revoked
	ErrModelExists    = consensus.ErrorKind("ErrModelExists")    // this version of the model ID (or a later one) is already published
	ErrUnknownModel   = consensus.ErrorKind("ErrUnknownModel")   // model ID not published
	ErrModelNotOwned  = consensus.ErrorKind("ErrModelNotOwned")  // model published by another OEM
	ErrDeviceExists   = consensus.ErrorKind("ErrDeviceExists")   // device key already attested
	ErrNotAttested    = consensus.ErrorKind("ErrNotAttested")    // device key unknown: no OEM attested it
	ErrMetadataSchema = consensus.ErrorKind("ErrMetadataSchema") // metadata misses a required field, has a wrong type or an unknown field

	// A check-in's Thing Description against its model's Thing Model (tm.go).
	ErrTDIsThingModel      = consensus.ErrorKind("ErrTDIsThingModel")      // the check-in carries a Thing Model, not a Thing Description
	ErrTDPlaceholder       = consensus.ErrorKind("ErrTDPlaceholder")       // a {{...}} placeholder of the model is left unfilled
	ErrTDMissingAffordance = consensus.ErrorKind("ErrTDMissingAffordance") // a non-optional affordance of the model is missing
	ErrTDSchemaMismatch    = consensus.ErrorKind("ErrTDSchemaMismatch")    // an affordance's data schema is incompatible with the model's
	ErrNotOwner            = consensus.ErrorKind("ErrNotOwner")            // sender is not the device's owner (or the device has none)
	ErrNotEnabled          = consensus.ErrorKind("ErrNotEnabled")          // disabling a device that is not enabled
)

// allErrorKinds lists every kind above, for the table test and docs.
var allErrorKinds = []consensus.ErrorKind{
	ErrUnknownTxType, ErrBadPayload, ErrFeeNotAllowed, ErrBadRegion, ErrBadTerms,
	ErrBadOwnerSig, ErrBadThingDescription, ErrTDTooLarge, ErrBadDeviceID, ErrBadThingModel,
	ErrPersonalEmail, ErrPersonalPhone, ErrPersonalMAC, ErrPersonalIP, ErrPersonalAddress, ErrPersonalCoordinates,
	ErrPersonalName, ErrEndpointNotAllowed,
	ErrBelowThreshold, ErrBadApproval, ErrNotAuthority, ErrProposalReused, ErrAlreadyAdmitted, ErrNotMiner,
	ErrNotOEM, ErrOEMRevoked, ErrModelExists, ErrUnknownModel, ErrModelNotOwned,
	ErrDeviceExists, ErrNotAttested, ErrMetadataSchema, ErrNotOwner, ErrNotEnabled,
	ErrTDIsThingModel, ErrTDPlaceholder, ErrTDMissingAffordance, ErrTDSchemaMismatch,
}

// ErrorKinds returns every kind this package declares (a fresh slice), for
// table tests and documentation.
func ErrorKinds() []consensus.ErrorKind { return slices.Clone(allErrorKinds) }
