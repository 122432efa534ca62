package auction

import (
	"fmt"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// checkAnchor applies the anchor rule to a header and returns the
// block's effective anchor, the previous one and whether the anchor moved.
//
// The all-zero anchor carries the previous anchor forward (a miner with no
// fresh metadata block to anchor, and the mempool's scratch header, use
// it). Any other anchor must not be below the previous one; at the same
// height it must name the same block; above it, it may move at most
// MaxAnchorStep blocks, and this node's metadata chain must have that
// block on its main chain (else ErrBadAnchor) at least k = AnchorDepth
// blocks deep. A block this node does not have yet, or not deep enough,
// is not the block's fault: a plain error wrapping ErrAnchorPending.
func (m *Machine) checkAnchor(v *chain.View, h *wire.Header) (anchor, prev wire.Anchor, moved bool, err error) {
	prev, err = LastAnchor(v)
	if err != nil {
		return prev, prev, false, err
	}
	a := h.Anchor
	if a == (wire.Anchor{}) {
		return prev, prev, false, nil
	}
	first := prev == (wire.Anchor{})
	if !first {
		if a.Height < prev.Height {
			return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor height %d is below the previous anchor %d", a.Height, prev.Height)
		}
		if a.Height == prev.Height {
			if a.Hash != prev.Hash {
				return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor %s at height %d differs from the previous anchor %s at that height", a.Hash, a.Height, prev.Hash)
			}
			return prev, prev, false, nil
		}
	}
	if a.Height-prev.Height > m.p.MaxAnchorStep {
		return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor moves %d metadata blocks, at most %d per block", a.Height-prev.Height, m.p.MaxAnchorStep)
	}
	hash, _, ok, err := m.meta.BlockAt(a.Height)
	if err != nil {
		return prev, prev, false, fmt.Errorf("auction: read metadata block %d: %w", a.Height, err)
	}
	if !ok {
		return prev, prev, false, fmt.Errorf("%w: metadata height %d not on this node's main chain", ErrAnchorPending, a.Height)
	}
	if hash != a.Hash {
		return prev, prev, false, consensus.RuleErrorf(consensus.ErrBadAnchor, "anchor names %s at metadata height %d, the main chain has %s", a.Hash, a.Height, hash)
	}
	k := m.net.Auction.AnchorDepth
	if tip := m.meta.TipHeight(); tip < a.Height || tip-a.Height < k {
		return prev, prev, false, fmt.Errorf("%w: metadata block %d is %d deep here, needs %d", ErrAnchorPending, a.Height, int64(tip)-int64(a.Height), k)
	}
	return a, prev, true, nil
}

// anchorHeight is the metadata height a transaction in this block is
// checked against: the block's effective anchor.
func (m *Machine) anchorHeight(v *chain.View, ctx *chain.BlockContext) (uint64, error) {
	a, _, _, err := m.checkAnchor(v, ctx.Header)
	return a.Height, err
}

// device returns what the metadata state at the anchor says of a device,
// refusing devices that are not auctionable there.
func (m *Machine) device(device keys.PubKey, height uint64) (DeviceInfo, error) {
	info, ok, err := m.meta.DeviceAt(device, height)
	if err != nil {
		return info, fmt.Errorf("auction: read device %s at metadata height %d: %w", device, height, err)
	}
	if !ok {
		return info, consensus.RuleErrorf(ErrDeviceNotAuctionable, "device %s is not attested at anchored metadata height %d", device, height)
	}
	if !info.Auctionable {
		return info, consensus.RuleErrorf(ErrDeviceNotAuctionable, "device %s is disabled or its OEM revoked at anchored metadata height %d", device, height)
	}
	if info.Terms.PointsPerPeriod == 0 || info.Terms.AccessPeriodSeconds == 0 {
		return info, consensus.RuleErrorf(ErrDeviceNotAuctionable, "device %s has no usable terms at metadata height %d", device, height)
	}
	return info, nil
}

// payMetadataMiners splits the pool evenly among the reward addresses of
// metadata blocks from..to (one share per block, so a miner of two blocks
// gets two); what does not divide evenly stays in the pool for the next
// move.
func (m *Machine) payMetadataMiners(v *chain.View, from, to uint64) error {
	if from > to {
		return nil
	}
	pool, err := MetadataPool(v)
	if err != nil || pool == 0 {
		return err
	}
	n := to - from + 1
	each := pool / n
	if each == 0 {
		return nil
	}
	order := make([]keys.Address, 0, n)
	owed := make(map[keys.Address]uint64, n)
	for h := from; h <= to; h++ {
		_, reward, ok, err := m.meta.BlockAt(h)
		if err != nil {
			return fmt.Errorf("auction: read metadata block %d: %w", h, err)
		}
		if !ok {
			return fmt.Errorf("%w: metadata height %d not on this node's main chain", ErrAnchorPending, h)
		}
		if _, seen := owed[reward]; !seen {
			order = append(order, reward)
		}
		owed[reward] += each
	}
	if err := subU64(v, keyMetadataPool, each*n); err != nil {
		return err
	}
	for _, a := range order {
		if err := ledger.Credit(v, a, owed[a]); err != nil {
			return err
		}
	}
	return nil
}

// ChooseAnchor is the anchor a miner should put in its next auction block:
// the metadata main-chain block k deep, moved at most MaxAnchorStep past
// the previous anchor, or the zero anchor (carry the previous one) when
// nothing newer is deep enough. last is LastAnchor of the tip state.
func ChooseAnchor(net *consensus.Params, meta Metadata, last wire.Anchor) (wire.Anchor, error) {
	k := net.Auction.AnchorDepth
	tip := meta.TipHeight()
	if tip < k {
		return wire.Anchor{}, nil
	}
	target := tip - k
	if last != (wire.Anchor{}) && target <= last.Height {
		return wire.Anchor{}, nil
	}
	if target-last.Height > net.Auctions.MaxAnchorStep {
		target = last.Height + net.Auctions.MaxAnchorStep
	}
	hash, _, ok, err := meta.BlockAt(target)
	if err != nil || !ok {
		return wire.Anchor{}, err
	}
	return wire.Anchor{Height: target, Hash: hash}, nil
}
