package registrytx

import (
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// CheckedCheckIn is a check-in transaction that passed every context-free
// check but its owner signature and the owner key's curve check
// (CheckCheckIn), with what the rest of its
// validation needs worked out once: the decoded payload, the owner
// signature's hash, the parsed Thing Description and metadata and their
// compacted forms. Block import decodes each check-in once into this form
// and shares it between listing its signature, the sanity stage and state
// application, which then only compares the parsed documents with the
// model (Instantiates, MatchesSchema).
//
// A CheckedCheckIn is read-only once made, so goroutines may share it.
type CheckedCheckIn struct {
	*CheckIn
	Device     keys.PubKey  // the transaction's sender
	OwnerAddr  keys.Address // the owner key's address
	EnableHash wire.Hash    // what the owner signed (CheckIn.EnableHash)
	// TDCompact and MetadataCompact are the documents as device records
	// store them (CompactJSON).
	TDCompact, MetadataCompact []byte

	td, metadata *object
	shape        tdShape
	// schemaErr is the personal-data rule on the metadata under the
	// policy CheckMetadata applies (schemaPolicy), when the chain's own
	// policy differs from it.
	schemaErr error
}

// CheckCheckIn decodes a TxCheckIn transaction's payload and runs the
// checks that need nothing but the transaction, in this order: payload
// formats (DecodeCheckIn), owner key not the device key, the Thing
// Description (CheckThingDescription), the metadata object
// (CheckMetadataObject), each under the chain's endpoint policy
// (PolicyForChain). It returns the same error as those functions called
// in that order.
//
// The owner signature is left to the caller, which verifies EnableHash
// in a batch or through a cache, and with it the owner key: verifying
// parses the key, so CheckCheckIn does not take a square root on the
// curve for it too. When the signature does not verify, OwnerKeyError
// says whether the key was the reason.
func CheckCheckIn(tx *wire.Tx) (*CheckedCheckIn, error) {
	c, err := decodeCheckIn(tx.Payload, false)
	if err != nil {
		_, err = DecodeCheckIn(tx.Payload) // the first error, owner key included
		return nil, err
	}
	// Any later error is reported after an invalid owner key's, which
	// DecodeCheckIn would have found first.
	fail := func(err error) (*CheckedCheckIn, error) {
		if kerr := ownerKeyError(c.Owner); kerr != nil {
			return nil, kerr
		}
		return nil, err
	}
	device := keys.PubKey(tx.Sender)
	if c.Owner == device {
		return fail(consensus.RuleErrorf(ErrBadPayload, "owner key equals the device key: a device cannot enable itself"))
	}
	policy := PolicyForChain(tx.ChainID)
	tdCompact, tdLen := compactJSON(c.ThingDescription)
	_, td, err := checkThingDescription(c.ThingDescription, tdLen, device, policy)
	if err != nil {
		return fail(err)
	}
	md, err := CheckMetadataObject(c.Metadata, policy)
	if err != nil {
		return fail(err)
	}
	out := &CheckedCheckIn{
		CheckIn: c, Device: device, OwnerAddr: c.Owner.Address(),
		EnableHash: c.EnableHash(tx.ChainID, device, tx.Nonce),
		TDCompact:  tdCompact, MetadataCompact: CompactJSON(c.Metadata),
		td: td, metadata: md, shape: tdFacts(td),
	}
	if policy != schemaPolicy {
		out.schemaErr = checkPersonalMetadata(md, "", schemaPolicy)
	}
	return out, nil
}

// OwnerKeyError is DecodeCheckIn's error for this check-in when its owner
// key is not a point on the curve, else nil. Callers ask it when the
// owner signature does not verify, to report the key as DecodeCheckIn
// would have.
func (c *CheckedCheckIn) OwnerKeyError() error { return ownerKeyError(c.Owner) }

// ownerKeyError is DecodeCheckIn's error for a payload with this owner
// key when the key is invalid: the owner is the payload's first field, so
// decoding the key alone gives that error, word for word.
func ownerKeyError(owner keys.PubKey) error {
	if _, err := keys.ParsePubKey(owner[:]); err == nil {
		return nil
	}
	_, err := DecodeCheckIn(owner[:])
	return err
}

// ThingModel is a Thing Model parsed once (ParseThingModel), for
// comparing many Thing Descriptions with it. Read-only once made.
type ThingModel struct {
	tm       *object
	optional map[string]bool
}

// ParseThingModel runs CheckThingModel and keeps the parsed model.
func ParseThingModel(b []byte) (*ThingModel, error) {
	tm, err := CheckThingModel(b)
	if err != nil {
		return nil, err
	}
	optional, err := optionalSet(tm) // cannot fail: CheckThingModel ran it
	if err != nil {
		return nil, err
	}
	return &ThingModel{tm: tm, optional: optional}, nil
}

// Instantiates is CheckInstance(c.ThingDescription, the model's text) on
// the parsed documents: the same rules, the same errors.
func (c *CheckedCheckIn) Instantiates(tm *ThingModel) error {
	return instanceOf(c.td, c.shape, tm.tm, tm.optional, nil)
}

// MatchesSchema is CheckMetadata(c.Metadata, schema) on the parsed
// metadata: the same rules, the same errors.
func (c *CheckedCheckIn) MatchesSchema(schema []Field) error {
	if c.schemaErr != nil {
		return c.schemaErr
	}
	return metadataMatches(c.metadata, schema)
}
