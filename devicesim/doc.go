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
//   - the W3C WoT Thing Model each kind's model publishes and the Thing
//     Description each agent publishes (td.go), an instance of it; the
//     agent answers exactly as the TD declares (bare property values, a
//     readallproperties map, a history action with uriVariables), which
//     the generic WoT client in devicesim/wotcheck verifies;
//   - Bootstrap (bootstrap.go): on test and regtest, admits each kind's
//     well-known dev OEM (registry.DevOEMKey) with approvals from the
//     well-known dev authorities and publishes its model, idempotently;
//   - Agent (agent.go): one device with its device and owner keys
//     (persisted in a directory), the OEM attestation, the owner-signed
//     check-in, optional SetTerms, and an HTTP data endpoint (http.go)
//     whose data is behind an AccessChecker;
//   - Simulator (simulator.go): N agents, nonce sequencing per sender
//     and chain (client.go), waiting for confirmation and a summary;
//   - key delivery (delivery.go): one watcher per simulator looks at
//     every agent's auctions at each new auction-chain head and, for a
//     paid auction (awaiting_delivery), draws a 32-byte access key, saves
//     it (FILE.keys.json, 0600) before submitting, and delivers it
//     ECIES-encrypted to the winner with auction.NewDeliverKeyTx, signed
//     by the device key (fees from the device's account, funded by the
//     test faucet); the deliveries one head makes due go to the node
//     together, in one tx.submitBatch call (submitBatchE, sendbatch.go:
//     each device's own key and nonce, nonce conflicts retried per item);
//   - ChainAccess (access.go), the default AccessChecker: it serves
//     requests bearing "Authorization: Bearer <auction ID>.<key>" whose
//     key hashes to the delivery's key hash of this device's auction,
//     within the delivery's access period (docs/device-api.md, "Data
//     access").
//
// It talks to a node only through its JSON-RPC API (the Caller
// interface, satisfied by *rpc.Client) and builds every transaction with
// the engine-free builders of registry/registrytx and auction/auctiontx.
// It must not import the chain engine, a state machine (auction, ledger,
// registry), the mempool, p2p, the node or Badger (api/client
// TestClientDependencies holds that), and never touches a node's data
// directory: a simulator is a client like any wallet.
// DenyAll, which refuses every data request, remains for tests.
package devicesim
