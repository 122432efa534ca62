package ledger

// Aliases and thin wrappers of the engine-free ledgertx package, which owns
// these declarations (see its doc.go), so engine code and existing
// callers keep their names: one name here for every exported declaration
// of ledgertx (api/client TestEngineReexportsClientSide holds that).

import (
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger/ledgertx"
)

type (
	Transfer = ledgertx.Transfer
)

const (
	Coin                    = ledgertx.Coin
	ErrInsufficientFunds    = ledgertx.ErrInsufficientFunds
	ErrBadAuctionPayload    = ledgertx.ErrBadAuctionPayload
	ErrZeroAmount           = ledgertx.ErrZeroAmount
	ErrSelfTransfer         = ledgertx.ErrSelfTransfer
	ErrOverflow             = ledgertx.ErrOverflow
	ErrUnknownAuctionTxType = ledgertx.ErrUnknownAuctionTxType
	TxTransfer              = ledgertx.TxTransfer
)

// FormatAmount is ledgertx.FormatAmount.
func FormatAmount(units uint64) string { return ledgertx.FormatAmount(units) }

// ParseAmount is ledgertx.ParseAmount.
func ParseAmount(s string) (uint64, error) { return ledgertx.ParseAmount(s) }

// DecodeTransfer is ledgertx.DecodeTransfer.
func DecodeTransfer(b []byte) (Transfer, error) { return ledgertx.DecodeTransfer(b) }

// NewTransfer is ledgertx.NewTransfer.
func NewTransfer(p *consensus.Params, from *keys.PrivateKey, to keys.Address, amount uint64, fee uint64, nonce uint64) *wire.Tx {
	return ledgertx.NewTransfer(p, from, to, amount, fee, nonce)
}
