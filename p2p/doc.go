// Package p2p connects a node to its peers. It owns the libp2p host (TCP
// and QUIC, Noise, a persisted Ed25519 identity), one gossipsub topic pair
// (blocks, transactions) per chain, header-first sync over request/response
// streams, peer scoring and bans, the allowlist of permissioned networks
// and optional mDNS.
//
// # What it validates
//
// Before relaying a block: size, decoding, every context-free rule
// (ChainAPI.CheckBlockSanity, Merkle root and signatures included) and
// then full validation by the chain (ProcessBlockBytes), so only blocks
// this node has stored as valid are relayed and a sender of an invalid
// one is at fault. Before relaying a transaction: size, decoding and
// ChainAPI.CheckTxSanity; the pool's verdict (TxPool.AddTx) is not held
// against the sender. p2p judges no rule itself and must not import the
// ledger, the mempool or the API.
//
// # Names
//
// For network N and chain ID C (8 hex digits):
//
//	/thingchain/N/C/blocks/1   gossipsub topic: one encoded block per message
//	/thingchain/N/C/txs/2      gossipsub topic: frames of encoded transactions (DecodeTxFrame)
//	/thingchain/N/C/sync/1     stream protocol: one request, one response
//
// so different networks and chains never exchange a message even when
// their hosts connect. Gossip is unsigned (StrictNoSign: blocks and
// transactions carry their own signatures) and the message ID is the
// double SHA-256 of the payload.
//
// # What gets gossiped
//
// The node announces by itself, through a chain.Subscribe hook, every
// block its chain connects that did not come from the network (mined
// here, or submitted through the API), and, through TxPool.OnNewTx, every
// transaction its pool accepts that did not come from the network.
// Network-received data is relayed by pubsub after validation and never
// republished, and pubsub drops any payload it has seen, so nothing loops.
// Transactions travel in frames: what a node announces within 25 ms goes
// out as one message, and a received frame is validated by the pool in
// one batch (TxBatchAdder); a frame is relayed as it came only when the
// pool took all of it, else the node announces the part it took itself.
// Node.BroadcastBlock and Node.BroadcastTx exist for explicit
// re-announcement; calling them for something already announced is
// harmless.
//
// # Sync
//
// Gossip alone is never trusted for completeness. Each chain's sync loop
// asks a peer for its Status when it connects, when it relays an orphan
// block, and every Config.SyncInterval (default 10 s). Syncs run
// concurrently, one per peer and up to maxSyncs (8) per chain, peers whose
// claimed work was delivered first; Status and Headers time out after 5
// and 10 s, a batch of blocks after 30 s. From a peer claiming more
// cumulative work, the node fetches headers from its locator (up to 2000
// per message, checked for proof of work and miner signature on all
// cores and for linkage) and adds up the branch's work without storing
// anything (a headers presync, as in Bitcoin Core); only once the branch
// beats our tip does it fetch the missing blocks, in batches of up to 128
// with four requests in flight, and connect them in order. A branch that
// ends, or exceeds the presync limit, below our tip while the peer claims
// more work costs it PenaltyUnprovenWork and pauses syncing with it (30 s,
// doubling); a Status or Headers request that times out pauses it too,
// without penalty. Far behind, it logs "syncing" every 2 s.
//
// Serving: every sync response to a peer goes through its token bucket
// (Config.ServeBytesPerSec, default 8 MiB/s, burst 1 MiB, all chains
// together); blocks are streamed one at a time. At most 16 requests per
// peer and chain are served at once.
//
// Limits: requests ≤ 64 KiB, responses ≤ 16 MiB + 64 KiB (uvarint length
// frame, checked before allocation), locators ≤ 64 hashes, gossip ≤ 8 MiB
// + 64 KiB (larger frames are penalised as they are read; blocks further
// capped by the chain's MaxBlockBytes, transactions by wire.MaxTxBytes);
// inbound connections ≤ Config.MaxInbound in all and ≤
// Config.MaxConnsPerIP per address (loopback exempt). Gossipsub queues
// are raised to 8192 (subscription) and 4096 (peer outbound, validation
// queue), and the validations in flight per topic to 8192, because the
// defaults (32 and 1024) drop bursts silently (design §7; the per-topic
// throttle lost ~10% of a 2,000-transaction burst on two busy cores).
// Gossipsub can also forget a connected peer's subscriptions when a
// duplicate connection closes; the node notices and reconnects that peer
// (heal.go).
//
// # Penalties
//
// Each peer has a ban score with a persistent part and a transient part
// that halves every 60 s (dcrd's DynamicBanScore). At 100 the peer is
// disconnected and refused by the connection gater for Config.BanDuration
// (default 24 h); bans are kept in Config.BanFile across restarts.
//
//	offence                                                      penalty
//	gossiped block failing any rule (context-free or full)          100
//	block gossip from a non-admitted miner (ChainHandle.MinerAllowed) 100
//	block served by sync that the chain rejects (any RuleError)     100
//	sync headers that fail sanity                                   100
//	gossip or sync bytes that do not decode; headers not linking     50
//	over a size or count limit (gossip, gossip frame, sync frame)    50
//	unknown or unexpected sync message type (stream is reset)        20
//	claimed work its headers do not deliver (sync pauses)            20
//	transaction gossip failing sanity (signature, chain, payload)    10
//	unsolicited block: not asked for in a sync response, or a
//	  gossiped block we have that is > 16 below our tip      1 (transient)
//
// Not penalised: duplicates, orphans, blocks too far in the future or
// waiting for the other chain, a transaction the pool rejects against its
// state (honest relays can be stale), transport failures, requests over
// the serving budget. docs/network.md gives the attack each penalty
// answers.
package p2p
