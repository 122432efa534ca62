package auction

import (
	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// Names this package's tests used before the client-side code moved to
// auctiontx.
var allErrorKinds = auctiontx.ErrorKinds()

// signTx signs an auction-chain transaction with any payload, as
// auctiontx's builders do, so tests can send payloads no builder makes.
func signTx(net *consensus.Params, typ uint16, from *keys.PrivateKey, nonce, fee uint64, payload []byte) *wire.Tx {
	tx := &wire.Tx{ChainID: net.Auction.ChainID, Type: typ, Nonce: nonce, Fee: fee, Sender: from.PubKey(), Payload: payload}
	tx.Sig = from.Sign(tx.SigHash())
	return tx
}
