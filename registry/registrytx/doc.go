// Package registrytx owns the client side of the metadata chain: its
// transaction types and payloads with their one canonical binary encoding
// (Governance and Proposal, PublishModel and Field, Attest, CheckIn,
// Disable, SetTerms, Terms; encoders and exact-consumption decoders), the
// builders of signed transactions (NewGovernanceTx,
// NewApprovedGovernanceTx, Approve, NewPublishModelTx, NewAttestTx,
// CheckInRequest, SignEnable, NewCheckInTx, NewSignedCheckInTx,
// NewDisableTx, NewSetTermsTx), the well-known test keys
// (DevAuthorityKeys, DevOEMKey), and the context-free document rules a
// device or OEM checks before submitting: W3C WoT Thing Descriptions and
// Thing Models (CheckThingDescription, CheckThingModel, CheckInstance),
// metadata against a model's schema (CheckMetadata), the personal-data
// rule and endpoint policy (personal.go), strict JSON (jsonstrict.go);
// and the metadata chain's rule error kinds, which clients match by name
// in error.data.kind.
//
// It must not import the chain engine (thingchain/chain), Badger, the
// mempool, p2p, the API server or the node, nor the engine packages
// registry, auction and ledger; it must not read or write state. Allowed:
// chain/keys, chain/wire, chain/wire/payload and consensus.
// api/client's TestClientDependencies holds that.
//
// The state machine (governance state, models, device records and their
// stored layouts in records.go, the device index) stays in package
// registry, which re-exports every name here (registrytx_aliases.go), so
// engine code and existing callers keep registry.Terms,
// registry.NewAttestTx and friends.
package registrytx
