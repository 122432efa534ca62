// Package rpc is thingchain's JSON-RPC 2.0 transport: an HTTP and WebSocket
// server, a matching client, and an in-process fan-out Feed used to publish
// events (new heads, pending transactions) to WebSocket subscribers.
//
// What this package owns:
//   - the JSON-RPC 2.0 wire format (single requests, batches, notifications,
//     error objects) and the mapping of failures to error codes and HTTP status;
//   - request hygiene: the Host allow-list (DNS rebinding) and Origin check
//     on every path, read and write deadlines, body size and batch limits
//     (batches counted while scanned), a connection cap, per-connection and
//     per-IP token-bucket rate limits with cookie holders exempt, and cookie
//     authentication for methods marked Admin;
//   - exact JSON-RPC member names, and error.data.kind for typed rule
//     errors (KindError), which both server and clients read from here;
//   - WebSocket connection lifecycle, Ethereum-style subscriptions and the
//     bounded per-connection send queue that disconnects slow consumers,
//     per-connection and node-wide subscription caps, and the release of
//     every subscription's resources on every path (unsubscribe, subscriber
//     end, disconnect, a reply that could not be sent);
//   - the cookie file (created on ListenAndServe, removed on Close).
//
// What it must not touch: it is a transport only. It must not import any
// chain, consensus, ledger, wallet or p2p package; the node wires those in by
// registering Methods and Subscribers. Keeping the dependency arrow one-way
// lets this package be tested and fuzzed without a chain, and keeps consensus
// code free of network concerns.
//
// Wire summary. POST / takes a request or a batch and answers 200 with the
// response(s), or 204 with no body when every call was a notification; 413
// (-32006) for bodies over MaxRequestBytes, 429 (-32005) when the caller's
// connection or IP is out of tokens (each call in a batch costs one), 403
// (-32003) for a Host or browser Origin that is not allowed, 408 for a body
// not received within ReadTimeout, 503 (-32007) beyond MaxConns. GET / with Upgrade: websocket serves the same
// methods plus "subscribe" ["name", args...] → "0x…" id and "unsubscribe"
// [id] → bool; notifications look like
//
//	{"jsonrpc":"2.0","method":"subscription","params":{"subscription":id,"result":…}}
//
// and a subscription that ends on the server side gets a last notice with
// "error" instead of "result". GET /health answers {"ok":true}.
//
// Admin methods need the cookie token as HTTP basic auth (user __cookie__)
// or "Authorization: Bearer <token>"; a WebSocket is authorised once, at
// upgrade.
//
// Methods are registered at wiring time; Register panics on programmer
// errors (duplicate or empty names, nil handlers) rather than returning an
// error, because a node that starts with a half-wired API is worse than one
// that refuses to start.
package rpc
