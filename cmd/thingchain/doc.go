// Command thingchain is the thingchain node, wallet and tools in one
// binary. Run `thingchain --help` for the commands.
//
// This package owns the command-line interface: flags, argument parsing,
// human and --json output, and turning errors into messages that say what
// to do. It must not own rules: what a transaction means and whether it is
// valid belongs to the state machines (registry, auction, ledger), and
// running a node belongs to package node. Commands reach a running node
// through its API (api/rpc, api/client); only commands on a stopped node's
// data directory open its chains, through package node.
package main
