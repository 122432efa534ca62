// Package api is the node's JSON-RPC 2.0 interface: the methods that the
// wallet, device agents and the web marketplace call, over HTTP and
// WebSocket, and the subscriptions to new heads and pending transactions.
// docs/api.md documents every method.
//
// api translates between JSON and the node's packages; it must not
// implement rules. It reads chains and pools through the Backend it is
// given and never touches storage directly. The transport (framing, auth,
// limits) lives in api/rpc.
package api
