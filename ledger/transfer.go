package ledger

import (
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

type transferHandler struct{ hrp string }

func (transferHandler) CheckSanity(tx *wire.Tx) error {
	t, err := DecodeTransfer(tx.Payload)
	if err != nil {
		return err
	}
	if t.Amount == 0 {
		return consensus.RuleErrorf(ErrZeroAmount, "transfer of zero")
	}
	if t.To == keys.PubKey(tx.Sender).Address() {
		return consensus.RuleErrorf(ErrSelfTransfer, "transfer to the sender itself")
	}
	return nil
}

func (h transferHandler) Apply(v *chain.View, tx *wire.Tx, _ *chain.BlockContext, sender keys.Address) error {
	t, err := DecodeTransfer(tx.Payload)
	if err != nil {
		return err
	}
	if err := Debit(v, sender, t.Amount, h.hrp); err != nil {
		return err
	}
	return Credit(v, t.To, t.Amount)
}
