package api

import (
	"encoding/hex"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// HeaderJSON is a block header as the API shows it.
type HeaderJSON struct {
	Hash      wire.Hash   `json:"hash"`
	Height    uint64      `json:"height"`
	Version   uint32      `json:"version"`
	ChainID   uint32      `json:"chain_id"`
	PrevHash  wire.Hash   `json:"prev_hash"`
	TxRoot    wire.Hash   `json:"tx_root"`
	StateRoot wire.Hash   `json:"state_root"`
	Anchor    wire.Anchor `json:"anchor"`
	Time      int64       `json:"time"`
	Bits      string      `json:"bits"`
	Nonce     uint64      `json:"nonce"`
	Reward    string      `json:"reward"`
	Miner     string      `json:"miner_key"`
}

// TxJSON is a transaction as the API shows it. Raw is the canonical
// encoding in hex, which is also what tx.submit accepts.
type TxJSON struct {
	ID            wire.Hash `json:"txid"`
	ChainID       uint32    `json:"chain_id"`
	Type          uint16    `json:"type"`
	Nonce         uint64    `json:"nonce"`
	Fee           uint64    `json:"fee"`
	Expiry        uint64    `json:"expiry,omitempty"`
	Sender        string    `json:"sender"`
	SenderAddress string    `json:"sender_address"`
	Payload       string    `json:"payload"`
	Size          int       `json:"size"`
	Raw           string    `json:"raw,omitempty"`
}

// BlockJSON is a block with its transactions (full or as IDs).
type BlockJSON struct {
	HeaderJSON
	Size  int         `json:"size"`
	TxIDs []wire.Hash `json:"txids,omitempty"`
	Txs   []TxJSON    `json:"txs,omitempty"`
}

func headerJSON(h *wire.Header, hrp string) HeaderJSON {
	return HeaderJSON{
		Hash: h.Hash(), Height: h.Height, Version: h.Version, ChainID: h.ChainID,
		PrevHash: h.PrevHash, TxRoot: h.TxRoot, StateRoot: h.StateRoot, Anchor: h.Anchor,
		Time: h.Timestamp, Bits: hex.EncodeToString([]byte{byte(h.Bits >> 24), byte(h.Bits >> 16), byte(h.Bits >> 8), byte(h.Bits)}),
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
	out := BlockJSON{HeaderJSON: headerJSON(&b.Header, hrp), Size: len(b.Encode())}
	for _, tx := range b.Txs {
		if full {
			out.Txs = append(out.Txs, txJSON(tx, hrp, false))
		} else {
			out.TxIDs = append(out.TxIDs, tx.ID())
		}
	}
	return out
}

// chainName is how the API names chains in parameters and results.
func chainName(k consensus.ChainKind) string { return k.String() }
