// Package auctiontx owns the client side of the auction state machine:
// the auction-chain transaction types (TxOpenAuction … TxCommitFullBids)
// and their payloads with the one canonical binary encoding of each
// (OpenAuction, CommitBids, RevealBids, Pay, DeliverKey: Encode and the
// exact-consumption decoders), the hashes bidders and devices commit to
// (AuctionID, BidCommitment, KeyHash), the builders of signed
// transactions (SealBid, SealFullBid, NewCommitTx, NewRevealTx, NewPayTx,
// NewOpenAuctionTx, NewDeliverKeyTx), the deposit arithmetic a bidder
// needs before bidding (TotalPrice, Bond, MinDeposit, FullDeposit) and
// the auction's rule error kinds, which clients match by name in
// error.data.kind.
//
// It is what a wallet or a device agent needs to build auction
// transactions without the node. It must not import the chain engine
// (thingchain/chain), Badger, the mempool, p2p, the API server or the
// node, nor the engine packages auction, ledger and registry; it must not
// read or write state. Allowed: chain/keys, chain/wire, chain/wire/payload,
// consensus, ledger/ledgertx and registry/registrytx (for Terms).
// api/client's TestClientDependencies holds that.
//
// The state machine (applying these transactions, auctions, bids,
// escrow, deliveries, settlement, the anchor rule) stays in package
// auction, which re-exports every name here (auctiontx_aliases.go), so
// engine code and existing callers keep auction.NewCommitTx and friends.
// A winner opens a delivered key with apitypes.Delivery.Open (the API's
// form) or auction.OpenDelivery (the engine's record).
package auctiontx
