// Package registry is the state machine of the metadata chain: the open
// ledger of authorities, OEMs, device models and devices that may be
// auctioned (design §1–2). No coin lives here.
//
// This first version records only which reward address mined each block
// (the metadata chain's "coinbase"), which the auction chain will use to
// pay metadata miners from auction fees. Governance, OEM attestation and
// device check-in transactions arrive with the metadata-chain issue.
//
// registry must not import the auction, ledger, mempool, network or API
// packages; it plugs into chain through chain.StateMachine.
package registry
