package api

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Feeds carries live events to subscriptions: new main-chain heads and new
// pending transactions, per chain.
type Feeds struct {
	Heads   map[consensus.ChainKind]*rpc.Feed[*wire.Header]
	Pending map[consensus.ChainKind]*rpc.Feed[*wire.Tx]
}

// NewFeeds makes empty feeds for both chains.
func NewFeeds() *Feeds {
	f := &Feeds{Heads: map[consensus.ChainKind]*rpc.Feed[*wire.Header]{}, Pending: map[consensus.ChainKind]*rpc.Feed[*wire.Tx]{}}
	for _, k := range []consensus.ChainKind{consensus.MetadataChain, consensus.AuctionChain} {
		f.Heads[k] = &rpc.Feed[*wire.Header]{}
		f.Pending[k] = &rpc.Feed[*wire.Tx]{}
	}
	return f
}

// ChainListener returns a chain subscriber that publishes applied blocks'
// headers to the feed.
func (f *Feeds) ChainListener(kind consensus.ChainKind) func(chain.Event) {
	return func(ev chain.Event) {
		for _, b := range ev.Applied {
			h := b.Header
			f.Heads[kind].Send(&h)
		}
	}
}

// typed adapts a typed method to an rpc.Handler: params decode into P
// (by name or position), errors marked ErrInvalidParams become -32602.
func typed[P, R any](fn func(context.Context, P) (R, error)) rpc.Handler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var p P
		if err := rpc.DecodeParams(raw, &p); err != nil {
			return nil, err
		}
		r, err := fn(ctx, p)
		if errors.Is(err, ErrInvalidParams) {
			return nil, &rpc.Error{Code: rpc.CodeInvalidParams, Message: err.Error()}
		}
		if err != nil {
			return nil, err
		}
		return r, nil
	}
}

type noParams struct{}

