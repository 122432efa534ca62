// Package client is the typed client of the node's JSON-RPC API: one
// method per documented method (docs/api.md), taking and returning the
// types of api/apitypes, over any Caller (an *rpc.Client from api/rpc, or
// a test double). Kind reads the rule kind a refusal carries in
// error.data.kind, so callers never match message text.
//
// It must not import the server (package api), the chain engine, the
// mempool, a state machine or storage: wallets, device agents and the CLI
// link it, and TestClientDependencies holds it (and them) to that.
package client
