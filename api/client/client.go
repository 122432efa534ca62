package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// Caller sends one JSON-RPC call; *rpc.Client implements it.
type Caller interface {
	Call(ctx context.Context, method string, params, result any) error
}

// Client calls the node API's methods with their typed parameters and
// results. It is safe for concurrent use when its Caller is.
type Client struct {
	c Caller
}

// New wraps a Caller.
func New(c Caller) *Client { return &Client{c: c} }

// Dial connects to a node's API (see rpc.Dial for URLs and options) and
// returns the typed client and the underlying connection, which the caller
// closes and may use for subscriptions.
func Dial(ctx context.Context, url string, opts ...rpc.ClientOption) (*Client, *rpc.Client, error) {
	rc, err := rpc.Dial(ctx, url, opts...)
	if err != nil {
		return nil, nil, err
	}
	return New(rc), rc, nil
}

// Caller returns the wrapped Caller.
func (c *Client) Caller() Caller { return c.c }

// Kind returns the rule kind of a refused call, error.data.kind (for
// example "ErrBadNonce"), or "" when err carries none (rpc.KindOf).
func Kind(err error) string { return rpc.KindOf(err) }

// HasKind reports whether err is a refusal of one of the given kinds.
func HasKind(err error, kinds ...string) bool {
	k := Kind(err)
	return k != "" && slices.Contains(kinds, k)
}

// Methods lists every method (rpc.methods).
func (c *Client) Methods(ctx context.Context) ([]rpc.MethodInfo, error) {
	var out []rpc.MethodInfo
	return out, c.c.Call(ctx, "rpc.methods", nil, &out)
}

// NodeInfo describes the node (node.info).
func (c *Client) NodeInfo(ctx context.Context) (apitypes.NodeInfo, error) {
	var out apitypes.NodeInfo
	return out, c.c.Call(ctx, "node.info", nil, &out)
}

// ChainInfo returns both chains' tips (chain.info).
func (c *Client) ChainInfo(ctx context.Context) (apitypes.ChainInfo, error) {
	var out apitypes.ChainInfo
	return out, c.c.Call(ctx, "chain.info", nil, &out)
}

// Block returns a block by hash or height (chain.getBlock).
func (c *Client) Block(ctx context.Context, q apitypes.BlockQuery) (apitypes.Block, error) {
	var out apitypes.Block
	return out, c.c.Call(ctx, "chain.getBlock", q, &out)
}

// Transaction finds a pending or confirmed transaction
// (chain.getTransaction).
func (c *Client) Transaction(ctx context.Context, chain string, id wire.Hash) (apitypes.TxResult, error) {
	var out apitypes.TxResult
	return out, c.c.Call(ctx, "chain.getTransaction", apitypes.TxQuery{Chain: chain, ID: id}, &out)
}

// Submit sends a signed transaction (tx.submit).
func (c *Client) Submit(ctx context.Context, tx *wire.Tx) (apitypes.SubmitResult, error) {
	var out apitypes.SubmitResult
	return out, c.c.Call(ctx, "tx.submit", apitypes.SubmitParams{Raw: hex.EncodeToString(tx.Encode())}, &out)
}

// Account returns an auction-chain account (account.get).
func (c *Client) Account(ctx context.Context, address string) (apitypes.Account, error) {
	var out apitypes.Account
	return out, c.c.Call(ctx, "account.get", apitypes.AddressParams{Address: address}, &out)
}

// NextNonce returns the nonce of a sender's next transaction on a chain
// ("auction" or "metadata") (account.nextNonce).
func (c *Client) NextNonce(ctx context.Context, sender keys.PubKey, chain string) (uint64, error) {
	var out uint64
	return out, c.c.Call(ctx, "account.nextNonce", apitypes.NonceParams{PubKey: sender.String(), Chain: chain}, &out)
}

// History lists an address's recent transactions (account.history).
func (c *Client) History(ctx context.Context, p apitypes.HistoryParams) ([]apitypes.HistoryEntry, error) {
	var out []apitypes.HistoryEntry
	return out, c.c.Call(ctx, "account.history", p, &out)
}

// Mempool summarises a chain's pending transactions (mempool.info).
func (c *Client) Mempool(ctx context.Context, p apitypes.PoolParams) (apitypes.PoolInfo, error) {
	var out apitypes.PoolInfo
	return out, c.c.Call(ctx, "mempool.info", p, &out)
}

// Faucet asks the test faucet for amount base units (faucet.request).
func (c *Client) Faucet(ctx context.Context, address string, amount uint64) (apitypes.SubmitResult, error) {
	var out apitypes.SubmitResult
	return out, c.c.Call(ctx, "faucet.request", apitypes.FaucetParams{Address: address, Amount: amount}, &out)
}

// Generate mines count blocks on a chain now (admin.generate; needs the
// cookie token).
func (c *Client) Generate(ctx context.Context, chain string, count int) ([]wire.Hash, error) {
	var out []wire.Hash
	return out, c.c.Call(ctx, "admin.generate", apitypes.GenerateParams{Chain: chain, Count: count}, &out)
}

// ReconsiderBlock clears a block's invalid marks and re-runs fork choice
// (admin.reconsiderBlock; needs the cookie token).
func (c *Client) ReconsiderBlock(ctx context.Context, chain string, hash wire.Hash) (apitypes.ReconsiderResult, error) {
	var out apitypes.ReconsiderResult
	return out, c.c.Call(ctx, "admin.reconsiderBlock", apitypes.ReconsiderParams{Chain: chain, Hash: hash}, &out)
}

