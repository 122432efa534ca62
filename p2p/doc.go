// Package p2p connects a node to its peers: one libp2p host (TCP and QUIC
// on the given addresses, Noise security, a persisted Ed25519 identity),
// gossipsub topics for the blocks and transactions of each chain, header-
// first sync over request/response streams, peer scoring and bans, an
// optional allowlist of peer IDs (permissioned networks) and optional mDNS.
//
// Validation here is only what a relay must do before forwarding: decode,
// then the chain's context-free sanity checks (chain.CheckHeaderSanity,
// chain.CheckTxSanity). Everything else is the chain's job through
// ProcessBlock; p2p must not import the ledger, the mempool or the API.
//
// Penalties (ban score; 100 bans for Config.BanDuration, default 24 h):
//
//	invalid block (RuleError from the chain)       100
//	malformed message (does not decode)             50
//	oversized or unknown sync message              50 / 20
//	invalid transaction                              10
//	block or tx we already have, sent again           0 (gossip deduplicates)
//
// Scores have a persistent part and a transient part that halves every 60
// seconds (dcrd's DynamicBanScore), so bursts of minor offences fade while
// repeated ones accumulate.
//
// Gossip alone is never trusted for completeness: every 5 seconds, and when
// a peer connects or an orphan arrives, each peer's tip is compared with
// ours and missing blocks are fetched by header-first sync.
package p2p
