// Package web embeds the built web marketplace (the React app in this
// folder, built by Vite into dist/) and serves it. The node mounts Handler
// on its API address, so GET / in a browser opens the marketplace while
// POST / stays JSON-RPC and GET / with an Upgrade header stays WebSocket.
//
// It owns the page's HTTP face: which files are served, their caching, and
// the security headers (a Content-Security-Policy that allows scripts,
// styles and API calls from the node's own origin only). It must not
// import any chain package: the page talks to the node through the public
// JSON-RPC API like any other client, and keys never leave the browser.
//
// dist/ is committed, so `go run ./cmd/thingchain testnet` needs no npm
// step; CI rebuilds it from package-lock.json and fails if the result
// differs (see docs/web.md).
package web
