// Package api is the node's JSON-RPC 2.0 interface: the methods that the
// wallet, device agents and the web marketplace call, over HTTP and
// WebSocket, and the subscriptions to new heads and pending transactions.
// docs/api.md documents every method.
//
// api translates between the node's records and the API's one encoding
// (api/apitypes: hex, bech32m, base units); it must not implement rules.
// It reads chains and pools through the Backend it is given and never
// touches storage directly. The transport (framing, auth, limits) lives in
// api/rpc; the request and result types in api/apitypes and the typed
// client in api/client, which clients import instead of this package.
package api
