package ledger

import (
	"crypto/sha256"
	"math/bits"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TxHandler gives one transaction type its meaning. The common accounting
// (nonce, fee) is already done when Apply runs.
type TxHandler interface {
	CheckSanity(tx *wire.Tx) error
	Apply(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address) error
}

// Machine is the auction chain's base state machine: accounts and
// transfers, extensible with more transaction types.
type Machine struct {
	net      *consensus.Params
	handlers map[uint16]TxHandler
	payFees  FeePayer
}

var _ chain.StateMachine = (*Machine)(nil)

// NewMachine returns the ledger for a network with transfers registered.
func NewMachine(net *consensus.Params) *Machine {
	m := &Machine{net: net, handlers: map[uint16]TxHandler{}, payFees: PayToMiner}
	m.Handle(TxTransfer, transferHandler{hrp: net.AddressHRP})
	return m
}

// Handle registers the handler of a transaction type. It is wiring, done
// before the chain opens; registering a type twice is a programming error.
func (m *Machine) Handle(txType uint16, h TxHandler) {
	if _, dup := m.handlers[txType]; dup {
		panic("ledger: transaction type registered twice")
	}
	m.handlers[txType] = h
}

// FaucetKey is the well-known key of a test network's faucet: anyone may
// sign with it, which is the point. Main has none.
func FaucetKey(net *consensus.Params) (*keys.PrivateKey, bool) {
	if net.Name == "main" {
		return nil, false
	}
	seed := sha256.Sum256([]byte("thingchain " + net.Name + " faucet"))
	k, err := keys.PrivateKeyFromBytes(seed[:])
	if err != nil {
		return nil, false
	}
	return k, true
}

// FaucetAllocation is the faucet's genesis balance: a billion THG.
const FaucetAllocation = 1_000_000_000 * Coin

// Genesis credits the allocations (and the faucet) and records the supply.
func (m *Machine) Genesis(v *chain.View) error {
	allocs := append([]consensus.Allocation(nil), m.net.Allocations...)
	if k, ok := FaucetKey(m.net); ok {
		allocs = append(allocs, consensus.Allocation{Address: k.PubKey().Address(), Amount: FaucetAllocation})
	}
	var supply uint64
	for _, a := range allocs {
		var carry uint64
		if supply, carry = bits.Add64(supply, a.Amount, 0); carry != 0 {
			return consensus.RuleErrorf(ErrOverflow, "genesis allocations exceed 2^64-1 units")
		}
		if err := Credit(v, a.Address, a.Amount); err != nil {
			return err
		}
	}
	v.PutUint64(supplyKey, supply)
	return nil
}

// CheckTxSanity dispatches to the type's handler.
func (m *Machine) CheckTxSanity(tx *wire.Tx) error {
	h, ok := m.handlers[tx.Type]
	if !ok {
		return consensus.RuleErrorf(ErrUnknownAuctionTxType, "auction chain transaction type %d is not defined", tx.Type)
	}
	return h.CheckSanity(tx)
}

// ApplyTx does the common accounting, then the type's own effects.
func (m *Machine) ApplyTx(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext) error {
	h, ok := m.handlers[tx.Type]
	if !ok {
		return consensus.RuleErrorf(ErrUnknownAuctionTxType, "auction chain transaction type %d is not defined", tx.Type)
	}
	sender := keys.PubKey(tx.Sender).Address()
	acct, err := GetAccount(v, sender)
	if err != nil {
		return err
	}
	if err := CheckNonce(tx.Nonce, acct.Nonce); err != nil {
		return err
	}
	if acct.Balance < tx.Fee {
		return consensus.RuleErrorf(ErrInsufficientFunds, "%s cannot pay the fee %s with balance %s",
			sender.Encode(m.net.AddressHRP), FormatAmount(tx.Fee), FormatAmount(acct.Balance))
	}
	if acct.Nonce == 1<<64-1 {
		return consensus.RuleErrorf(ErrOverflow, "%s has used every nonce", sender.Encode(m.net.AddressHRP))
	}
	acct.Balance -= tx.Fee
	acct.Nonce++
	PutAccount(v, sender, acct)
	return h.Apply(v, tx, ctx, sender)
}

// CheckNonce enforces strict per-sender sequencing and says which way a
// wrong nonce is off.
func CheckNonce(got, want uint64) error {
	switch {
	case got < want:
		return consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d was already used; the next nonce is %d", got, want)
	case got > want:
		return consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d is in the future; the next nonce is %d", got, want)
	}
	return nil
}

// FeePayer pays out a block's collected transaction fees. It must move
// exactly fees units, no more and no less, or coin is created or lost.
type FeePayer func(v *chain.View, blk *wire.Block, ctx *chain.BlockContext, fees uint64) error

// PayToMiner is the default FeePayer: every fee goes to the block's reward
// address (header.Reward).
func PayToMiner(v *chain.View, blk *wire.Block, _ *chain.BlockContext, fees uint64) error {
	if fees == 0 {
		return nil
	}
	return Credit(v, keys.Address(blk.Header.Reward), fees)
}

// SetFeePayer replaces how block fees are paid. This is the hook for the
// metadata miners' share (design §3): a fixed share of an auction block's
// fees goes to the reward addresses of the metadata blocks it newly
// anchors, the rest to PayToMiner. Like Handle, it is wiring done before
// the chain opens, and a change of payer is a consensus change.
func (m *Machine) SetFeePayer(p FeePayer) { m.payFees = p }

// BlockFees sums the fees of a block's transactions.
func BlockFees(blk *wire.Block) (uint64, error) {
	var fees uint64
	for _, tx := range blk.Txs {
		var carry uint64
		if fees, carry = bits.Add64(fees, tx.Fee, 0); carry != 0 {
			return 0, consensus.RuleErrorf(ErrOverflow, "block fees exceed 2^64-1 units")
		}
	}
	return fees, nil
}

// FinishBlock pays the block's fees (to its reward address unless
// SetFeePayer says otherwise). Every fee was already debited from its
// sender by ApplyTx, so this only moves coin.
func (m *Machine) FinishBlock(v *chain.View, blk *wire.Block, ctx *chain.BlockContext) error {
	fees, err := BlockFees(blk)
	if err != nil {
		return err
	}
	return m.payFees(v, blk, ctx, fees)
}

var _ chain.ConcurrentApplier = (*Machine)(nil)

// ApplyConcurrently opts no ledger transaction in to parallel application:
// a transfer's ApplyTx (two account reads and writes) costs about what the
// engine's speculation and in-order merge cost, so applying transfers in
// parallel is slower on the machines measured (chain's
// BenchmarkParallelApply, docs/performance.md). It is here so that the
// choice is explicit; auction types read the metadata chain and must stay
// in order anyway.
func (m *Machine) ApplyConcurrently(tx *wire.Tx) bool { return false }
