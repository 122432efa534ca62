// Package nodetest starts real nodes inside a test process: one place for
// what the node, wallet, device simulator and CLI tests all need. It is
// imported by tests only.
//
// It owns test scaffolding only: starting a node with test defaults and
// stopping it when the test ends. It must not be imported by non-test code
// and must not reach into a node's internals beyond node.Config and the
// API.
package nodetest