// Register puts every API method and subscription on the server.
func Register(srv *rpc.Server, svc *Service, feeds *Feeds) {
	methods := []rpc.Method{
		{Name: "chain.info", Summary: "both chains' tips: height, hash, cumulative work, difficulty",
			Handler: typed(func(ctx context.Context, _ noParams) (ChainInfoResult, error) { return svc.ChainInfo(ctx) })},
		{Name: "chain.getBlock", Summary: "a block by hash or height {chain, hash|height, full}", Handler: typed(svc.GetBlock)},
		{Name: "chain.getTransaction", Summary: "a confirmed or pending transaction {chain, txid}", Handler: typed(svc.GetTransaction)},
		{Name: "tx.submit", Summary: "submit a signed transaction {raw: hex}", Handler: typed(svc.SubmitTx)},
		{Name: "tx.submitBatch", Summary: "submit up to 1000 signed transactions at once, signatures verified in one parallel batch; one result or error per transaction {raws: [hex]}", Handler: typed(svc.SubmitTxBatch)},
		{Name: "account.get", Summary: "an auction-chain account's balance and nonce {address}", Handler: typed(svc.GetAccount)},
		{Name: "account.nextNonce", Summary: "the nonce for a sender's next transaction, counting pending ones {pubkey, chain}", Handler: typed(svc.NextNonce)},
		{Name: "registry.device", Summary: "a device record, or null {device}", Handler: typed(svc.GetDevice)},
		{Name: "registry.devices", Summary: "device records matching a filter, paginated {kind, model, oem, properties, metadata, region_prefix, max_reserve, enabled, offset, limit}", Handler: typed(svc.ListDevices)},
		{Name: "registry.oem", Summary: "an OEM's membership, or null {key}", Handler: typed(svc.GetOEM)},
		{Name: "registry.miner", Summary: "a miner's membership, or null {key}", Handler: typed(svc.GetMiner)},
		{Name: "auction.get", Summary: "an auction with its bids and key delivery, or null {id}", Handler: typed(svc.GetAuction)},
		{Name: "auction.ofDevice", Summary: "a device's auctions, oldest first {device}", Handler: typed(svc.AuctionsOfDevice)},
		{Name: "registry.devicesByKey", Summary: "the records of up to 1000 devices in one call, null for unknown keys {devices: [hex]}", Handler: typed(svc.GetDevices)},
		{Name: "auction.nextMany", Summary: "auction.next for up to 1000 devices in one call, in the order asked {devices: [hex]}", Handler: typed(svc.NextAuctions)},
		{Name: "auction.getMany", Summary: "up to 1000 auctions in one call, each with a bidder's own bid, null for unknown ids {ids: [hex], bidder}", Handler: typed(svc.GetAuctions)},
		{Name: "auction.awaitingDelivery", Summary: "paid auctions whose key is not delivered yet, for up to 1000 devices in one call {devices: [hex]}", Handler: typed(svc.AwaitingDeliveryOf)},
		{Name: "auction.ofBidder", Summary: "the auctions an address bid in, with its bid {address}", Handler: typed(svc.AuctionsOfBidder)},
		{Name: "auction.next", Summary: "which auction a bid on a device joins or opens now, and its terms {device}", Handler: typed(svc.NextAuction)},
		{Name: "auction.info", Summary: "escrow, metadata miners' pool, anchor and auction parameters", Handler: typed(func(ctx context.Context, _ noParams) (AuctionInfo, error) { return svc.GetAuctionInfo(ctx) })},
		{Name: "registry.model", Summary: "a published device model (latest, or a given version), or null {id, version}", Handler: typed(svc.GetModel)},
		{Name: "account.history", Summary: "recent transactions sent by or paying an address {address, blocks}", Handler: typed(svc.History)},
		{Name: "mempool.info", Summary: "pending transactions of a chain {chain, limit}", Handler: typed(svc.Mempool)},
		{Name: "faucet.request", Summary: "test coins from the faucet (test and regtest) {address, amount}", Handler: typed(svc.Faucet)},
		{Name: "node.info", Summary: "this node: network, version, addresses, peers",
			Handler: func(context.Context, json.RawMessage) (any, error) {
				if svc.b.NodeInfo == nil {
					return map[string]string{"network": svc.b.Net.Name}, nil
				}
				return svc.b.NodeInfo(), nil
			}},
		{Name: "admin.generate", Admin: true, Summary: "mine blocks now (regtest) {chain, count}", Handler: typed(svc.Generate)},
		{Name: "admin.reconsiderBlock", Admin: true, Summary: "clear a block's invalid marks (and its ancestors' and descendants') and re-validate {chain, hash}", Handler: typed(svc.ReconsiderBlock)},
	}
	for _, m := range methods {
		srv.Register(m)
	}
	srv.RegisterSetupSubscription("newHeads", func(ctx context.Context, params json.RawMessage) (func(func(any) error) error, error) {
		kind, err := subscriptionChain(params)
		if err != nil {
			return nil, err
		}
		return forward(ctx, feeds.Heads[kind], 256, func(h *wire.Header) any { return headerJSON(h, svc.b.Net.AddressHRP) }), nil
	})
	srv.RegisterSetupSubscription("newPendingTransactions", func(ctx context.Context, params json.RawMessage) (func(func(any) error) error, error) {
		kind, err := subscriptionChain(params)
		if err != nil {
			return nil, err
		}
		return forward(ctx, feeds.Pending[kind], 4096, func(tx *wire.Tx) any { return txJSON(tx, svc.b.Net.AddressHRP, false) }), nil
	})
}

// forward subscribes to a feed now (before the client's reply) and
// returns the loop that forwards its values as notifications.
func forward[T any](ctx context.Context, f *rpc.Feed[T], buffer int, convert func(T) any) func(func(any) error) error {
	ch, cancel := f.Subscribe(buffer)
	return func(notify func(any) error) error {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return nil
			case v := <-ch:
				if err := notify(convert(v)); err != nil {
					return err
				}
			}
		}
	}
}

// subscriptionChain reads the optional ["metadata"|"auction"] argument.
func subscriptionChain(params json.RawMessage) (consensus.ChainKind, error) {
	var args []string
	if len(params) > 0 {
		if err := json.Unmarshal(params, &args); err != nil {
			return 0, rpc.InvalidParams("subscription arguments: %v", err)
		}
	}
	if len(args) == 0 {
		return consensus.AuctionChain, nil
	}
	return consensus.ParseChainKind(args[0])
}
