package registrytx

import (
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// CheckedCheckIn is a check-in transaction that passed every context-free
// check but its owner signature (CheckCheckIn), with what the rest of its
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
// (PolicyForChain). The owner signature is left to the caller, which
// verifies EnableHash in a batch or through a cache.
func CheckCheckIn(tx *wire.Tx) (*CheckedCheckIn, error) {
	c, err := DecodeCheckIn(tx.Payload)
	if err != nil {
		return nil, err
	}
	device := keys.PubKey(tx.Sender)
	if c.Owner == device {
		return nil, consensus.RuleErrorf(ErrBadPayload, "owner key equals the device key: a device cannot enable itself")
	}
	policy := PolicyForChain(tx.ChainID)
	tdCompact, tdLen := compactJSON(c.ThingDescription)
	_, td, err := checkThingDescription(c.ThingDescription, tdLen, device, policy)
	if err != nil {
		return nil, err
	}
	md, err := CheckMetadataObject(c.Metadata, policy)
	if err != nil {
		return nil, err
	}
	out := &CheckedCheckIn{
		CheckIn: c, Device: device, OwnerAddr: c.Owner.Address(),
		EnableHash: c.EnableHash(tx.ChainID, device, tx.Nonce),
		TDCompact:  tdCompact, MetadataCompact: CompactJSON(c.Metadata),
		td: td, metadata: md,
	}
	if policy != schemaPolicy {
		out.schemaErr = checkPersonalMetadata(md, "", schemaPolicy)
	}
	return out, nil
}

// ThingModel is a Thing Model parsed once (ParseThingModel), for
// comparing many Thing Descriptions with it. Read-only once made.
type ThingModel struct {
	tm *object
}

// ParseThingModel runs CheckThingModel and keeps the parsed model.
func ParseThingModel(b []byte) (*ThingModel, error) {
	tm, err := CheckThingModel(b)
	if err != nil {
		return nil, err
	}
	return &ThingModel{tm: tm}, nil
}

// Instantiates is CheckInstance(c.ThingDescription, the model's text) on
// the parsed documents: the same rules, the same errors.
func (c *CheckedCheckIn) Instantiates(tm *ThingModel) error {
	return checkInstance(c.td, tm.tm)
}

// MatchesSchema is CheckMetadata(c.Metadata, schema) on the parsed
// metadata: the same rules, the same errors.
func (c *CheckedCheckIn) MatchesSchema(schema []Field) error {
	if c.schemaErr != nil {
		return c.schemaErr
	}
	return metadataMatches(c.metadata, schema)
}
