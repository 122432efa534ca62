// Package apitypes holds the request and result types of the node's
// JSON-RPC API (docs/api.md), shared by the server (package api) and its
// clients (package api/client, the wallet, the device simulator, the CLI).
//
// One encoding everywhere: hashes and public keys are lowercase hex,
// addresses bech32m with the network's prefix, amounts integers in base
// units, statuses their names; never arrays of byte numbers or base64.
//
// It must stay a leaf for clients: it may import only chain/wire (for
// wire.Hash, which marshals as hex), chain/keys (to open a delivered key)
// and the standard library, never the chain engine, a state machine, the
// mempool or storage. The dependency test in api/client holds it to that.
package apitypes
