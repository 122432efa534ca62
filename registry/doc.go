// Package registry is the state machine of the metadata chain: the open
// ledger of authorities, OEMs, device models and devices that may be
// auctioned (design §1–2). No coin lives here: every transaction has a
// zero fee, and spam is bounded by OEM attestation plus the owner's
// signature.
//
// What it owns:
//   - governance (M-of-N approvals by the authority set in
//     consensus.Params.Authorities): admitting and revoking OEMs and miners;
//     MinerAdmitted feeds the permissioned-mining rule;
//   - device models: versioned W3C WoT Thing Models with a metadata schema
//     (PublishModel, tm.go), device attestation by the model's OEM, and
//     the device check-in that the owner signs, carrying a W3C WoT Thing
//     Description that must instantiate the model's Thing Model
//     (CheckInstance) and metadata;
//   - the personal-data rule (personal.go): values that identify a person
//     or a home, never names, and the endpoints each network allows;
//   - device records (GetDevice, IsAuctionable for the auction chain's
//     anchor rule, ScanDevices) and an in-memory query Index fed from
//     chain events;
//   - the blocks-mined counter per reward address (MinedKey), which the
//     auction chain uses to pay metadata miners.
//
// Validation is staged as the engine expects: CheckTxSanity needs only the
// transaction (payload canonical form, formats, Thing Description and
// Thing Model, personal-data rule, owner signature); ApplyTx needs state
// (nonce, membership, models, records, TD against the model's Thing Model,
// metadata schema) and the network's authority set from the BlockContext.
// A check-in's context-free work (decoding, the parsed Thing Description
// and metadata, the owner's signed hash) is done once per block, on all
// cores, while its owner signature is listed for the block's batch
// (SignatureLister); sanity and ApplyTx find it in a memo
// (checkmemo.go), so application in block order only compares the
// parsed documents with the model in state. State records use the
// binary layouts of records.go. docs/device-api.md
// is the wire specification.
//
// Payloads, builders of signed transactions, the well-known test keys,
// the TD/TM and personal-data checks and the rule error kinds live in the
// engine-free subpackage registrytx, which the simulator and other
// clients import; registrytx_aliases.go re-exports them here under the
// same names.
//
// registry must not import the auction, ledger, mempool, network or API
// packages; it plugs into chain through chain.StateMachine.
package registry
