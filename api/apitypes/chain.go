package apitypes

import (
	"encoding/json"

	"github.com/thingchain/thingchain/chain/wire"
)

// Anchor is the metadata-chain block an auction-chain header commits to.
type Anchor struct {
	Height uint64    `json:"height"`
	Hash   wire.Hash `json:"hash"`
}

// Header is a block header (chain.getBlock, newHeads).
type Header struct {
	Hash      wire.Hash `json:"hash"`
	Height    uint64    `json:"height"`
	Version   uint32    `json:"version"`
	ChainID   uint32    `json:"chain_id"`
	PrevHash  wire.Hash `json:"prev_hash"`
	TxRoot    wire.Hash `json:"tx_root"`
	StateRoot wire.Hash `json:"state_root"`
	Anchor    Anchor    `json:"anchor"`
	Time      int64     `json:"time"` // Unix ms
	Bits      string    `json:"bits"` // compact target, 8 hex digits
	Nonce     uint64    `json:"nonce"`
	Reward    string    `json:"reward"`    // address
	Miner     string    `json:"miner_key"` // public key
}

// Tx is a transaction. Raw is the canonical encoding in hex, which is
// also what tx.submit accepts.
type Tx struct {
	ID            wire.Hash `json:"txid"`
	ChainID       uint32    `json:"chain_id"`
	Type          uint16    `json:"type"`
	Nonce         uint64    `json:"nonce"`
	Fee           uint64    `json:"fee"`
	Expiry        uint64    `json:"expiry,omitempty"`
	Sender        string    `json:"sender"` // public key
	SenderAddress string    `json:"sender_address"`
	Payload       string    `json:"payload"` // hex
	Size          int       `json:"size"`
	Raw           string    `json:"raw,omitempty"`
}

// Block is a block with its transactions (full or as IDs).
type Block struct {
	Header
	Size  int         `json:"size"`
	TxIDs []wire.Hash `json:"txids,omitempty"`
	Txs   []Tx        `json:"txs,omitempty"`
}

// TipInfo describes a chain's tip.
type TipInfo struct {
	Hash       wire.Hash `json:"hash"`
	Height     uint64    `json:"height"`
	Work       string    `json:"cumulative_work"` // hex, no 0x
	Bits       string    `json:"bits"`            // compact target, 8 hex digits
	Difficulty float64   `json:"difficulty"`
	Time       int64     `json:"time"` // Unix ms
}

// ChainInfo is the result of chain.info.
type ChainInfo struct {
	Network  string     `json:"network"`
	Metadata TipInfo    `json:"metadata"`
	Auction  TipInfo    `json:"auction"`
	Sync     ChainSyncs `json:"sync"`
}

// ChainSyncs is each chain's sync with its peers.
type ChainSyncs struct {
	Metadata SyncProgress `json:"metadata"`
	Auction  SyncProgress `json:"auction"`
}

// SyncProgress is how far a chain's sync has come: while syncing, the
// highest tip a peer claimed, the rate blocks are stored (over the last
// 10 s) and the time left at that rate.
type SyncProgress struct {
	Syncing    bool    `json:"syncing"`
	Height     uint64  `json:"height"` // our tip
	Target     uint64  `json:"target"` // the best peer's tip (our tip when not syncing)
	BlocksPerS float64 `json:"blocks_per_s"`
	ETASeconds float64 `json:"eta_s"` // 0 when not syncing or unknown
	Peers      int     `json:"peers"` // peers blocks are fetched from
}

// BlockQuery selects a block by hash or main-chain height (chain.getBlock).
type BlockQuery struct {
	Chain  string     `json:"chain"`
	Hash   *wire.Hash `json:"hash,omitempty"`
	Height *uint64    `json:"height,omitempty"`
	Full   bool       `json:"full,omitempty"` // transactions in full, not just IDs
}

// TxQuery names a transaction (chain.getTransaction).
type TxQuery struct {
	Chain string    `json:"chain"`
	ID    wire.Hash `json:"txid"`
}

// TxResult is a transaction and where it is.
type TxResult struct {
	Tx
	Status        string     `json:"status"` // "pending" or "confirmed"
	Block         *wire.Hash `json:"block,omitempty"`
	Index         int        `json:"index,omitempty"`
	Height        uint64     `json:"height,omitempty"`
	Confirmations uint64     `json:"confirmations,omitempty"`
}

// SubmitParams carries a signed transaction in hex (tx.submit).
type SubmitParams struct {
	Raw string `json:"raw"`
}

