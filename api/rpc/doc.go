// Package rpc is a JSON-RPC 2.0 transport over HTTP and WebSocket: request
// framing, single and batch calls, notifications, error codes, request size
// and per-client rate limits, bitcoind-style cookie authentication for admin
// methods, and Ethereum-style subscriptions over WebSocket. It also has a
// client for both transports.
//
// rpc knows nothing about chains: methods are registered by the api
// package. It must not import any thingchain package.
package rpc