// SetNetworkActive turns peer-to-peer networking off or on
// (admin.setNetworkActive; needs the cookie token).
func (c *Client) SetNetworkActive(ctx context.Context, active bool) (apitypes.NetworkActive, error) {
	var out apitypes.NetworkActive
	return out, c.c.Call(ctx, "admin.setNetworkActive", apitypes.NetworkActiveParams{Active: &active}, &out)
}

// Device returns a device record, or nil (registry.device).
func (c *Client) Device(ctx context.Context, device keys.PubKey) (*apitypes.Device, error) {
	var out *apitypes.Device
	return out, c.c.Call(ctx, "registry.device", apitypes.DeviceParams{Device: device.String()}, &out)
}

// Devices returns one page of matching device records (registry.devices).
func (c *Client) Devices(ctx context.Context, f apitypes.DeviceFilter) (apitypes.QueryResult, error) {
	var out apitypes.QueryResult
	return out, c.c.Call(ctx, "registry.devices", f, &out)
}

// OEM returns an OEM's membership, or nil (registry.oem).
func (c *Client) OEM(ctx context.Context, oem keys.PubKey) (*apitypes.Member, error) {
	var out *apitypes.Member
	return out, c.c.Call(ctx, "registry.oem", apitypes.KeyParams{Key: oem.String()}, &out)
}

// Miner returns a miner's membership, or nil (registry.miner).
func (c *Client) Miner(ctx context.Context, miner keys.PubKey) (*apitypes.Member, error) {
	var out *apitypes.Member
	return out, c.c.Call(ctx, "registry.miner", apitypes.KeyParams{Key: miner.String()}, &out)
}

// Model returns the latest version of a published model, or nil
// (registry.model).
func (c *Client) Model(ctx context.Context, id string) (*apitypes.Model, error) {
	return c.ModelVersion(ctx, id, 0)
}

// ModelVersion returns one version of a published model (0: the latest),
// or nil (registry.model).
func (c *Client) ModelVersion(ctx context.Context, id string, version uint32) (*apitypes.Model, error) {
	var out *apitypes.Model
	return out, c.c.Call(ctx, "registry.model", apitypes.ModelParams{ID: id, Version: version}, &out)
}

// NextAuction says which auction a bid on a device would join or open
// (auction.next).
func (c *Client) NextAuction(ctx context.Context, device string) (apitypes.NextAuctionResult, error) {
	var out apitypes.NextAuctionResult
	return out, c.c.Call(ctx, "auction.next", apitypes.DeviceParams{Device: device}, &out)
}

// Auction returns an auction with its bids and delivery, or nil
// (auction.get).
func (c *Client) Auction(ctx context.Context, id wire.Hash) (*apitypes.AuctionView, error) {
	var out *apitypes.AuctionView
	return out, c.c.Call(ctx, "auction.get", apitypes.AuctionIDParams{ID: id}, &out)
}

// AuctionsOfDevice lists a device's auctions, oldest first
// (auction.ofDevice).
func (c *Client) AuctionsOfDevice(ctx context.Context, device keys.PubKey) ([]apitypes.AuctionView, error) {
	var out []apitypes.AuctionView
	return out, c.c.Call(ctx, "auction.ofDevice", apitypes.DeviceParams{Device: device.String()}, &out)
}

// AuctionsOfBidder lists the auctions an address bid in, with its bid
// (auction.ofBidder).
func (c *Client) AuctionsOfBidder(ctx context.Context, address string) ([]apitypes.BidderAuction, error) {
	var out []apitypes.BidderAuction
	return out, c.c.Call(ctx, "auction.ofBidder", apitypes.AddressParams{Address: address}, &out)
}

// AuctionInfo returns escrow, the metadata pool, the anchor and the
// auction parameters (auction.info).
func (c *Client) AuctionInfo(ctx context.Context) (apitypes.AuctionInfo, error) {
	var out apitypes.AuctionInfo
	return out, c.c.Call(ctx, "auction.info", nil, &out)
}

// SubmitBatch submits up to apitypes.MaxSubmitBatch signed transactions in
// one call (tx.submitBatch). The results are per transaction, in order;
// ItemErr turns one into the error tx.submit would have returned.
func (c *Client) SubmitBatch(ctx context.Context, txs []*wire.Tx) (apitypes.SubmitBatchResult, error) {
	p := apitypes.SubmitBatchParams{Raws: make([]string, len(txs))}
	for i, tx := range txs {
		p.Raws[i] = hex.EncodeToString(tx.Encode())
	}
	var out apitypes.SubmitBatchResult
	if err := c.c.Call(ctx, "tx.submitBatch", p, &out); err != nil {
		return out, err
	}
	if len(out.Results) != len(txs) {
		return out, fmt.Errorf("tx.submitBatch of %d transactions answered %d results", len(txs), len(out.Results))
	}
	return out, nil
}

// ItemErr is the error of one tx.submitBatch result (nil when the
// transaction was accepted), with its kind readable by Kind and HasKind.
func ItemErr(it apitypes.SubmitItem) error {
	if it.Error == nil {
		return nil
	}
	return &rpc.Error{Code: it.Error.Code, Message: it.Error.Message, Data: it.Error.Data}
}