// SubmitResult names an accepted transaction (tx.submit, faucet.request).
type SubmitResult struct {
	ID    wire.Hash `json:"txid"`
	Chain string    `json:"chain"`
}

// AddressParams names an account.
type AddressParams struct {
	Address string `json:"address"`
}

// Account is an auction-chain account (account.get).
type Account struct {
	Address      string `json:"address"`
	Balance      uint64 `json:"balance"`
	Nonce        uint64 `json:"nonce"`
	PendingNonce uint64 `json:"pending_nonce"`
}

// NonceParams names a sender by public key, on a chain (default auction).
type NonceParams struct {
	PubKey string `json:"pubkey"`
	Chain  string `json:"chain,omitempty"`
}

// HistoryParams asks for an address's recent auction-chain transactions.
type HistoryParams struct {
	Address string `json:"address"`
	Blocks  int    `json:"blocks,omitempty"` // recent blocks to scan; default 1000
}

// HistoryEntry is one transaction touching the address.
type HistoryEntry struct {
	Tx
	Height    uint64 `json:"height"`
	Direction string `json:"direction"` // "out" (sent by the address) or "in"
	To        string `json:"to,omitempty"`
	Amount    uint64 `json:"amount,omitempty"`
}

// PoolParams names a chain's mempool (mempool.info).
type PoolParams struct {
	Chain string `json:"chain"`
	Limit int    `json:"limit,omitempty"`
}

// PoolInfo summarises a mempool.
type PoolInfo struct {
	Chain string `json:"chain"`
	Count int    `json:"count"`
	Bytes int    `json:"bytes"`
	Txs   []Tx   `json:"txs,omitempty"`
}

// FaucetParams asks the test faucet for coins.
type FaucetParams struct {
	Address string `json:"address"`
	Amount  uint64 `json:"amount"`
}

// GenerateParams asks for blocks to be mined now (admin.generate).
type GenerateParams struct {
	Chain string `json:"chain"`
	Count int    `json:"count"`
}

// ReconsiderParams name a block whose invalid marks should be cleared
// (admin.reconsiderBlock).
type ReconsiderParams struct {
	Chain string    `json:"chain"` // "auction" (default) or "metadata"
	Hash  wire.Hash `json:"hash"`
}

// ReconsiderResult reports what admin.reconsiderBlock did.
type ReconsiderResult struct {
	Chain   string    `json:"chain"`
	Hash    wire.Hash `json:"hash"`
	Cleared int       `json:"cleared"` // blocks whose invalid mark was removed
	Tip     TipInfo   `json:"tip"`     // the chain's tip afterwards
}

// NetworkActiveParams turns peer-to-peer networking off or on
// (admin.setNetworkActive).
type NetworkActiveParams struct {
	Active *bool `json:"active"`
}

// NetworkActive is admin.setNetworkActive's result.
type NetworkActive struct {
	Active bool `json:"active"`
}

// PeerInfo is a connected peer as node.info shows it.
type PeerInfo struct {
	ID          string   `json:"id"`
	Addrs       []string `json:"addrs,omitempty"`
	Score       float64  `json:"score"`
	Banned      bool     `json:"banned,omitempty"`
	BannedUntil string   `json:"banned_until,omitempty"` // RFC 3339
	ConnectedAt string   `json:"connected_at,omitempty"` // RFC 3339
}

// NodeInfo is the result of node.info.
type NodeInfo struct {
	Network string     `json:"network"`
	Version string     `json:"version"`
	PID     int        `json:"pid"`
	RPC     string     `json:"rpc"`
	Miner   string     `json:"miner_key"` // public key
	Reward  string     `json:"reward"`    // address
	Mining  bool       `json:"mining"`
	PeerID  string     `json:"peer_id,omitempty"`
	P2P     []string   `json:"p2p_addrs,omitempty"`
	Peers   []PeerInfo `json:"peers,omitempty"`
}

// ErrorKind names a refusal the API makes itself, outside any chain's
// rules, as error.data.kind; rule refusals carry their rule's kind
// (docs/api.md, "Rule errors").
type ErrorKind string

// ErrNoFaucet is faucet.request's refusal on a network without a faucet
// (main).
const ErrNoFaucet = ErrorKind("ErrNoFaucet")

// RawJSON is a JSON value passed through unchanged (a Thing Description,
// a metadata object).
type RawJSON = json.RawMessage
