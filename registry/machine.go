package registry

import (
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// ErrUnknownTxType rejects transaction types this chain does not define.
const ErrUnknownTxType = consensus.ErrorKind("ErrUnknownTxType")

// Machine is the metadata chain's state machine.
type Machine struct{}

var _ chain.StateMachine = Machine{}

// MinedKey is the state key counting blocks mined by a reward address.
func MinedKey(reward [wire.AddressSize]byte) []byte {
	return append([]byte("mined/"), reward[:]...)
}

// Genesis writes nothing: the metadata chain starts empty.
func (Machine) Genesis(*chain.View) error { return nil }

// CheckTxSanity rejects every transaction until device records exist.
func (Machine) CheckTxSanity(tx *wire.Tx) error {
	return consensus.RuleErrorf(ErrUnknownTxType, "metadata chain transaction type %d is not defined", tx.Type)
}

// ApplyTx is unreachable while CheckTxSanity rejects everything, but must
// still refuse rather than silently accept.
func (m Machine) ApplyTx(_ *chain.View, tx *wire.Tx, _ *chain.BlockContext) error {
	return m.CheckTxSanity(tx)
}

// FinishBlock counts the block for its reward address.
func (Machine) FinishBlock(v *chain.View, blk *wire.Block, _ *chain.BlockContext) error {
	k := MinedKey(blk.Header.Reward)
	n, err := v.GetUint64(k)
	if err != nil {
		return err
	}
	v.PutUint64(k, n+1)
	return nil
}
