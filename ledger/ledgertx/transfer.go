package ledgertx

import (
	"encoding/binary"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TxTransfer is the transaction type of a coin transfer.
const TxTransfer uint16 = 1

// Transfer moves Amount from the sender to To.
type Transfer struct {
	To     keys.Address
	Amount uint64
}

const transferSize = keys.AddressSize + 8

// Encode is the canonical payload: the 20-byte address, then the amount
// as a little-endian uint64.
func (t Transfer) Encode() []byte {
	return binary.LittleEndian.AppendUint64(append(make([]byte, 0, transferSize), t.To[:]...), t.Amount)
}

// DecodeTransfer parses a transfer payload, refusing any other length.
func DecodeTransfer(b []byte) (Transfer, error) {
	if len(b) != transferSize {
		return Transfer{}, consensus.RuleErrorf(ErrBadAuctionPayload, "transfer payload is %d bytes, want %d", len(b), transferSize)
	}
	var t Transfer
	copy(t.To[:], b)
	t.Amount = binary.LittleEndian.Uint64(b[keys.AddressSize:])
	return t, nil
}

// NewTransfer builds and signs a transfer transaction.
func NewTransfer(p *consensus.Params, from *keys.PrivateKey, to keys.Address, amount, fee, nonce uint64) *wire.Tx {
	tx := &wire.Tx{ChainID: p.Auction.ChainID, Type: TxTransfer, Nonce: nonce, Fee: fee, Sender: from.PubKey(), Payload: Transfer{To: to, Amount: amount}.Encode()}
	tx.Sig = from.Sign(tx.SigHash())
	return tx
}
