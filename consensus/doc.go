// Package consensus owns the rules every node must agree on that do not
// depend on chain storage: the per-network, per-chain Params values, proof
// of work (double SHA-256 against a compact target), the ASERT difficulty
// schedule, median-time-past and future-time limits, and the RuleError kinds
// that name every way a block or transaction can break a rule.
//
// It must not touch storage, the network or state machines: functions here
// are pure, take what they need as arguments and are safe for concurrent use.
// Packages above it (chain, ledger, auction, p2p) report rule violations with
// RuleError so that peers and tests can tell exactly why something failed.
package consensus
