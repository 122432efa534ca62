package api

import (
	"encoding/hex"
	"fmt"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

// The request and result types live in api/apitypes, which clients import
// without linking the server; these aliases keep the server's own names.
type (
	HeaderJSON        = apitypes.Header
	TxJSON            = apitypes.Tx
	BlockJSON         = apitypes.Block
	ChainInfoResult   = apitypes.ChainInfo
	BlockQuery        = apitypes.BlockQuery
	TxQuery           = apitypes.TxQuery
	TxResult          = apitypes.TxResult
	SubmitParams      = apitypes.SubmitParams
	SubmitResult      = apitypes.SubmitResult
	AddressParams     = apitypes.AddressParams
	Account           = apitypes.Account
	NonceParams       = apitypes.NonceParams
	HistoryParams     = apitypes.HistoryParams
	HistoryEntry      = apitypes.HistoryEntry
	PoolParams        = apitypes.PoolParams
	PoolInfo          = apitypes.PoolInfo
	FaucetParams      = apitypes.FaucetParams
	GenerateParams    = apitypes.GenerateParams
	DeviceParams      = apitypes.DeviceParams
	KeyParams         = apitypes.KeyParams
	ModelParams       = apitypes.ModelParams
	DeviceFilter      = apitypes.DeviceFilter
	AuctionIDParams   = apitypes.AuctionIDParams
	AuctionView       = apitypes.AuctionView
	BidderAuction     = apitypes.BidderAuction
	NextAuctionResult = apitypes.NextAuctionResult
	AuctionInfo       = apitypes.AuctionInfo
)

// Conversions from the node's records to the API's one encoding: hashes
// and keys in lowercase hex, addresses in bech32m, statuses by name.

func bitsHex(bits uint32) string { return fmt.Sprintf("%08x", bits) }

func pubKeyHex(pk keys.PubKey) string { return hex.EncodeToString(pk[:]) }

// addressText encodes an address, or "" for the zero address (no owner or
// winner yet).
func addressText(a keys.Address, hrp string) string {
	if a.IsZero() {
		return ""
	}
	return a.Encode(hrp)
}

func headerJSON(h *wire.Header, hrp string) HeaderJSON {
	return HeaderJSON{
		Hash: h.Hash(), Height: h.Height, Version: h.Version, ChainID: h.ChainID,
		PrevHash: h.PrevHash, TxRoot: h.TxRoot, StateRoot: h.StateRoot,
		Anchor: apitypes.Anchor{Height: h.Anchor.Height, Hash: h.Anchor.Hash},
		Time:   h.Timestamp, Bits: bitsHex(h.Bits),
		Nonce: h.Nonce, Reward: keys.Address(h.Reward).Encode(hrp), Miner: hex.EncodeToString(h.MinerKey[:]),
	}
}

func txJSON(tx *wire.Tx, hrp string, withRaw bool) TxJSON {
	raw := tx.Encode()
	out := TxJSON{
		ID: wire.DoubleSHA256(raw), ChainID: tx.ChainID, Type: tx.Type, Nonce: tx.Nonce, Fee: tx.Fee, Expiry: tx.Expiry,
		Sender: hex.EncodeToString(tx.Sender[:]), SenderAddress: keys.PubKey(tx.Sender).Address().Encode(hrp),
		Payload: hex.EncodeToString(tx.Payload), Size: len(raw),
	}
	if withRaw {
		out.Raw = hex.EncodeToString(raw)
	}
	return out
}

func blockJSON(b *wire.Block, hrp string, full bool) BlockJSON {
	out := BlockJSON{Header: headerJSON(&b.Header, hrp), Size: len(b.Encode())}
	for _, tx := range b.Txs {
		if full {
			out.Txs = append(out.Txs, txJSON(tx, hrp, false))
		} else {
			out.TxIDs = append(out.TxIDs, tx.ID())
		}
	}
	return out
}

func tipJSON(t chain.TipInfo) apitypes.TipInfo {
	return apitypes.TipInfo{Hash: t.Hash, Height: t.Height, Work: t.WorkHex, Bits: bitsHex(t.Bits), Difficulty: t.Difficulty, Time: t.Time}
}

func termsJSON(t registry.Terms) apitypes.Terms {
	return apitypes.Terms{ReservePerPoint: t.ReservePerPoint, PointsPerPeriod: t.PointsPerPeriod, AccessPeriodSeconds: t.AccessPeriodSeconds}
}

func auctionJSON(a *auction.Auction, hrp string) apitypes.Auction {
	return apitypes.Auction{
		ID: a.ID, Device: pubKeyHex(a.Device), Seq: a.Seq, Owner: addressText(a.Owner, hrp), Terms: termsJSON(a.Terms),
		OpenHeight: a.OpenHeight, CommitEnd: a.CommitEnd, CloseHeight: a.CloseHeight, Status: apitypes.AuctionStatus(a.Status.String()),
		Bids: a.Bids, Ranking: append([]uint32{}, a.Ranking...), WinnerRank: a.WinnerRank, Winner: addressText(a.Winner, hrp),
		PricePerPoint: a.PricePerPoint, Price: a.Price, PayDeadline: a.PayDeadline, DeliveryDeadline: a.DeliveryDeadline,
	}
}

func bidJSON(b *auction.Bid, hrp string) *apitypes.Bid {
	if b == nil {
		return nil
	}
	return &apitypes.Bid{
		Auction: b.Auction, Index: b.Index, Bidder: addressText(b.Bidder, hrp), BidderKey: pubKeyHex(b.BidderKey),
		Commitment: b.Commitment, Deposit: b.Deposit, Height: b.Height, Status: apitypes.BidStatus(b.Status.String()), AmountPerPoint: b.AmountPerPoint,
	}
}

func deliveryJSON(d *auction.Delivery, hrp string) *apitypes.Delivery {
	if d == nil {
		return nil
	}
	return &apitypes.Delivery{
		Auction: d.Auction, Device: pubKeyHex(d.Device), Winner: addressText(d.Winner, hrp), WinnerKey: pubKeyHex(d.WinnerKey),
		Height: d.Height, Time: d.Time, Expires: d.Expires, Points: d.Points, KeyHash: d.KeyHash,
		EncryptedKey: hex.EncodeToString(d.EncryptedKey),
	}
}

func auctionParamsJSON(p consensus.AuctionParams) apitypes.AuctionParams {
	return apitypes.AuctionParams{
		CommitBlocks: p.CommitBlocks, RevealBlocks: p.RevealBlocks, PaymentBlocks: p.PaymentBlocks, DeliveryBlocks: p.DeliveryBlocks,
		BondPermille: p.BondPermille, ForfeitOwnerPermille: p.ForfeitOwnerPermille, ProtocolFeePermille: p.ProtocolFeePermille,
		MetadataFeePermille: p.MetadataFeePermille, MaxBidsPerTx: p.MaxBidsPerTx, MaxBidsPerAuction: p.MaxBidsPerAuction,
		MaxAnchorStep: p.MaxAnchorStep, MaxKeyCiphertext: p.MaxKeyCiphertext,
	}
}

func deviceJSON(d *registry.Device) *apitypes.Device {
	if d == nil {
		return nil
	}
	out := &apitypes.Device{
		Device: d.Device, OEM: d.OEM, Model: d.Model, ModelVersion: d.ModelVersion, Kind: d.Kind, Owner: d.Owner, Enabled: d.Enabled,
		AttestedHeight: d.AttestedHeight, EnabledHeight: d.EnabledHeight, Region: d.Region, Terms: termsJSON(d.Terms),
		TD: d.TD, Metadata: d.Metadata, Strikes: d.Strikes, HistoryTruncated: d.HistoryTruncated,
	}
	for _, h := range d.History {
		out.History = append(out.History, apitypes.StatusAt{Height: h.Height, Enabled: h.Enabled, Owner: h.Owner, Terms: termsJSON(h.Terms)})
	}
	return out
}

func memberJSON(m *registry.Member) *apitypes.Member {
	if m == nil {
		return nil
	}
	return &apitypes.Member{Name: m.Name, AdmittedHeight: m.AdmittedHeight, Revoked: m.Revoked, RevokedHeight: m.RevokedHeight}
}

func modelJSON(m *registry.Model) *apitypes.Model {
	if m == nil {
		return nil
	}
	out := &apitypes.Model{ID: m.ID, OEM: m.OEM, Kind: m.Kind, Title: m.Title, Version: m.Version, Height: m.Height, ThingModel: m.ThingModel, MetadataSchema: []apitypes.Field{}}
	for _, f := range m.MetadataSchema {
		out.MetadataSchema = append(out.MetadataSchema, apitypes.Field{Name: f.Name, Type: f.Type.String(), Required: f.Required})
	}
	return out
}

// chainName is how the API names chains in parameters and results.
func chainName(k consensus.ChainKind) string { return k.String() }
