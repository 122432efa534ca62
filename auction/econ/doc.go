// Package econ is the economics laboratory of the market: it runs market
// scenarios through the real auction state machine and consensus
// parameters (an auction chain on a temporary Badger directory, real
// signed transactions, real proof-of-work at regtest difficulty, the
// metadata miners' pool paid through real anchors) and measures, per
// party, revenue, cost and net gain: data scientists (bidders), device
// owners, auction-chain miners and metadata-chain miners.
//
// What it owns:
//   - Scenario (scenario.go): every assumption of a run, with documented
//     defaults, loaded from an editable JSON file;
//   - the modelled metadata chain (meta.go): blocks at the network's
//     spacing ratio with rotating miner reward addresses, and the device
//     records the auction machine reads through auction.Metadata. The
//     metadata chain's own state machine moves no coin, so its miners'
//     income is entirely the pool the auction chain pays out at anchors,
//     which runs for real;
//   - Run (market.go): one scenario, round by round (one round is one
//     access period, a month): truthful sealed bids in batches, reveals,
//     settlement, key delivery, and the balances of every party read off
//     the chain state after each round;
//   - Sweep (sweep.go): the sensitivity of every party's net gain to the
//     fee and bond parameters, reserve prices, bidders per device and
//     device count;
//   - the report (report.go, plot.go): index.html, SVG plots, summary.json
//     and CSV files.
//
// Runs are deterministic for a seed: keys, salts, values and encryption
// randomness come from the seed, and the chain's clock is simulated.
// Every run checks that coin is conserved (supply = balances + escrow +
// pool) after every round and that no auction pays its owner twice.
//
// econ must not import the node, API, mempool or p2p packages: it drives
// the chain engine directly, as a miner would.
package econ
