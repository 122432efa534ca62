// Package devicesim simulates IoT device agents that join the metadata
// chain: it is how a local network gets realistic devices without
// hardware.
//
// It owns:
//   - the device kinds (kinds.go): fridge, tv, thermostat, energy-meter
//     and car, each with a model and metadata schema, default terms and a
//     deterministic data generator (data.go: values are a function of a
//     per-device seed and the time, so a restarted agent serves the same
//     history);
//   - the W3C WoT Thing Description each agent publishes (td.go);
//   - Bootstrap (bootstrap.go): on test and regtest, admits each kind's
//     well-known dev OEM (registry.DevOEMKey) with approvals from the
//     well-known dev authorities and publishes its model, idempotently;
//   - Agent (agent.go): one device with its device and owner keys
//     (persisted in a directory), the OEM attestation, the owner-signed
//     check-in, optional SetTerms, and an HTTP data endpoint (http.go)
//     whose data is behind an AccessChecker;
//   - Simulator (simulator.go): N agents, nonce sequencing per sender
//     (sender.go), waiting for confirmation and a summary.
//
// It talks to a node only through its JSON-RPC API (the Caller
// interface, satisfied by *rpc.Client) and builds every transaction with
// the registry package's builders. It must not import node, chain
// internals or the auction state machine, and never touches a node's
// data directory: a simulator is a client like any wallet. The default
// AccessChecker refuses all data requests; the auction work (issue 6)
// plugs in a checker that accepts access keys from won auctions, and an
// Agent keeps its device key and node client for delivering those keys.
package devicesim
