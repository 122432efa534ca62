package auction

import (
	"fmt"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// Machine is the auction chain's state machine: the ledger (accounts,
// transfers, fees) extended with the auction transaction types, the anchor
// rule, the metadata miners' fee share and the settlements due at each
// height.
type Machine struct {
	*ledger.Machine
	net  *consensus.Params
	p    consensus.AuctionParams
	meta Metadata
}

var _ chain.StateMachine = (*Machine)(nil)

// NewMachine builds the auction chain's state machine for a network, with
// meta as its view of the metadata chain. Genesis is the ledger's, byte
// for byte: the auction state starts empty. It panics if the network's
// AuctionParams are unusable (a programming error in the params files).
func NewMachine(net *consensus.Params, meta Metadata) *Machine {
	if err := CheckParams(&net.Auctions); err != nil {
		panic("auction: " + err.Error())
	}
	m := &Machine{Machine: ledger.NewMachine(net), net: net, p: net.Auctions, meta: meta}
	m.Handle(TxOpenAuction, handler{m.sanityOpen, m.applyOpen})
	m.Handle(TxCommitBids, handler{m.sanityCommit, m.applyCommit(false)})
	m.Handle(TxCommitFullBids, handler{m.sanityCommit, m.applyCommit(true)})
	m.Handle(TxRevealBids, handler{m.sanityReveal, m.applyReveal})
	m.Handle(TxPay, handler{m.sanityPay, m.applyPay})
	m.Handle(TxDeliverKey, handler{m.sanityDeliver, m.applyDeliver})
	m.SetFeePayer(m.payFees)
	return m
}

// CheckParams reports auction parameters no network may use.
func CheckParams(p *consensus.AuctionParams) error {
	switch {
	case p.CommitBlocks == 0 || p.RevealBlocks == 0 || p.PaymentBlocks == 0 || p.DeliveryBlocks == 0:
		return fmt.Errorf("every phase needs at least one block (commit %d, reveal %d, payment %d, delivery %d)",
			p.CommitBlocks, p.RevealBlocks, p.PaymentBlocks, p.DeliveryBlocks)
	case p.BondPermille > 1000 || p.ForfeitOwnerPermille > 1000 || p.ProtocolFeePermille > 1000 || p.MetadataFeePermille > 1000 || p.ProtocolFeeMetadataPermille > 1000:
		return fmt.Errorf("shares are per-mille and must not exceed 1000")
	case p.MaxBidsPerTx < 1 || p.MaxBidsPerTx > maxBatchFormat:
		return fmt.Errorf("MaxBidsPerTx %d outside 1..%d", p.MaxBidsPerTx, maxBatchFormat)
	case p.MaxBidsPerAuction < 1:
		return fmt.Errorf("MaxBidsPerAuction must be positive")
	case p.MaxAnchorStep < 1:
		return fmt.Errorf("MaxAnchorStep must be positive")
	case p.MaxKeyCiphertext <= keys.ECIESOverhead || p.MaxKeyCiphertext > maxKeyFormat:
		return fmt.Errorf("MaxKeyCiphertext %d outside %d..%d", p.MaxKeyCiphertext, keys.ECIESOverhead+1, maxKeyFormat)
	}
	return nil
}

// handler adapts a pair of methods to ledger.TxHandler.
type handler struct {
	sanity func(tx *wire.Tx) error
	apply  func(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address) error
}

func (h handler) CheckSanity(tx *wire.Tx) error { return h.sanity(tx) }
func (h handler) Apply(v *chain.View, tx *wire.Tx, ctx *chain.BlockContext, sender keys.Address) error {
	return h.apply(v, tx, ctx, sender)
}

// payFees is the ledger's FeePayer: MetadataFeePermille of the block's
// fees goes to the metadata miners' pool (paid out when the anchor moves
// forward, see payMetadataMiners), the rest to the block's reward address.
// Pooling every block's share, rather than taking it only from blocks
// that move the anchor, leaves an auction miner nothing to gain by not
// moving the anchor.
func (m *Machine) payFees(v *chain.View, blk *wire.Block, _ *chain.BlockContext, fees uint64) error {
	if fees == 0 {
		return nil
	}
	share := mulDivPermille(fees, m.p.MetadataFeePermille)
	if share > 0 {
		if err := addU64(v, keyMetadataPool, share); err != nil {
			return err
		}
	}
	if fees == share {
		return nil
	}
	return ledger.Credit(v, keys.Address(blk.Header.Reward), fees-share)
}

// FinishBlock checks the block's anchor, pays the block's fees, pays the
// metadata miners when the anchor moved forward, then runs every
// settlement, payment lapse and delivery deadline due at this height.
func (m *Machine) FinishBlock(v *chain.View, blk *wire.Block, ctx *chain.BlockContext) error {
	anchor, prev, moved, err := m.checkAnchor(v, ctx.Header)
	if err != nil {
		return err
	}
	if err := m.Machine.FinishBlock(v, blk, ctx); err != nil {
		return err
	}
	if moved {
		putLastAnchor(v, anchor)
		from := prev.Height + 1
		if prev == (wire.Anchor{}) {
			from = 1 // the first anchor: metadata genesis has no miner
		}
		if err := m.payMetadataMiners(v, from, anchor); err != nil {
			return err
		}
	}
	return m.runDue(v, ctx.Height, keys.Address(blk.Header.Reward))
}
